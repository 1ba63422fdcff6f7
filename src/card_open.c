/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a card through PC/SC: pick the reader (exact name, substring,
 * "#N", or the first reader whose card answers the applet SELECT). Or
 * through an AT modem, where the modem may select the applet itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "clock.h"

const char *iotsafe_pcsc_pick_reader(const char *names, const char *want)
{
    if (names == NULL || want == NULL)
        return NULL;
    for (const char *s = names; *s != '\0'; s += strlen(s) + 1)
        if (strcmp(s, want) == 0)
            return s;
    for (const char *s = names; *s != '\0'; s += strlen(s) + 1)
        if (strstr(s, want) != NULL)
            return s;
    if (want[0] == '#' && want[1] != '\0') {
        char *end;
        unsigned long idx = strtoul(want + 1, &end, 10);
        if (*end == '\0') {
            unsigned long i = 0;
            for (const char *s = names; *s != '\0'; s += strlen(s) + 1, i++)
                if (i == idx)
                    return s;
        }
    }
    return NULL;
}

/* "'A', 'B'" for messages. */
static void join_names(const char *names, char *out, size_t cap)
{
    size_t j = 0;
    out[0] = '\0';
    for (const char *s = names; *s != '\0' && j < cap; s += strlen(s) + 1) {
        char e[80];
        int n = snprintf(out + j, cap - j, "%s'%s'", j == 0 ? "" : ", ",
                         iotsafe_escape_str(s, e, sizeof e));
        if (n < 0)
            break;
        j += (size_t)n;
    }
}

/* Rank failures so the most telling one is reported when every reader fails. */
static int rank(iotsafe_rc rc)
{
    switch (rc) {
    case IOTSAFE_E_NO_CARD:
        return 1;
    case IOTSAFE_E_TRANSPORT:
        return 2;
    case IOTSAFE_E_NO_APPLET:
        return 3;
    default:
        return 4;
    }
}

/* The reader READER names (or, without one, the first reader whose card has the applet). */
static iotsafe_rc open_in(const iotsafe_config *cfg, const char *names, const char *reader,
                          unsigned long wait_ms, iotsafe_card **out, iotsafe_status *st)
{
    iotsafe_transport *t = NULL;
    iotsafe_rc rc;
    if (reader != NULL && *reader != '\0') {
        const char *name = iotsafe_pcsc_pick_reader(names, reader);
        if (name == NULL) {
            char list[200], want[80];
            join_names(names, list, sizeof list);
            return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0,
                                      "no reader matches '%s' (readers: %s)",
                                      iotsafe_escape_str(reader, want, sizeof want), list);
        }
        rc = pcsc_open_deadline(name, wait_ms, &t, st);
        if (rc == IOTSAFE_OK)
            rc = iotsafe_card_attach(cfg, t, out, st);
        return rc;
    }

    iotsafe_status best;
    int best_rank = 0;
    iotsafe_status_clear(&best);
    for (const char *s = names; *s != '\0'; s += strlen(s) + 1) {
        iotsafe_status one;
        rc = pcsc_open_deadline(s, wait_ms, &t, &one);
        if (rc == IOTSAFE_OK)
            rc = iotsafe_card_attach(cfg, t, out, &one);
        if (rc == IOTSAFE_OK)
            return IOTSAFE_OK;
        if (rc == IOTSAFE_E_NO_SERVICE || rc == IOTSAFE_E_NOMEM) {
            if (st != NULL)
                *st = one;
            return rc;
        }
        if (rank(rc) > best_rank) {
            best_rank = rank(rc);
            best = one;
        }
    }
    if (best.rc == IOTSAFE_E_NO_CARD)
        return iotsafe_status_set(st, IOTSAFE_E_NO_CARD, 0, "no card in any reader (%s)", best.msg);
    if (st != NULL)
        *st = best;
    return best.rc;
}

/* How long a reader pcscd has not yet polled may take to show its card (pcscd polls every
   0.4 s; a vpcd card connects within 50 ms of pcscd's start). */
#define CARD_FIRST_POLL_MS 1500

iotsafe_rc iotsafe_card_open(const iotsafe_config *cfg, const char *reader, iotsafe_card **out,
                             iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "open: NULL output");
    *out = NULL;
    char *names = NULL;
    size_t count = 0;
    iotsafe_rc rc = iotsafe_pcsc_list_readers(&names, &count, st);
    if (rc != IOTSAFE_OK)
        return rc;
    const unsigned long wait_ms = cfg != NULL && cfg->timeout_ms != 0 ? cfg->timeout_ms
                                                                      : CARD_TIMEOUT_WAIT_MS;
    const long end = now_ms() + (long)wait_ms;
    rc = open_in(cfg, names, reader, wait_ms, out, st);
    /* a pcscd that has just started may not have looked at its readers yet: wait for its first
       look (in the named reader, or in any), then try once more within the same deadline */
    if (rc == IOTSAFE_E_NO_CARD) {
        const char *only = reader != NULL && *reader != '\0'
                               ? iotsafe_pcsc_pick_reader(names, reader)
                               : NULL;
        long left = end - now_ms();
        if (left > 0 && pcsc_wait_first_card(names, only,
                                             left < CARD_FIRST_POLL_MS ? (unsigned long)left
                                                                       : CARD_FIRST_POLL_MS)) {
            left = end - now_ms();
            if (left > 0)
                rc = open_in(cfg, names, reader, (unsigned long)left, out, st);
        }
    }
    free(names);
    return rc;
}

iotsafe_rc iotsafe_card_open_at(const iotsafe_config *cfg, const char *device,
                                const iotsafe_at_options *opt, iotsafe_card **out,
                                iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "open: NULL output");
    *out = NULL;
    iotsafe_transport *t = NULL;
    iotsafe_rc rc = iotsafe_at_open(device, opt, &t, st);
    if (rc != IOTSAFE_OK)
        return rc;
    return iotsafe_card_attach(cfg, t, out, st);
}
