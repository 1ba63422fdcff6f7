/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA facts every front end needs around a card signature, without
 * OpenSSL: what digest to hand the card for a digest of any length, and
 * whether r and s lie in [1, n-1] before anything else looks at them.
 */
#include <string.h>

#include "iotsafe/commands.h"

/* The group orders n (SEC 2, RFC 5639). */
static const uint8_t order_p256[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
static const uint8_t order_bp256[32] = {
    0xA9, 0xFB, 0x57, 0xDB, 0xA1, 0xEE, 0xA9, 0xBC, 0x3E, 0x66, 0x0A, 0x90, 0x9D, 0x83, 0x8D, 0x71,
    0x8C, 0x39, 0x7A, 0xA3, 0xB5, 0x61, 0xA6, 0xF7, 0x90, 0x1E, 0x0E, 0x82, 0x97, 0x48, 0x56, 0xA7};

static const uint8_t *curve_order(iotsafe_curve c)
{
    switch (c) {
    case IOTSAFE_CURVE_P256:
        return order_p256;
    case IOTSAFE_CURVE_BP256R1:
        return order_bp256;
    case IOTSAFE_CURVE_NONE:
        break;
    }
    return NULL;
}

static const char *scalar_problem(const uint8_t *v, size_t len, const uint8_t *order,
                                  const char *zero, const char *big)
{
    size_t i;
    for (i = 0; i < len && v[i] == 0; i++)
        ;
    if (i == len)
        return zero;
    if (memcmp(v, order, len) >= 0)
        return big;
    return NULL;
}

const char *iotsafe_ecdsa_rs_problem(iotsafe_curve c, const uint8_t *rs, size_t rs_len)
{
    const size_t half = iotsafe_curve_field_len(c);
    const uint8_t *order = curve_order(c);
    if (half == 0 || order == NULL)
        return "the curve is unknown";
    if (rs_len != 2 * half)
        return "r||s has the wrong length";
    const char *why = scalar_problem(rs, half, order, "r is zero",
                                     "r is not below the group order");
    if (why == NULL)
        why = scalar_problem(rs + half, half, order, "s is zero", "s is not below the group order");
    return why;
}

/*
 * ECDSA signs the integer made of the digest's leftmost field-length bytes:
 * a shorter digest (SHA-1, SHA-224) is that integer left-padded with zeros,
 * a longer one is cut. A card takes digests of the lengths of the hashes it
 * names only, so the integer is handed over as a digest of a hash the key
 * allows; for a hash longer than the field, zeros follow it, which the
 * card's own cut drops again.
 */
iotsafe_rc iotsafe_ecdsa_card_input(iotsafe_curve c, uint16_t allowed, const uint8_t *digest,
                                    size_t dlen, uint8_t *out, size_t *out_len, iotsafe_hash *hash)
{
    static const iotsafe_hash order[] = {IOTSAFE_HASH_SHA256, IOTSAFE_HASH_SHA384,
                                         IOTSAFE_HASH_SHA512};
    const size_t field = iotsafe_curve_field_len(c);
    if (field == 0 || digest == NULL || dlen == 0 || dlen > 64 || out == NULL || out_len == NULL ||
        *out_len < 64)
        return IOTSAFE_E_INVALID_ARG;
    if (allowed == 0)
        allowed = IOTSAFE_HASH_SHA256 | IOTSAFE_HASH_SHA384 | IOTSAFE_HASH_SHA512;
    /* A digest of an allowed hash goes as it is. */
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if ((allowed & order[i]) != 0 && iotsafe_hash_len(order[i]) == dlen) {
            memcpy(out, digest, dlen);
            *out_len = dlen;
            *hash = order[i];
            return IOTSAFE_OK;
        }
    }
    uint8_t e[64];
    memset(e, 0, sizeof(e));
    if (dlen >= field)
        memcpy(e, digest, field);
    else
        memcpy(e + field - dlen, digest, dlen);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const size_t hl = iotsafe_hash_len(order[i]);
        if ((allowed & order[i]) == 0 || hl < field)
            continue;
        memcpy(out, e, hl); /* e's bytes past field are zero */
        *out_len = hl;
        *hash = order[i];
        return IOTSAFE_OK;
    }
    return IOTSAFE_E_USAGE;
}
