/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PC/SC transport on pcsc-lite: shared mode, T=0 or T=1, transactions, and
 * recovery from a card reset (SCardReconnect) or from a card removal or a
 * daemon restart (new context and handle, waiting briefly for the card).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "iotsafe/transport.h"

/* How long reconnect waits for the card to come back after a removal. */
#define PCSC_RECONNECT_MS 2500
#define PCSC_POLL_MS 50

typedef struct pcsc_impl {
    SCARDCONTEXT ctx;
    int have_ctx;
    SCARDHANDLE h;
    int have_h;
    DWORD proto;
    char *reader;
} pcsc_impl;

static iotsafe_rc scard_err(iotsafe_status *st, iotsafe_rc rc, const char *what, const char *reader,
                            LONG r)
{
    if (reader != NULL)
        return iotsafe_status_set(st, rc, 0, "%s on reader '%s': %s (0x%08lX)", what, reader,
                                  pcsc_stringify_error(r), (unsigned long)r);
    return iotsafe_status_set(st, rc, 0, "%s: %s (0x%08lX)", what, pcsc_stringify_error(r),
                              (unsigned long)r);
}

/* Mapping for calls on an established card handle. */
static iotsafe_rc map_handle_err(LONG r)
{
    switch (r) {
    case SCARD_W_RESET_CARD:
        return IOTSAFE_E_CARD_RESET;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_INVALID_HANDLE:
        return IOTSAFE_E_CARD_REMOVED;
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
        return IOTSAFE_E_NO_SERVICE;
    case SCARD_E_NO_MEMORY:
        return IOTSAFE_E_NOMEM;
    default:
        return IOTSAFE_E_TRANSPORT;
    }
}

/* Mapping for context and connect calls. */
static iotsafe_rc map_connect_err(LONG r)
{
    switch (r) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
        return IOTSAFE_E_NO_SERVICE;
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
        return IOTSAFE_E_NO_READER;
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
        return IOTSAFE_E_NO_CARD;
    case SCARD_E_NO_MEMORY:
        return IOTSAFE_E_NOMEM;
    default:
        return IOTSAFE_E_TRANSPORT;
    }
}

static iotsafe_rc pcsc_transmit(iotsafe_transport *t, const uint8_t *cmd, size_t cmd_len,
                                uint8_t *resp, size_t *resp_len, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0,
                                  "not connected to reader '%s'", p->reader);
    const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD rlen = (DWORD)*resp_len;
    LONG r = SCardTransmit(p->h, pci, cmd, (DWORD)cmd_len, NULL, resp, &rlen);
    if (r != SCARD_S_SUCCESS) {
        *resp_len = 0;
        return scard_err(st, map_handle_err(r), "SCardTransmit", p->reader, r);
    }
    *resp_len = rlen;
    /*
     * A card always ends its answer with SW1 SW2. An empty answer with a
     * success code is what the reader driver hands back when the card went
     * away in the middle of the exchange (vpcd does this): report it as a
     * removal so the caller reconnects, not as a malformed answer.
     */
    if (rlen == 0)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0,
                                  "reader '%s' returned an empty answer: card removed during the command",
                                  p->reader);
    return IOTSAFE_OK;
}

static iotsafe_rc pcsc_begin(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0,
                                  "not connected to reader '%s'", p->reader);
    LONG r = SCardBeginTransaction(p->h);
    if (r != SCARD_S_SUCCESS)
        return scard_err(st, map_handle_err(r), "SCardBeginTransaction", p->reader, r);
    return IOTSAFE_OK;
}

static iotsafe_rc pcsc_end(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return IOTSAFE_OK;
    LONG r = SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
    if (r != SCARD_S_SUCCESS)
        return scard_err(st, map_handle_err(r), "SCardEndTransaction", p->reader, r);
    return IOTSAFE_OK;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void drop_handles(pcsc_impl *p)
{
    if (p->have_h)
        SCardDisconnect(p->h, SCARD_LEAVE_CARD);
    if (p->have_ctx)
        SCardReleaseContext(p->ctx);
    p->have_h = 0;
    p->have_ctx = 0;
}

static LONG connect_once(pcsc_impl *p)
{
    LONG r;
    if (!p->have_ctx) {
        r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
        if (r != SCARD_S_SUCCESS)
            return r;
        p->have_ctx = 1;
    }
    r = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                     &p->h, &p->proto);
    if (r == SCARD_S_SUCCESS)
        p->have_h = 1;
    return r;
}

static iotsafe_rc pcsc_reconnect(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    LONG r;
    if (p->have_h) {
        /* after another client reset the card, the handle itself is still good */
        DWORD proto;
        r = SCardReconnect(p->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           SCARD_LEAVE_CARD, &proto);
        if (r == SCARD_S_SUCCESS) {
            p->proto = proto;
            return IOTSAFE_OK;
        }
    }
    /* removed card or restarted daemon: start over with a new context */
    drop_handles(p);
    long deadline = now_ms() + PCSC_RECONNECT_MS;
    for (;;) {
        r = connect_once(p);
        if (r == SCARD_S_SUCCESS)
            return IOTSAFE_OK;
        if (r == SCARD_E_NO_SERVICE || r == SCARD_E_SERVICE_STOPPED || r == SCARD_E_INVALID_HANDLE)
            drop_handles(p); /* the daemon went away: the context is stale */
        if (now_ms() >= deadline)
            break;
        sleep_ms(PCSC_POLL_MS);
    }
    iotsafe_rc rc = map_connect_err(r);
    if (rc == IOTSAFE_E_NO_CARD || rc == IOTSAFE_E_NO_READER || rc == IOTSAFE_E_TRANSPORT)
        rc = IOTSAFE_E_CARD_REMOVED;
    return scard_err(st, rc, "reconnecting after card reset/removal", p->reader, r);
}

static const char *pcsc_describe(const iotsafe_transport *t)
{
    const pcsc_impl *p = t->impl;
    return p->reader;
}

static void pcsc_free_mem(iotsafe_transport *t)
{
    pcsc_impl *p = t->impl;
    if (p != NULL)
        free(p->reader);
    free(p);
    free(t);
}

static void pcsc_close(iotsafe_transport *t)
{
    drop_handles(t->impl);
    pcsc_free_mem(t);
}

/* After fork(): the handles belong to the parent, so only free memory. */
static void pcsc_discard(iotsafe_transport *t)
{
    pcsc_free_mem(t);
}

static const iotsafe_transport_ops pcsc_ops = {
    .name = "pcsc",
    .transmit = pcsc_transmit,
    .begin = pcsc_begin,
    .end = pcsc_end,
    .reconnect = pcsc_reconnect,
    .describe = pcsc_describe,
    .close = pcsc_close,
    .discard = pcsc_discard,
};

iotsafe_rc iotsafe_pcsc_list_readers(char **names, size_t *count, iotsafe_status *st)
{
    if (names == NULL || count == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "list readers: NULL argument");
    *names = NULL;
    *count = 0;
    SCARDCONTEXT ctx;
    LONG r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (r != SCARD_S_SUCCESS)
        return scard_err(st, map_connect_err(r),
                         r == SCARD_E_NO_SERVICE ? "no PC/SC service (is pcscd running?)"
                                                 : "SCardEstablishContext",
                         NULL, r);
    char *buf = NULL;
    DWORD len = 0;
    /* the list may grow between the size query and the read: retry a few times */
    for (int tries = 0; tries < 5; tries++) {
        len = 0;
        r = SCardListReaders(ctx, NULL, NULL, &len);
        if (r != SCARD_S_SUCCESS)
            break;
        free(buf);
        buf = malloc(len + 1);
        if (buf == NULL) {
            SCardReleaseContext(ctx);
            return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "list readers: out of memory");
        }
        r = SCardListReaders(ctx, NULL, buf, &len);
        if (r != SCARD_E_INSUFFICIENT_BUFFER)
            break;
    }
    SCardReleaseContext(ctx);
    if (r != SCARD_S_SUCCESS) {
        free(buf);
        if (r == SCARD_E_NO_READERS_AVAILABLE)
            return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0, "no smart card reader found");
        return scard_err(st, map_connect_err(r), "SCardListReaders", NULL, r);
    }
    /* make sure the multi-string is double-NUL terminated whatever came back */
    if (len == 0 || buf[len - 1] != '\0')
        buf[len++] = '\0';
    if (len < 2 || buf[len - 2] != '\0') {
        char *nb = realloc(buf, len + 1);
        if (nb == NULL) {
            free(buf);
            return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "list readers: out of memory");
        }
        buf = nb;
        buf[len++] = '\0';
    }
    size_t n = 0;
    for (const char *s = buf; *s != '\0'; s += strlen(s) + 1)
        n++;
    if (n == 0) {
        free(buf);
        return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0, "no smart card reader found");
    }
    *names = buf;
    *count = n;
    return IOTSAFE_OK;
}

iotsafe_rc iotsafe_pcsc_open(const char *reader_name, iotsafe_transport **out, iotsafe_status *st)
{
    if (reader_name == NULL || *reader_name == '\0' || out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "PC/SC open: no reader name");
    *out = NULL;
    iotsafe_transport *t = calloc(1, sizeof *t);
    pcsc_impl *p = calloc(1, sizeof *p);
    char *name = strdup(reader_name);
    if (t == NULL || p == NULL || name == NULL) {
        free(t);
        free(p);
        free(name);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "PC/SC open: out of memory");
    }
    p->reader = name;
    t->ops = &pcsc_ops;
    t->impl = p;
    LONG r = connect_once(p);
    if (r != SCARD_S_SUCCESS) {
        iotsafe_rc rc = map_connect_err(r);
        if (rc == IOTSAFE_E_NO_CARD)
            iotsafe_status_set(st, rc, 0, "no card in reader '%s' (%s)", reader_name,
                               pcsc_stringify_error(r));
        else if (rc == IOTSAFE_E_NO_SERVICE)
            scard_err(st, rc, "no PC/SC service (is pcscd running?)", NULL, r);
        else
            scard_err(st, rc, "SCardConnect", reader_name, r);
        pcsc_close(t);
        return rc;
    }
    *out = t;
    return IOTSAFE_OK;
}
