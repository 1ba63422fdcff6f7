/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the BER-TLV reader must stay inside its input; the writer must never overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    size_t count = 0;
    iotsafe_tlv_reader_init(&r, data, size);
    while (iotsafe_tlv_next(&r, &t) == IOTSAFE_OK) {
        if (t.value < data || t.value + t.len > data + size || r.pos > size)
            abort();
        /* nested parse of every value, as the object list and keys do */
        iotsafe_tlv_reader in;
        iotsafe_tlv u;
        iotsafe_tlv_reader_init(&in, t.value, t.len);
        while (iotsafe_tlv_next(&in, &u) == IOTSAFE_OK)
            if (u.value + u.len > t.value + t.len)
                abort();
        count++;
    }
    if (size > 0)
        (void)iotsafe_tlv_find(data, size, data[0], &t);

    /* writer: re-encode what was read into a buffer sized from the input */
    uint8_t out[512];
    size_t cap = size > 0 ? data[0] % sizeof out : 0;
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, out, cap);
    iotsafe_tlv_reader_init(&r, data, size);
    while (iotsafe_tlv_next(&r, &t) == IOTSAFE_OK)
        iotsafe_tlv_put(&w, t.tag, t.value, t.len);
    if (w.len > cap)
        abort();
    if (iotsafe_tlv_writer_status(&w) == IOTSAFE_OK) {
        /* what fits must read back identically */
        iotsafe_tlv_reader_init(&r, out, w.len);
        size_t n = 0;
        while (iotsafe_tlv_next(&r, &t) == IOTSAFE_OK)
            n++;
        if (n != count)
            abort();
    }
    return 0;
}
