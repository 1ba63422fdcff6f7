/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the key-reference DER codec. Anything the strict
 * decoder accepts must re-encode to exactly the same bytes (DER has one
 * encoding), and any URI-sized input must survive encode -> decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyref.h"
#include "uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[IOTSAFE_URI_MAX + 64];
    const char *uri;
    size_t uri_len, out_len;

    if (iotsafe_keyref_decode(data, size, &uri, &uri_len) == 0) {
        if (uri < (const char *)data || uri + uri_len > (const char *)data + size)
            abort();
        if (iotsafe_keyref_encode(uri, uri_len, out, sizeof(out), &out_len) != 0 ||
            out_len != size || memcmp(out, data, size) != 0)
            abort();
    }
    /* The input as a URI string: encode, then decode must give it back. */
    if (size > 0 && size <= IOTSAFE_URI_MAX && memchr(data, 0, size) == NULL) {
        if (iotsafe_keyref_encode((const char *)data, size, out, sizeof(out), &out_len) != 0)
            abort();
        if (iotsafe_keyref_decode(out, out_len, &uri, &uri_len) != 0 || uri_len != size ||
            memcmp(uri, data, size) != 0)
            abort();
    }
    return 0;
}
