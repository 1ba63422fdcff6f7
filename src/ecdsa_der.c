/* SPDX-License-Identifier: Apache-2.0 */
/* ECDSA-Sig-Value DER <-> raw r||s, strict, without OpenSSL. */
#include <string.h>

#include "iotsafe/commands.h"
#include "iotsafe/der.h"

#define HALF_MAX 66 /* P-521, the largest we could ever see */

/* INTEGER body for an unsigned big-endian value: minimal, with 00 if the top bit is set. */
static size_t int_body(const uint8_t *v, size_t n, uint8_t *out)
{
    size_t i = 0;
    while (i < n - 1 && v[i] == 0)
        i++;
    size_t k = 0;
    if (v[i] & 0x80)
        out[k++] = 0x00;
    memcpy(out + k, v + i, n - i);
    return k + n - i;
}

iotsafe_rc iotsafe_ecdsa_rs_to_der(const uint8_t *rs, size_t rs_len, uint8_t *der, size_t *der_len)
{
    if (rs == NULL || der == NULL || der_len == NULL || rs_len == 0 || (rs_len & 1) != 0 ||
        rs_len > 2 * HALF_MAX)
        return IOTSAFE_E_INVALID_ARG;
    const size_t half = rs_len / 2;
    uint8_t r[HALF_MAX + 1], s[HALF_MAX + 1];
    size_t rl = int_body(rs, half, r), sl = int_body(rs + half, half, s);
    size_t body = iotsafe_der_hdr_size(rl) + rl + iotsafe_der_hdr_size(sl) + sl;
    size_t p = 0;
    if (iotsafe_der_put_hdr(der, *der_len, &p, IOTSAFE_DER_SEQUENCE, body) < 0 ||
        iotsafe_der_put_hdr(der, *der_len, &p, IOTSAFE_DER_INTEGER, rl) < 0 ||
        iotsafe_der_put_raw(der, *der_len, &p, r, rl) < 0 ||
        iotsafe_der_put_hdr(der, *der_len, &p, IOTSAFE_DER_INTEGER, sl) < 0 ||
        iotsafe_der_put_raw(der, *der_len, &p, s, sl) < 0)
        return IOTSAFE_E_BUFFER;
    *der_len = p;
    return IOTSAFE_OK;
}

/* One positive INTEGER, left-padded to half bytes. */
static iotsafe_rc get_int(const uint8_t *p, size_t n, size_t *pos, size_t half, uint8_t *out)
{
    size_t len;
    if (iotsafe_der_get_hdr(p, n, pos, IOTSAFE_DER_INTEGER, &len) < 0 || len == 0)
        return IOTSAFE_E_MALFORMED;
    const uint8_t *v = p + *pos;
    if (v[0] & 0x80)
        return IOTSAFE_E_MALFORMED; /* negative */
    if (len > 1 && v[0] == 0x00 && !(v[1] & 0x80))
        return IOTSAFE_E_MALFORMED; /* not minimal */
    *pos += len;
    while (len > 0 && v[0] == 0x00) {
        v++;
        len--;
    }
    if (len > half)
        return IOTSAFE_E_MALFORMED;
    memset(out, 0, half - len);
    memcpy(out + half - len, v, len);
    return IOTSAFE_OK;
}

iotsafe_rc iotsafe_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, size_t half, uint8_t *rs,
                                   size_t *rs_len)
{
    if (der == NULL || rs == NULL || rs_len == NULL || half == 0 || half > HALF_MAX)
        return IOTSAFE_E_INVALID_ARG;
    if (*rs_len < 2 * half)
        return IOTSAFE_E_BUFFER;
    size_t pos = 0, body;
    if (iotsafe_der_get_hdr(der, der_len, &pos, IOTSAFE_DER_SEQUENCE, &body) < 0)
        return IOTSAFE_E_MALFORMED;
    if (body != der_len - pos)
        return IOTSAFE_E_MALFORMED;
    uint8_t tmp[2 * HALF_MAX];
    iotsafe_rc rc = get_int(der, der_len, &pos, half, tmp);
    if (rc == IOTSAFE_OK)
        rc = get_int(der, der_len, &pos, half, tmp + half);
    if (rc != IOTSAFE_OK)
        return rc;
    if (pos != der_len)
        return IOTSAFE_E_MALFORMED;
    memcpy(rs, tmp, 2 * half);
    *rs_len = 2 * half;
    return IOTSAFE_OK;
}
