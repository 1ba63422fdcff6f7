/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcsc_wait: readiness probe and card-side actions for the e2e harness.
 *
 *   pcsc_wait [--reader NAME] [--aid HEX] [--timeout MS] [--absent | --reset]
 *
 * default   wait until pcscd answers, NAME shows a card, and SELECT of the AID
 *           answers 9000 (or 61xx/91xx); exit 0, else exit 1 with the last
 *           thing seen when the timeout expires.
 * --absent  wait until NAME shows no card (used after stopping the simulator so
 *           that the next client sees "no card" deterministically).
 * --reset   wait for the card, connect and disconnect with SCARD_RESET_CARD
 *           (no APDU) so that other clients get SCARD_W_RESET_CARD on their
 *           next call.
 * Defaults: NAME "Virtual PCD 00 00", AID A0000005590010, timeout 15000 ms.
 * Honours PCSCLITE_CSOCK_NAME through libpcsclite.
 */
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iotsafe/card.h"
#include "iotsafe/hex.h"

enum mode { MODE_READY, MODE_ABSENT, MODE_RESET };

struct opts {
    const char *reader;
    uint8_t aid[16];
    size_t aid_len;
    long timeout_ms;
    enum mode mode;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    o->reader = "Virtual PCD 00 00";
    memcpy(o->aid, IOTSAFE_AID_GSMA, sizeof IOTSAFE_AID_GSMA);
    o->aid_len = sizeof IOTSAFE_AID_GSMA;
    o->timeout_ms = 15000;
    o->mode = MODE_READY;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--reader") == 0 && v) {
            o->reader = v;
            i++;
        } else if (strcmp(a, "--aid") == 0 && v) {
            if (iotsafe_hex_parse(v, NULL, o->aid, sizeof o->aid, &o->aid_len) != 0) {
                fprintf(stderr, "pcsc_wait: bad AID '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--timeout") == 0 && v) {
            char *end;
            o->timeout_ms = strtol(v, &end, 10);
            if (*end != '\0' || o->timeout_ms <= 0) {
                fprintf(stderr, "pcsc_wait: bad timeout '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--absent") == 0) {
            o->mode = MODE_ABSENT;
        } else if (strcmp(a, "--reset") == 0) {
            o->mode = MODE_RESET;
        } else {
            fprintf(stderr, "usage: pcsc_wait [--reader NAME] [--aid HEX] [--timeout MS] "
                            "[--absent | --reset]\n");
            return -1;
        }
    }
    return 0;
}

/* SELECT by DF name without Le, as the applet expects. Returns SW or -1 on a PC/SC error. */
static long select_aid(SCARDHANDLE h, DWORD proto, const struct opts *o, char *why, size_t whylen)
{
    uint8_t cmd[5 + 16], resp[258];
    cmd[0] = 0x00;
    cmd[1] = 0xA4;
    cmd[2] = 0x04;
    cmd[3] = 0x00;
    cmd[4] = (uint8_t)o->aid_len;
    memcpy(cmd + 5, o->aid, o->aid_len);
    DWORD rlen = sizeof resp;
    const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit(h, pci, cmd, 5 + o->aid_len, NULL, resp, &rlen);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(why, whylen, "SCardTransmit(SELECT): %s (0x%08lX)", pcsc_stringify_error(rv),
                 (unsigned long)rv);
        return -1;
    }
    if (rlen < 2) {
        snprintf(why, whylen, "SELECT answer too short (%lu bytes)", (unsigned long)rlen);
        return -1;
    }
    return (long)resp[rlen - 2] << 8 | resp[rlen - 1];
}

static int sw_ok(long sw)
{
    return sw == 0x9000 || (sw >> 8) == 0x61 || (sw >> 8) == 0x91;
}

/* One attempt to talk to a present card. Returns 1 when done, 0 to retry. */
static int try_card(SCARDCONTEXT ctx, const struct opts *o, char *why, size_t whylen)
{
    SCARDHANDLE h;
    DWORD proto = 0;
    LONG rv = SCardConnect(ctx, o->reader, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(why, whylen, "SCardConnect: %s (0x%08lX)", pcsc_stringify_error(rv),
                 (unsigned long)rv);
        return 0;
    }
    if (o->mode == MODE_RESET) {
        /*
         * No APDU: a transmit would wait for another client's transaction. The
         * disconnect waits for that transaction to end, then resets, so the
         * reset lands between two of the other client's operations.
         */
        rv = SCardDisconnect(h, SCARD_RESET_CARD);
        if (rv != SCARD_S_SUCCESS) {
            snprintf(why, whylen, "SCardDisconnect(RESET): %s (0x%08lX)", pcsc_stringify_error(rv),
                     (unsigned long)rv);
            return 0;
        }
        return 1;
    }
    long sw = select_aid(h, proto, o, why, whylen);
    int done = sw >= 0 && sw_ok(sw);
    if (sw >= 0 && !done)
        snprintf(why, whylen, "SELECT answered SW %04lX", (unsigned long)sw);
    rv = SCardDisconnect(h, SCARD_LEAVE_CARD);
    if (done && rv != SCARD_S_SUCCESS) {
        snprintf(why, whylen, "SCardDisconnect: %s (0x%08lX)", pcsc_stringify_error(rv),
                 (unsigned long)rv);
        return 0;
    }
    return done;
}

static int run(const struct opts *o)
{
    const long deadline = now_ms() + o->timeout_ms;
    SCARDCONTEXT ctx = 0;
    int have_ctx = 0;
    char why[200] = "nothing tried yet";
    DWORD known = SCARD_STATE_UNAWARE;

    while (now_ms() < deadline) {
        if (!have_ctx) {
            LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
            if (rv != SCARD_S_SUCCESS) {
                /* pcscd binds its socket ~65 ms after start: retry quickly. */
                snprintf(why, sizeof why, "SCardEstablishContext: %s (0x%08lX)",
                         pcsc_stringify_error(rv), (unsigned long)rv);
                sleep_ms(10);
                continue;
            }
            have_ctx = 1;
            known = SCARD_STATE_UNAWARE;
        }
        SCARD_READERSTATE rs;
        memset(&rs, 0, sizeof rs);
        rs.szReader = o->reader;
        rs.dwCurrentState = known;
        long left = deadline - now_ms();
        DWORD wait = known == SCARD_STATE_UNAWARE
                         ? 0
                         : (DWORD)(left < 200 ? (left > 0 ? left : 1) : 200);
        LONG rv = SCardGetStatusChange(ctx, wait, &rs, 1);
        if (rv == SCARD_E_TIMEOUT) {
            continue;
        } else if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
                   rv == SCARD_E_INVALID_HANDLE) {
            snprintf(why, sizeof why, "SCardGetStatusChange: %s (0x%08lX)",
                     pcsc_stringify_error(rv), (unsigned long)rv);
            SCardReleaseContext(ctx);
            have_ctx = 0;
            if (o->mode == MODE_ABSENT)
                return 0; /* no daemon: certainly no card */
            sleep_ms(10);
            continue;
        } else if (rv != SCARD_S_SUCCESS) {
            /* e.g. the reader is not registered yet */
            snprintf(why, sizeof why, "SCardGetStatusChange: %s (0x%08lX)",
                     pcsc_stringify_error(rv), (unsigned long)rv);
            known = SCARD_STATE_UNAWARE;
            if (o->mode == MODE_ABSENT && rv == SCARD_E_UNKNOWN_READER)
                break;
            sleep_ms(20);
            continue;
        }
        DWORD st = rs.dwEventState;
        known = st & ~(DWORD)SCARD_STATE_CHANGED;
        if (st & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) {
            snprintf(why, sizeof why, "reader '%s' not present", o->reader);
            if (o->mode == MODE_ABSENT)
                break;
            known = SCARD_STATE_UNAWARE;
            sleep_ms(20);
            continue;
        }
        if (o->mode == MODE_ABSENT) {
            if (st & SCARD_STATE_EMPTY)
                break;
            snprintf(why, sizeof why, "card still present in '%s'", o->reader);
            continue;
        }
        if (!(st & SCARD_STATE_PRESENT) || (st & SCARD_STATE_MUTE)) {
            snprintf(why, sizeof why, "no (responsive) card in '%s'", o->reader);
            continue;
        }
        if (try_card(ctx, o, why, sizeof why)) {
            SCardReleaseContext(ctx);
            return 0;
        }
        sleep_ms(50);
        known = SCARD_STATE_UNAWARE;
    }
    if (have_ctx)
        SCardReleaseContext(ctx);
    if (o->mode == MODE_ABSENT && now_ms() < deadline)
        return 0;
    fprintf(stderr, "pcsc_wait: timeout after %ld ms: %s\n", o->timeout_ms, why);
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    return run(&o);
}
