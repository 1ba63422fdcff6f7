/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APDU trace, one line per APDU, on stderr or the caller's stream. Data fields that may carry secrets
 * (DH outputs, PRF/HKDF inputs and outputs, card random numbers) are replaced
 * by their length so a trace can be shared safely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "iotsafe/hex.h"

struct line {
    char buf[1024];
    size_t len;
    int cut;
};

static void put_str(struct line *l, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof l->buf - 1 - l->len) {
        l->cut = 1;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

static void put_hex(struct line *l, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !l->cut; i++) {
        char b[4] = " ";
        iotsafe_hex_format(p + i, 1, b + 1, sizeof b - 1);
        put_str(l, b);
    }
}

static void put_redacted(struct line *l, size_t n)
{
    char b[48];
    snprintf(b, sizeof b, " [%zu bytes redacted]", n);
    put_str(l, b);
}

void trace_apdu(const iotsafe_card *c, int outgoing, const uint8_t *p, size_t len, unsigned redact)
{
    if (!c->trace)
        return;
    struct line l = {.len = 0, .cut = 0};
    l.buf[0] = '\0';
    put_str(&l, outgoing ? "iotsafe: >" : "iotsafe: <");
    if (outgoing) {
        if ((redact & CARD_REDACT_CMD) && len > 5 && (size_t)p[4] + 5 <= len) {
            size_t lc = p[4];
            put_hex(&l, p, 5);
            put_redacted(&l, lc);
            put_hex(&l, p + 5 + lc, len - 5 - lc);
        } else {
            put_hex(&l, p, len);
        }
    } else {
        size_t data = len >= 2 ? len - 2 : 0;
        if ((redact & CARD_REDACT_RESP) && data > 0) {
            put_redacted(&l, data);
            put_hex(&l, p + data, len - data);
        } else {
            put_hex(&l, p, len);
        }
    }
    if (l.cut) {
        l.len = strlen(l.buf);
        /* keep the line well-formed even if an answer is unusually long */
        snprintf(l.buf + (l.len > sizeof l.buf - 8 ? sizeof l.buf - 8 : l.len), 8, " ...");
    }
    fprintf(c->trace_out != NULL ? c->trace_out : stderr, "%s\n", l.buf);
}
