/* SPDX-License-Identifier: Apache-2.0 */
/* Escaping of untrusted bytes for messages, logs, the trace and JSON output (see escape.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "iotsafe/escape.h"
#include "iotsafe/hex.h"

/* Length of the well-formed UTF-8 sequence at p (2..4), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t k;
    uint32_t v, min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        k = 2, v = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        k = 3, v = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        k = 4, v = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0; /* overlong, out of range, surrogate */
    *cp = v;
    return k;
}

/* Code points a terminal would act on rather than show. */
static int refused(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Escaped form of the character at p[i]: written to piece, returns bytes of input used. */
static size_t piece_at(const uint8_t *p, size_t n, size_t i, char piece[4], size_t *plen)
{
    uint32_t cp = 0;
    size_t k = p[i] >= 0x80 ? utf8_seq(p + i, n - i, &cp) : 0;
    if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\\') {
        piece[0] = (char)p[i];
        *plen = 1;
        return 1;
    }
    if (p[i] == '\\') {
        piece[0] = piece[1] = '\\';
        *plen = 2;
        return 1;
    }
    if (k > 0 && !refused(cp)) {
        memcpy(piece, p + i, k);
        *plen = k;
        return k;
    }
    /* one byte at a time: a refused sequence shows all its bytes */
    char digits[3];
    iotsafe_hex_format_lower(p + i, 1, digits, sizeof digits);
    piece[0] = '\\';
    piece[1] = 'x';
    piece[2] = digits[0];
    piece[3] = digits[1];
    *plen = 4;
    return 1;
}

const char *iotsafe_escape(const void *vp, size_t n, char *out, size_t cap)
{
    const uint8_t *p = vp;
    char piece[4];
    size_t plen, total = 0, reserve = 0, j = 0;

    if (out == NULL || cap == 0)
        return "";
    if (p == NULL)
        n = 0;
    for (size_t i = 0; i < n;)
        i += piece_at(p, n, i, piece, &plen), total += plen;
    if (total >= cap) /* will be cut: keep room for the longest marker */
        reserve = (size_t)snprintf(NULL, 0, "...(+%zu bytes)", n);
    for (size_t i = 0; i < n;) {
        size_t used = piece_at(p, n, i, piece, &plen);
        if (j + plen + reserve + 1 > cap) {
            int m = snprintf(out + j, cap - j, "...(+%zu bytes)", n - i);
            if (m < 0 || (size_t)m >= cap - j)
                out[j] = '\0'; /* cap smaller than any marker */
            return out;
        }
        memcpy(out + j, piece, plen);
        j += plen;
        i += used;
    }
    out[j] = '\0';
    return out;
}

const char *iotsafe_escape_str(const char *s, char *out, size_t cap)
{
    return iotsafe_escape(s, s != NULL ? strlen(s) : 0, out, cap);
}

/* JSON string contents (see escape.h): returns the bytes of input used, the piece in piece. */
static size_t json_piece_at(const uint8_t *p, size_t n, size_t i, char piece[7], size_t *plen)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t cp = p[i];
    size_t used = 1;
    if (p[i] >= 0x20 && p[i] < 0x7F) {
        size_t k = 0;
        if (p[i] == '"' || p[i] == '\\')
            piece[k++] = '\\';
        piece[k++] = (char)p[i];
        *plen = k;
        return 1;
    }
    if (p[i] >= 0x80) {
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k > 0 && !refused(cp)) {
            memcpy(piece, p + i, k);
            *plen = k;
            return k;
        }
        if (k == 0)
            cp = 0xFFFD; /* one replacement character per byte of malformed UTF-8 */
        else
            used = k;
    }
    /* C0 controls, DEL, refused code points (all below U+10000): \uXXXX */
    piece[0] = '\\';
    piece[1] = 'u';
    for (int d = 0; d < 4; d++)
        piece[2 + d] = hex[(cp >> (12 - 4 * d)) & 0xF];
    *plen = 6;
    return used;
}

const char *iotsafe_escape_json(const void *vp, size_t n, char *out, size_t cap)
{
    const uint8_t *p = vp;
    char piece[7];
    size_t plen, j = 0;

    if (out == NULL || cap == 0)
        return NULL;
    if (p == NULL)
        n = 0;
    for (size_t i = 0; i < n;) {
        i += json_piece_at(p, n, i, piece, &plen);
        if (j + plen + 1 > cap) {
            out[0] = '\0';
            return NULL;
        }
        memcpy(out + j, piece, plen);
        j += plen;
    }
    out[j] = '\0';
    return out;
}
