/* SPDX-License-Identifier: Apache-2.0 */
#include "keyref.h"

#include <string.h>

#include "der.h"
#include "uri.h"

int iotsafe_keyref_encode(const char *uri, size_t uri_len, uint8_t *out, size_t cap, size_t *out_len)
{
    const size_t mlen = sizeof(IOTSAFE_KEYREF_MAGIC) - 1;
    size_t pos = 0, inner;

    if (uri == NULL || out == NULL || out_len == NULL || uri_len == 0 ||
        uri_len > IOTSAFE_URI_MAX || memchr(uri, 0, uri_len) != NULL)
        return -1;
    inner = der_hdr_size(mlen) + mlen + der_hdr_size(uri_len) + uri_len;
    if (der_put_hdr(out, cap, &pos, DER_SEQUENCE, inner) < 0 ||
        der_put_hdr(out, cap, &pos, DER_VISIBLESTRING, mlen) < 0 ||
        der_put_raw(out, cap, &pos, (const uint8_t *)IOTSAFE_KEYREF_MAGIC, mlen) < 0 ||
        der_put_hdr(out, cap, &pos, DER_UTF8STRING, uri_len) < 0 ||
        der_put_raw(out, cap, &pos, (const uint8_t *)uri, uri_len) < 0)
        return -1;
    *out_len = pos;
    return 0;
}

int iotsafe_keyref_decode(const uint8_t *der, size_t der_len, const char **uri, size_t *uri_len)
{
    const size_t mlen = sizeof(IOTSAFE_KEYREF_MAGIC) - 1;
    size_t pos = 0, seq_len, l;

    if (der == NULL || uri == NULL || uri_len == NULL)
        return -1;
    if (der_get_hdr(der, der_len, &pos, DER_SEQUENCE, &seq_len) < 0 || pos + seq_len != der_len)
        return -1;
    if (der_get_hdr(der, der_len, &pos, DER_VISIBLESTRING, &l) < 0 || l != mlen ||
        memcmp(der + pos, IOTSAFE_KEYREF_MAGIC, mlen) != 0)
        return -1;
    pos += l;
    if (der_get_hdr(der, der_len, &pos, DER_UTF8STRING, &l) < 0 || pos + l != der_len || l == 0 ||
        l > IOTSAFE_URI_MAX || memchr(der + pos, 0, l) != NULL)
        return -1;
    *uri = (const char *)(der + pos);
    *uri_len = l;
    return 0;
}
