/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: tag-33 signature answers and the DER <-> r||s conversions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/commands.h"
#include "iotsafe/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t hint = data[0] & 1 ? 64 : 0;
    data++;
    size--;
    iotsafe_tlv t;
    if (iotsafe_tlv_parse_sig33(data, size, hint, &t) == IOTSAFE_OK &&
        (t.value < data || t.value + t.len > data + size))
        abort();

    uint8_t rs[64], der[80], rs2[64];
    size_t rl = sizeof rs;
    if (iotsafe_ecdsa_der_to_rs(data, size, 32, rs, &rl) == IOTSAFE_OK) {
        /* a valid DER signature survives a round trip through r||s */
        size_t dl = sizeof der, rl2 = sizeof rs2;
        if (rl != 64 || iotsafe_ecdsa_rs_to_der(rs, rl, der, &dl) != IOTSAFE_OK ||
            iotsafe_ecdsa_der_to_rs(der, dl, 32, rs2, &rl2) != IOTSAFE_OK || rl2 != 64 ||
            memcmp(rs, rs2, 64) != 0)
            abort();
    }
    if (size >= 2 && size <= 132 && size % 2 == 0) {
        uint8_t big[141]; /* 30 81 L, 2 x (02 L 00 + 66 bytes) */
        size_t bl = sizeof big;
        if (iotsafe_ecdsa_rs_to_der(data, size, big, &bl) != IOTSAFE_OK || bl > sizeof big)
            abort();
    }
    return 0;
}
