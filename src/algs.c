/* SPDX-License-Identifier: Apache-2.0 */
/* Names and sizes of the IoT SAFE hash algorithms. */
#include <strings.h>

#include "iotsafe/commands.h"

size_t iotsafe_hash_len(iotsafe_hash h)
{
    switch (h) {
    case IOTSAFE_HASH_SHA256:
        return 32;
    case IOTSAFE_HASH_SHA384:
        return 48;
    case IOTSAFE_HASH_SHA512:
        return 64;
    }
    return 0;
}

const char *iotsafe_hash_name(iotsafe_hash h)
{
    switch (h) {
    case IOTSAFE_HASH_SHA256:
        return "SHA256";
    case IOTSAFE_HASH_SHA384:
        return "SHA384";
    case IOTSAFE_HASH_SHA512:
        return "SHA512";
    }
    return "unknown";
}

int iotsafe_hash_from_name(const char *name, iotsafe_hash *out)
{
    static const struct {
        const char *name;
        iotsafe_hash hash;
    } names[] = {{"sha256", IOTSAFE_HASH_SHA256},
                 {"sha384", IOTSAFE_HASH_SHA384},
                 {"sha512", IOTSAFE_HASH_SHA512}};
    for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].hash;
            return 0;
        }
    }
    return -1;
}
