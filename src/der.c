/* SPDX-License-Identifier: Apache-2.0 */
#include "iotsafe/der.h"

#include <string.h>

size_t iotsafe_der_hdr_size(size_t len)
{
    if (len < 0x80)
        return 2;
    if (len < 0x100)
        return 3;
    if (len < 0x10000)
        return 4;
    return 0;
}

int iotsafe_der_put_hdr(uint8_t *out, size_t cap, size_t *pos, uint8_t tag, size_t len)
{
    size_t h = iotsafe_der_hdr_size(len);
    if (h == 0 || *pos > cap || cap - *pos < h)
        return -1;
    out[(*pos)++] = tag;
    if (len < 0x80) {
        out[(*pos)++] = (uint8_t)len;
    } else if (len < 0x100) {
        out[(*pos)++] = 0x81;
        out[(*pos)++] = (uint8_t)len;
    } else {
        out[(*pos)++] = 0x82;
        out[(*pos)++] = (uint8_t)(len >> 8);
        out[(*pos)++] = (uint8_t)len;
    }
    return 0;
}

int iotsafe_der_put_raw(uint8_t *out, size_t cap, size_t *pos, const uint8_t *p, size_t n)
{
    if (*pos > cap || cap - *pos < n)
        return -1;
    if (n > 0)
        memcpy(out + *pos, p, n);
    *pos += n;
    return 0;
}

int iotsafe_der_get_hdr(const uint8_t *in, size_t len, size_t *pos, uint8_t tag, size_t *clen)
{
    size_t p = *pos, l;
    if (p > len || len - p < 2 || in[p] != tag)
        return -1;
    p++;
    if (in[p] < 0x80) {
        l = in[p++];
    } else if (in[p] == 0x81) {
        if (len - p < 2 || in[p + 1] < 0x80) /* minimal form only */
            return -1;
        l = in[p + 1];
        p += 2;
    } else if (in[p] == 0x82) {
        if (len - p < 3 || in[p + 1] == 0)
            return -1;
        l = (size_t)in[p + 1] << 8 | in[p + 2];
        p += 3;
    } else {
        return -1; /* indefinite or absurdly long */
    }
    if (len - p < l)
        return -1;
    *pos = p;
    *clen = l;
    return 0;
}
