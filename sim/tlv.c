/* SPDX-License-Identifier: Apache-2.0 */
/* Strict TLV reading/writing for command data (1-byte tags, short and BER long lengths). */
#include <string.h>

#include "internal.h"

/*
 * Length field at p: 00-7F, 81 xx, 82 xxxx. Other first bytes (80, 83-FF) are
 * taken as a plain one-byte length, because some hosts (ORA) send long values
 * that way. Never reads past avail.
 */
int sim_tlv_len(const uint8_t *p, size_t avail, size_t *len, size_t *hdr)
{
    if (avail < 1)
        return -1;
    if (p[0] == 0x81) {
        if (avail < 2)
            return -1;
        *len = p[1];
        *hdr = 2;
    } else if (p[0] == 0x82) {
        if (avail < 3)
            return -1;
        *len = (size_t)p[1] << 8 | p[2];
        *hdr = 3;
    } else {
        *len = p[0];
        *hdr = 1;
    }
    return 0;
}

/* Split p[0..n) into TLVs; every value must lie inside the buffer. Tags must not repeat. */
int sim_tlv_parse(const uint8_t *p, size_t n, sim_tlv *out, size_t cap, size_t *count)
{
    size_t off = 0, k = 0;
    while (off < n) {
        size_t len, hdr;
        uint8_t tag = p[off];
        if (sim_tlv_len(p + off + 1, n - off - 1, &len, &hdr) != 0)
            return -1;
        off += 1 + hdr;
        if (len > n - off || k == cap)
            return -1;
        for (size_t i = 0; i < k; i++)
            if (out[i].tag == tag)
                return -1;
        out[k].tag = tag;
        out[k].v = p + off;
        out[k].len = len;
        k++;
        off += len;
    }
    *count = k;
    return 0;
}

const sim_tlv *sim_tlv_find(const sim_tlv *t, size_t n, uint8_t tag)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].tag == tag)
            return &t[i];
    return NULL;
}

/* Write tag, length (1 byte below 0x80, else 81/82 form) and value; returns bytes written. */
size_t sim_tlv_put(uint8_t *out, uint8_t tag, const uint8_t *v, size_t len)
{
    size_t n = 0;
    out[n++] = tag;
    if (len < 0x80) {
        out[n++] = (uint8_t)len;
    } else if (len <= 0xFF) {
        out[n++] = 0x81;
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x82;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    }
    if (len > 0)
        memmove(out + n, v, len);
    return n + len;
}
