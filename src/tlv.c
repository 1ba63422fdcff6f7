/* SPDX-License-Identifier: Apache-2.0 */
/* Strict BER-TLV reader/writer: one-byte tags, lengths short, 81 xx or 82 xx xx. */
#include <string.h>

#include "iotsafe/tlv.h"

void iotsafe_tlv_reader_init(iotsafe_tlv_reader *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = buf != NULL ? len : 0;
    r->pos = 0;
}

iotsafe_rc iotsafe_tlv_next(iotsafe_tlv_reader *r, iotsafe_tlv *out)
{
    if (r->pos >= r->len)
        return IOTSAFE_E_NOT_FOUND;
    size_t left = r->len - r->pos;
    const uint8_t *p = r->buf + r->pos;
    if (left < 2)
        return IOTSAFE_E_MALFORMED;
    size_t hdr, vlen;
    if (p[1] < 0x80) {
        hdr = 2;
        vlen = p[1];
    } else if (p[1] == 0x81) {
        if (left < 3)
            return IOTSAFE_E_MALFORMED;
        hdr = 3;
        vlen = p[2];
    } else if (p[1] == 0x82) {
        if (left < 4)
            return IOTSAFE_E_MALFORMED;
        hdr = 4;
        vlen = (size_t)p[2] << 8 | p[3];
    } else {
        return IOTSAFE_E_MALFORMED; /* indefinite (80) or 83+ */
    }
    if (vlen > left - hdr)
        return IOTSAFE_E_MALFORMED;
    out->tag = p[0];
    out->value = p + hdr;
    out->len = vlen;
    r->pos += hdr + vlen;
    return IOTSAFE_OK;
}

iotsafe_rc iotsafe_tlv_find(const uint8_t *buf, size_t len, uint8_t tag, iotsafe_tlv *out)
{
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_rc rc;
    iotsafe_tlv_reader_init(&r, buf, len);
    while ((rc = iotsafe_tlv_next(&r, &t)) == IOTSAFE_OK) {
        if (t.tag == tag) {
            *out = t;
            return IOTSAFE_OK;
        }
    }
    return rc;
}

/*
 * Cards disagree on the length of tag 33: "00 40" (fixed two bytes), "40"
 * (one byte) or BER 81/82. When both the one- and two-byte readings fit, the
 * one that consumes the input exactly wins, then the one matching hint_len.
 */
iotsafe_rc iotsafe_tlv_parse_sig33(const uint8_t *buf, size_t len, size_t hint_len,
                                   iotsafe_tlv *out)
{
    if (buf == NULL || len < 2 || buf[0] != 0x33)
        return IOTSAFE_E_MALFORMED;
    const uint8_t b1 = buf[1];
    if (b1 == 0x81 || b1 == 0x82) {
        size_t hdr = b1 == 0x81 ? 3 : 4;
        if (len < hdr)
            return IOTSAFE_E_MALFORMED;
        size_t vlen = b1 == 0x81 ? buf[2] : ((size_t)buf[2] << 8 | buf[3]);
        if (vlen > len - hdr)
            return IOTSAFE_E_MALFORMED;
        out->tag = 0x33;
        out->value = buf + hdr;
        out->len = vlen;
        return IOTSAFE_OK;
    }
    if (b1 >= 0x80)
        return IOTSAFE_E_MALFORMED;

    const size_t one_len = b1;
    const int one_fits = one_len <= len - 2;
    const int one_exact = one_len == len - 2;
    size_t two_len = 0;
    int two_fits = 0, two_exact = 0;
    if (len >= 3) {
        two_len = (size_t)b1 << 8 | buf[2];
        two_fits = two_len <= len - 3;
        two_exact = two_len == len - 3;
    }

    int use_two;
    if (b1 == 0x00 && hint_len != 0) {
        /* a signature is expected, so "33 00" starts a two-byte length */
        if (!two_fits)
            return IOTSAFE_E_MALFORMED;
        use_two = 1;
    } else if (one_exact && two_exact)
        use_two = hint_len != 0 ? two_len == hint_len : b1 == 0x00;
    else if (two_exact)
        use_two = 1;
    else if (one_exact)
        use_two = 0;
    else if (hint_len != 0 && two_fits && two_len == hint_len)
        use_two = 1;
    else if (hint_len != 0 && one_fits && one_len == hint_len)
        use_two = 0;
    else if (one_fits && !(b1 == 0x00 && two_fits))
        use_two = 0;
    else if (two_fits)
        use_two = 1;
    else
        return IOTSAFE_E_MALFORMED;

    out->tag = 0x33;
    out->value = buf + (use_two ? 3 : 2);
    out->len = use_two ? two_len : one_len;
    return IOTSAFE_OK;
}

void iotsafe_tlv_writer_init(iotsafe_tlv_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->len = 0;
    w->overflow = 0;
}

void iotsafe_tlv_put_raw(iotsafe_tlv_writer *w, const uint8_t *p, size_t len)
{
    if (w->overflow)
        return;
    if (len > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    if (len != 0)
        memcpy(w->buf + w->len, p, len);
    w->len += len;
}

void iotsafe_tlv_put(iotsafe_tlv_writer *w, uint8_t tag, const uint8_t *value, size_t len)
{
    uint8_t hdr[4];
    size_t n = 0;
    if (len > 0xFFFF || (len != 0 && value == NULL)) {
        w->overflow = 1;
        return;
    }
    hdr[n++] = tag;
    if (len < 0x80) {
        hdr[n++] = (uint8_t)len;
    } else if (len <= 0xFF) {
        hdr[n++] = 0x81;
        hdr[n++] = (uint8_t)len;
    } else {
        hdr[n++] = 0x82;
        hdr[n++] = (uint8_t)(len >> 8);
        hdr[n++] = (uint8_t)len;
    }
    /* check the whole TLV fits so a partial header is never left behind */
    if (w->overflow || n + len > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    iotsafe_tlv_put_raw(w, hdr, n);
    iotsafe_tlv_put_raw(w, value, len);
}

void iotsafe_tlv_put_u8(iotsafe_tlv_writer *w, uint8_t tag, uint8_t v)
{
    iotsafe_tlv_put(w, tag, &v, 1);
}

void iotsafe_tlv_put_u16(iotsafe_tlv_writer *w, uint8_t tag, uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    iotsafe_tlv_put(w, tag, b, 2);
}

iotsafe_rc iotsafe_tlv_writer_status(const iotsafe_tlv_writer *w)
{
    return w->overflow ? IOTSAFE_E_BUFFER : IOTSAFE_OK;
}
