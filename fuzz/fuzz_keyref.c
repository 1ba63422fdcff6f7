/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the key-reference DER codec, v1 and v2. Anything the
 * strict parser accepts must point inside the input and re-encode to exactly
 * the same bytes (DER has one encoding); the v1-only decoder must agree with
 * the parser; and any URI-sized input must survive encode -> decode as a v1
 * URI, and as both URIs of a v2 reference.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/keyref.h"
#include "iotsafe/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
    const uint8_t *b = p;
    if (len > 0 && (b < data || b + len > data + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t oid[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10};
    uint8_t out[IOTSAFE_KEYREF_DER_MAX], point[65] = {0x04}, attrs[IOTSAFE_KEYREF_ATTRS_LEN] = {0};
    const char *uri;
    size_t uri_len, out_len;
    iotsafe_keyref r, back;

    if (iotsafe_keyref_parse(data, size, &r) == 0) {
        inside(r.uri, r.uri_len, data, size);
        if (r.version == 1) {
            if (iotsafe_keyref_encode(r.uri, r.uri_len, out, sizeof(out), &out_len) != 0 ||
                iotsafe_keyref_decode(data, size, &uri, &uri_len) != 0 || uri != r.uri)
                abort();
        } else {
            inside(r.curve_oid, r.curve_oid_len, data, size);
            inside(r.point, r.point_len, data, size);
            inside(r.attrs, IOTSAFE_KEYREF_ATTRS_LEN, data, size);
            inside(r.pub_uri, r.pub_uri_len, data, size);
            inside(r.aid, r.aid_len, data, size);
            if (iotsafe_keyref_encode_v2(&r, out, sizeof(out), &out_len) != 0 ||
                iotsafe_keyref_decode(data, size, &uri, &uri_len) == 0)
                abort();
        }
        if (out_len != size || memcmp(out, data, size) != 0)
            abort();
    } else if (iotsafe_keyref_decode(data, size, &uri, &uri_len) == 0) {
        abort(); /* the v1 decoder accepted what the parser refused */
    }
    /* The input as a URI string: v1 and v2 encodings must give it back. */
    if (size > 0 && size <= IOTSAFE_URI_MAX && memchr(data, 0, size) == NULL) {
        if (iotsafe_keyref_encode((const char *)data, size, out, sizeof(out), &out_len) != 0 ||
            iotsafe_keyref_decode(out, out_len, &uri, &uri_len) != 0 || uri_len != size ||
            memcmp(uri, data, size) != 0)
            abort();
        memset(&r, 0, sizeof(r));
        r.version = 2;
        r.uri = r.pub_uri = (const char *)data;
        r.uri_len = r.pub_uri_len = size;
        r.curve_oid = oid;
        r.curve_oid_len = sizeof(oid);
        r.point = point;
        r.point_len = sizeof(point);
        r.attrs = attrs;
        r.aid = aid;
        r.aid_len = sizeof(aid);
        if (iotsafe_keyref_encode_v2(&r, out, sizeof(out), &out_len) != 0 ||
            iotsafe_keyref_parse(out, out_len, &back) != 0 || back.version != 2 ||
            back.uri_len != size || memcmp(back.uri, data, size) != 0 || back.pub_uri_len != size ||
            memcmp(back.pub_uri, data, size) != 0)
            abort();
    }
    return 0;
}
