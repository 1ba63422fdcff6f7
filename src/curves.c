/* SPDX-License-Identifier: Apache-2.0 */
/* Facts about the curves IoT SAFE keys use: names, sizes, OIDs (no OpenSSL). */
#include <string.h>
#include <strings.h>

#include "iotsafe/commands.h"

iotsafe_curve iotsafe_key_type_curve(uint8_t key_type)
{
    switch (key_type) {
    case IOTSAFE_KEYTYPE_P256:
    case IOTSAFE_KEYTYPE_P256_VOLATILE:
        return IOTSAFE_CURVE_P256;
    case IOTSAFE_KEYTYPE_BP256:
    case IOTSAFE_KEYTYPE_BP256_VOLATILE:
        return IOTSAFE_CURVE_BP256R1;
    default:
        return IOTSAFE_CURVE_NONE;
    }
}

const char *iotsafe_curve_name(iotsafe_curve c)
{
    switch (c) {
    case IOTSAFE_CURVE_P256:
        return "prime256v1";
    case IOTSAFE_CURVE_BP256R1:
        return "brainpoolP256r1";
    case IOTSAFE_CURVE_NONE:
        break;
    }
    return "none";
}

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_bp256[] = {0x06, 0x09, 0x2B, 0x24, 0x03, 0x03,
                                    0x02, 0x08, 0x01, 0x01, 0x07};

int iotsafe_curve_bits(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 256;
}

int iotsafe_curve_security_bits(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 128;
}

size_t iotsafe_curve_field_len(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 32;
}

size_t iotsafe_curve_max_sig_der(iotsafe_curve c)
{
    /* SEQUENCE { INTEGER r, INTEGER s }, each up to field+1 bytes (sign byte). */
    size_t f = iotsafe_curve_field_len(c);
    size_t inner = 2 * (2 + f + 1);
    return f == 0 ? 0 : inner + (inner < 0x80 ? 2 : 3);
}

iotsafe_curve iotsafe_curve_from_name(const char *name)
{
    if (name == NULL)
        return IOTSAFE_CURVE_NONE;
    if (strcasecmp(name, "prime256v1") == 0 || strcasecmp(name, "P-256") == 0 ||
        strcasecmp(name, "secp256r1") == 0)
        return IOTSAFE_CURVE_P256;
    if (strcasecmp(name, "brainpoolP256r1") == 0)
        return IOTSAFE_CURVE_BP256R1;
    return IOTSAFE_CURVE_NONE;
}

const uint8_t *iotsafe_curve_oid_der(iotsafe_curve c, size_t *len)
{
    switch (c) {
    case IOTSAFE_CURVE_P256:
        *len = sizeof(oid_p256);
        return oid_p256;
    case IOTSAFE_CURVE_BP256R1:
        *len = sizeof(oid_bp256);
        return oid_bp256;
    case IOTSAFE_CURVE_NONE:
        break;
    }
    *len = 0;
    return NULL;
}

iotsafe_curve iotsafe_curve_from_oid(const uint8_t *oid, size_t len)
{
    static const iotsafe_curve curves[] = {IOTSAFE_CURVE_P256, IOTSAFE_CURVE_BP256R1};
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        size_t l = 0;
        const uint8_t *der = iotsafe_curve_oid_der(curves[i], &l);
        if (der != NULL && l == len + 2 && memcmp(der + 2, oid, len) == 0)
            return curves[i];
    }
    return IOTSAFE_CURVE_NONE;
}
