/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the escaping of untrusted text. Whatever the bytes and the
 * buffer size: NUL-terminated inside the buffer, no control byte, ESC, DEL
 * or C1/bidi/line-separator sequence in the output, well-formed UTF-8, and
 * without truncation exactly as long as the worst-case bound allows. The
 * JSON form: the same, only the escapes \" \\ \uXXXX and no raw quote, and
 * never cut (NULL and "" when the buffer is too small).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether s is well-formed UTF-8 without refused code points (see escape.h). */
static int clean_utf8(const unsigned char *s)
{
    while (*s != '\0') {
        unsigned c = *s;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return 0;
            s++;
            continue;
        }
        size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
        if (k == 0 || c > 0xF4)
            return 0;
        uint32_t v = c & (0x3Fu >> k);
        for (size_t i = 1; i <= k; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            v = v << 6 | (s[i] & 0x3Fu);
        }
        if ((v >= 0x80 && v <= 0x9F) || v == 0x2028 || v == 0x2029 || v == 0x200E || v == 0x200F ||
            (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069))
            return 0;
        s += k + 1;
    }
    return 1;
}

/* Whether s is a valid JSON string body: no raw '"', escapes only \" \\ \uXXXX. */
static int json_body(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s != '\0'; s++) {
        if (*s == '"')
            return 0;
        if (*s != '\\')
            continue;
        s++;
        if (*s == 'u') {
            for (int i = 1; i <= 4; i++)
                if (s[i] == '\0' || strchr(hex, s[i]) == NULL)
                    return 0;
            s += 4;
        } else if (*s != '"' && *s != '\\') {
            return 0;
        }
    }
    return 1;
}

static void check_json(const uint8_t *data, size_t size, size_t cap)
{
    char *full = malloc(IOTSAFE_JSON_ESCAPED_SIZE(size));
    char *out = malloc(cap + 1);
    if (full == NULL || out == NULL)
        abort();
    if (iotsafe_escape_json(data, size, full, IOTSAFE_JSON_ESCAPED_SIZE(size)) != full ||
        !clean_utf8((const unsigned char *)full) || !json_body(full))
        abort(); /* the worst-case bound always fits */
    out[cap] = 'Z';
    const char *r = iotsafe_escape_json(data, size, out, cap);
    if (out[cap] != 'Z')
        abort();
    if (r != NULL ? strcmp(out, full) != 0 || strlen(full) >= cap : cap > 0 && out[0] != '\0')
        abort(); /* whole, or nothing */
    if (r == NULL && cap > strlen(full))
        abort();
    free(out);
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = data[0]; /* 0..255: small buffers, cut output */
    data++;
    size--;
    char *out = malloc(cap + 1);
    char *full = malloc(IOTSAFE_ESCAPED_SIZE(size));
    if (out == NULL || full == NULL)
        abort();
    out[cap] = 'Z'; /* canary past the buffer */
    iotsafe_escape(data, size, out, cap);
    if (out[cap] != 'Z' || (cap > 0 && memchr(out, '\0', cap) == NULL))
        abort();
    if (cap > 0 && !clean_utf8((const unsigned char *)out))
        abort();
    iotsafe_escape(data, size, full, IOTSAFE_ESCAPED_SIZE(size));
    if (!clean_utf8((const unsigned char *)full) ||
        (strstr(full, "...(+") != NULL && memmem(data, size, "...(+", 5) == NULL))
        abort(); /* the worst-case bound never truncates */
    /* a cut output is a prefix of the full one, followed by the marker */
    if (cap > 0 && out[0] != '\0' && strcmp(out, full) != 0) { /* "" when no marker fits */
        const char *m = strstr(out, "...(+");
        if (m == NULL || strncmp(out, full, (size_t)(m - out)) != 0)
            abort();
    }
    free(out);
    free(full);
    check_json(data, size, cap);
    return 0;
}
