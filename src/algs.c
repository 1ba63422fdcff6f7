/* SPDX-License-Identifier: Apache-2.0 */
/* Names and sizes of the IoT SAFE hash algorithms and curves. */
#include "iotsafe/commands.h"

size_t iotsafe_hash_len(iotsafe_hash h)
{
    switch (h) {
    case IOTSAFE_HASH_SHA256: return 32;
    case IOTSAFE_HASH_SHA384: return 48;
    case IOTSAFE_HASH_SHA512: return 64;
    }
    return 0;
}

const char *iotsafe_hash_name(iotsafe_hash h)
{
    switch (h) {
    case IOTSAFE_HASH_SHA256: return "SHA256";
    case IOTSAFE_HASH_SHA384: return "SHA384";
    case IOTSAFE_HASH_SHA512: return "SHA512";
    }
    return "unknown";
}

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
    case IOTSAFE_CURVE_P256: return "prime256v1";
    case IOTSAFE_CURVE_BP256R1: return "brainpoolP256r1";
    case IOTSAFE_CURVE_NONE: break;
    }
    return "none";
}
