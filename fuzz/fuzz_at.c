/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the AT answer parser (src/at_parse.c). Two halves,
 * picked by the first input byte:
 *  - even: the rest is a modem's raw answer; nothing may crash, read out of
 *    bounds or return an inconsistent result;
 *  - odd: the rest is an APDU answer that we dress up the way some modem
 *    would (echo, quotes or not, spaces, unsolicited lines, a repeated
 *    earlier answer); the parser must give exactly those bytes back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/at_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_status(const iotsafe_status *st)
{
    if (memchr(st->msg, '\0', sizeof st->msg) == NULL)
        abort();
}

static void raw_answer(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so any read past the end is caught */
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return;
    memcpy(buf, data, size);
    at_answer a;
    iotsafe_status st;
    if (at_find_final(buf, size, &a)) {
        if (a.end > size || a.final == AT_FINAL_NONE)
            abort();
        if (memchr(a.text, '\0', sizeof a.text) == NULL)
            abort();
        iotsafe_status_clear(&st);
        if (a.final != AT_FINAL_OK && at_final_error(&a, "fuzz", &st) == IOTSAFE_OK)
            abort();
        check_status(&st);
    }
    static const size_t caps[] = {258, 3, 0};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        uint8_t resp[258];
        size_t n = caps[i];
        iotsafe_status_clear(&st);
        iotsafe_rc rc = at_parse_apdu(buf, size, i == 1 ? "+CGLA" : "+CSIM", resp, &n, &st);
        if (rc == IOTSAFE_OK && (n < 2 || n > caps[i]))
            abort();
        if (rc != IOTSAFE_OK && n != 0)
            abort();
        check_status(&st);
    }
    unsigned long sid;
    iotsafe_status_clear(&st);
    (void)at_parse_ccho(buf, size, &sid, &st);
    check_status(&st);
    free(buf);
}

static size_t put(char *out, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (at + n > cap)
        abort();
    memcpy(out + at, s, n);
    return at + n;
}

static void dressed_answer(uint8_t style, const uint8_t *payload, size_t len)
{
    if (len < 2 || len > 258)
        return;
    static const char hex[] = "0123456789ABCDEF", lhex[] = "0123456789abcdef";
    const char *digits = (style & 0x40) ? lhex : hex;
    char text[2048];
    char num[32];
    size_t k = 0;
    const char *eol = (style & 0x01) ? "\r" : "\r\n";
    if (style & 0x02) /* echo of the command */
        k = put(text, k, sizeof text, "AT+CSIM=10,\"81C0000043\"\r");
    if (style & 0x04) { /* unsolicited lines */
        k = put(text, k, sizeof text, "\r\n+CREG: 1\r\n\r\nRING");
        k = put(text, k, sizeof text, eol);
    }
    if (style & 0x08) { /* an earlier answer repeated in front */
        k = put(text, k, sizeof text, "+CSIM: 4,\"6143\"");
        k = put(text, k, sizeof text, eol);
    }
    snprintf(num, sizeof num, (style & 0x10) ? "+CSIM:%zu , " : "+CSIM: %zu,", 2 * len);
    k = put(text, k, sizeof text, num);
    int quoted = !(style & 0x20);
    if (quoted)
        k = put(text, k, sizeof text, "\"");
    for (size_t i = 0; i < len; i++) {
        text[k++] = digits[payload[i] >> 4];
        text[k++] = digits[payload[i] & 15];
    }
    if (quoted)
        k = put(text, k, sizeof text, "\"");
    k = put(text, k, sizeof text, eol);
    k = put(text, k, sizeof text, (style & 0x80) ? "\r\nOK " : "\r\nOK");
    k = put(text, k, sizeof text, eol);

    at_answer a;
    if (!at_find_final(text, k, &a) || a.final != AT_FINAL_OK || a.end != k)
        abort();
    uint8_t resp[258];
    size_t n = sizeof resp;
    iotsafe_status st;
    if (at_parse_apdu(text, a.end, "+CSIM", resp, &n, &st) != IOTSAFE_OK)
        abort();
    if (n != len || memcmp(resp, payload, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] & 1)
        dressed_answer(data[1], data + 2, size - 2);
    else
        raw_answer(data + 1, size - 1);
    return 0;
}
