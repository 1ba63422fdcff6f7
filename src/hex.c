/* SPDX-License-Identifier: Apache-2.0 */
/* Hex text <-> bytes: the one implementation every layer uses. */
#include "iotsafe/hex.h"

#include <string.h>

int iotsafe_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int iotsafe_hex_parse(const char *s, const char *seps, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    if (s == NULL || out == NULL || out_len == NULL)
        return -1;
    while (*s != '\0') {
        int hi, lo;
        if (seps != NULL && strchr(seps, *s) != NULL) {
            s++;
            continue;
        }
        /* s[1] is read only when s[0] is a digit, so never past the NUL. */
        if ((hi = iotsafe_hex_digit((unsigned char)s[0])) < 0 ||
            (lo = iotsafe_hex_digit((unsigned char)s[1])) < 0 || n == cap)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    if (n == 0)
        return -1;
    *out_len = n;
    return 0;
}

static const char *format(const uint8_t *p, size_t len, char *buf, size_t buflen,
                          const char digits[16])
{
    size_t o = 0;
    if (buflen == 0)
        return buf;
    for (size_t i = 0; i < len && buflen - o > 2; i++) {
        buf[o++] = digits[p[i] >> 4];
        buf[o++] = digits[p[i] & 0x0F];
    }
    buf[o] = '\0';
    return buf;
}

const char *iotsafe_hex_format(const uint8_t *p, size_t len, char *buf, size_t buflen)
{
    return format(p, len, buf, buflen, "0123456789ABCDEF");
}

const char *iotsafe_hex_format_lower(const uint8_t *p, size_t len, char *buf, size_t buflen)
{
    return format(p, len, buf, buflen, "0123456789abcdef");
}
