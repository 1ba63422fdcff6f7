/* SPDX-License-Identifier: Apache-2.0 */
#include "iotsafe/keyref.h"

#include <string.h>

#include "iotsafe/der.h"
#include "iotsafe/uri.h"

#define MAGIC_LEN (sizeof(IOTSAFE_KEYREF_MAGIC) - 1)
_Static_assert(sizeof(IOTSAFE_KEYREF_MAGIC) == sizeof(IOTSAFE_KEYREF_MAGIC_V2),
               "both versions have magic strings of one length");

static int uri_ok(const char *uri, size_t len)
{
    return uri != NULL && len > 0 && len <= IOTSAFE_URI_MAX && memchr(uri, 0, len) == NULL;
}

int iotsafe_keyref_encode(const char *uri, size_t uri_len, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    size_t pos = 0, inner;

    if (!uri_ok(uri, uri_len) || out == NULL || out_len == NULL)
        return -1;
    inner = iotsafe_der_hdr_size(MAGIC_LEN) + MAGIC_LEN + iotsafe_der_hdr_size(uri_len) + uri_len;
    if (iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_SEQUENCE, inner) < 0 ||
        iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_VISIBLESTRING, MAGIC_LEN) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, (const uint8_t *)IOTSAFE_KEYREF_MAGIC, MAGIC_LEN) < 0 ||
        iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_UTF8STRING, uri_len) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, (const uint8_t *)uri, uri_len) < 0)
        return -1;
    *out_len = pos;
    return 0;
}

static int point_ok(const uint8_t *p, size_t len)
{
    return p != NULL && len >= 3 && len <= IOTSAFE_KEYREF_POINT_MAX && (len & 1) == 1 &&
           p[0] == 0x04;
}

static int v2_fields_ok(const iotsafe_keyref *r)
{
    return uri_ok(r->uri, r->uri_len) && uri_ok(r->pub_uri, r->pub_uri_len) &&
           r->curve_oid != NULL && r->curve_oid_len > 0 && r->curve_oid_len <= 32 &&
           point_ok(r->point, r->point_len) && r->attrs != NULL && r->aid != NULL &&
           r->aid_len >= IOTSAFE_KEYREF_AID_MIN && r->aid_len <= IOTSAFE_KEYREF_AID_MAX;
}

/* Append one tag-length-value. */
static int put(uint8_t *out, size_t cap, size_t *pos, uint8_t tag, const void *v, size_t len)
{
    if (iotsafe_der_put_hdr(out, cap, pos, tag, len) < 0 ||
        iotsafe_der_put_raw(out, cap, pos, (const uint8_t *)v, len) < 0)
        return -1;
    return 0;
}

int iotsafe_keyref_encode_v2(const iotsafe_keyref *r, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t pos = 0, inner;
    const uint8_t unused_bits = 0;

    if (r == NULL || out == NULL || out_len == NULL || !v2_fields_ok(r))
        return -1;
    inner = iotsafe_der_hdr_size(MAGIC_LEN) + MAGIC_LEN + iotsafe_der_hdr_size(r->uri_len) +
            r->uri_len + iotsafe_der_hdr_size(r->curve_oid_len) + r->curve_oid_len +
            iotsafe_der_hdr_size(1 + r->point_len) + 1 + r->point_len +
            iotsafe_der_hdr_size(IOTSAFE_KEYREF_ATTRS_LEN) + IOTSAFE_KEYREF_ATTRS_LEN +
            iotsafe_der_hdr_size(r->pub_uri_len) + r->pub_uri_len +
            iotsafe_der_hdr_size(r->aid_len) + r->aid_len;
    if (iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_SEQUENCE, inner) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_VISIBLESTRING, IOTSAFE_KEYREF_MAGIC_V2, MAGIC_LEN) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_UTF8STRING, r->uri, r->uri_len) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_OID, r->curve_oid, r->curve_oid_len) < 0 ||
        iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_BIT_STRING, 1 + r->point_len) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, &unused_bits, 1) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, r->point, r->point_len) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_OCTET_STRING, r->attrs, IOTSAFE_KEYREF_ATTRS_LEN) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_UTF8STRING, r->pub_uri, r->pub_uri_len) < 0 ||
        put(out, cap, &pos, IOTSAFE_DER_OCTET_STRING, r->aid, r->aid_len) < 0)
        return -1;
    *out_len = pos;
    return 0;
}

/* Read one tag-length-value at *pos; its value is (*v, *len). */
static int get(const uint8_t *der, size_t der_len, size_t *pos, uint8_t tag, const uint8_t **v,
               size_t *len)
{
    if (iotsafe_der_get_hdr(der, der_len, pos, tag, len) < 0)
        return -1;
    *v = der + *pos;
    *pos += *len;
    return 0;
}

int iotsafe_keyref_parse(const uint8_t *der, size_t der_len, iotsafe_keyref *out)
{
    size_t pos = 0, seq_len, l;
    const uint8_t *v;
    iotsafe_keyref r;

    if (der == NULL || out == NULL || der_len > IOTSAFE_KEYREF_DER_MAX)
        return -1;
    memset(&r, 0, sizeof(r));
    if (iotsafe_der_get_hdr(der, der_len, &pos, IOTSAFE_DER_SEQUENCE, &seq_len) < 0 ||
        pos + seq_len != der_len ||
        get(der, der_len, &pos, IOTSAFE_DER_VISIBLESTRING, &v, &l) < 0 || l != MAGIC_LEN)
        return -1;
    if (memcmp(v, IOTSAFE_KEYREF_MAGIC, MAGIC_LEN) == 0)
        r.version = 1;
    else if (memcmp(v, IOTSAFE_KEYREF_MAGIC_V2, MAGIC_LEN) == 0)
        r.version = 2;
    else
        return -1;
    if (get(der, der_len, &pos, IOTSAFE_DER_UTF8STRING, &v, &r.uri_len) < 0)
        return -1;
    r.uri = (const char *)v;
    if (!uri_ok(r.uri, r.uri_len))
        return -1;
    if (r.version == 2) {
        if (get(der, der_len, &pos, IOTSAFE_DER_OID, &r.curve_oid, &r.curve_oid_len) < 0 ||
            get(der, der_len, &pos, IOTSAFE_DER_BIT_STRING, &v, &l) < 0 || l < 1 || v[0] != 0)
            return -1;
        r.point = v + 1;
        r.point_len = l - 1;
        if (get(der, der_len, &pos, IOTSAFE_DER_OCTET_STRING, &r.attrs, &l) < 0 ||
            l != IOTSAFE_KEYREF_ATTRS_LEN ||
            get(der, der_len, &pos, IOTSAFE_DER_UTF8STRING, &v, &r.pub_uri_len) < 0)
            return -1;
        r.pub_uri = (const char *)v;
        if (get(der, der_len, &pos, IOTSAFE_DER_OCTET_STRING, &r.aid, &r.aid_len) < 0 ||
            !v2_fields_ok(&r))
            return -1;
    }
    if (pos != der_len)
        return -1;
    *out = r;
    return 0;
}

int iotsafe_keyref_decode(const uint8_t *der, size_t der_len, const char **uri, size_t *uri_len)
{
    iotsafe_keyref r;
    if (uri == NULL || uri_len == NULL || iotsafe_keyref_parse(der, der_len, &r) < 0 ||
        r.version != 1)
        return -1;
    *uri = r.uri;
    *uri_len = r.uri_len;
    return 0;
}

void iotsafe_keyref_attrs_pack(const iotsafe_object *o, uint8_t out[IOTSAFE_KEYREF_ATTRS_LEN])
{
    out[0] = o->access;
    out[1] = o->state;
    out[2] = o->key_type;
    out[3] = o->usage;
    out[4] = o->functions;
    out[5] = o->sig_algs;
    out[6] = (uint8_t)(o->hashes >> 8);
    out[7] = (uint8_t)o->hashes;
    out[8] = o->key_agreement;
    out[9] = o->kdf_algs;
    out[10] = (uint8_t)(o->present >> 8);
    out[11] = (uint8_t)o->present;
}

void iotsafe_keyref_attrs_unpack(const uint8_t in[IOTSAFE_KEYREF_ATTRS_LEN], iotsafe_object *o)
{
    o->access = in[0];
    o->state = in[1];
    o->key_type = in[2];
    o->usage = in[3];
    o->functions = in[4];
    o->sig_algs = in[5];
    o->hashes = (uint16_t)(in[6] << 8 | in[7]);
    o->key_agreement = in[8];
    o->kdf_algs = in[9];
    o->present = (unsigned)(in[10] << 8 | in[11]);
}

/* The text of the URI naming o; its length, or -1. */
static int object_uri(const iotsafe_object *o, iotsafe_uri_type type, const char *reader, char *buf,
                      size_t cap)
{
    iotsafe_uri u;
    if (iotsafe_uri_from_object(o, type, reader, &u) < 0)
        return -1;
    return iotsafe_uri_format(&u, buf, cap);
}

int iotsafe_keyref_build(const iotsafe_object *priv, const char *reader, const iotsafe_object *pub,
                         const uint8_t *point, size_t point_len, const uint8_t *aid, size_t aid_len,
                         uint8_t *out, size_t cap, size_t *out_len)
{
    char uri[IOTSAFE_URI_MAX + 1], pub_uri[IOTSAFE_URI_MAX + 1];
    uint8_t attrs[IOTSAFE_KEYREF_ATTRS_LEN];
    size_t oid_len = 0;
    int n = object_uri(priv, IOTSAFE_URI_TYPE_PRIVATE, reader, uri, sizeof(uri));
    if (n < 0)
        return -1;
    const uint8_t *oid = iotsafe_curve_oid_der(iotsafe_key_type_curve(priv->key_type), &oid_len);
    int pn = pub != NULL ? object_uri(pub, IOTSAFE_URI_TYPE_PUBLIC, NULL, pub_uri, sizeof(pub_uri))
                         : -1;
    if (point == NULL || point_len == 0 || oid == NULL || oid_len < 3 || pn < 0 || aid == NULL)
        return iotsafe_keyref_encode(uri, (size_t)n, out, cap, out_len); /* no point: v1 */
    iotsafe_keyref r;
    memset(&r, 0, sizeof(r));
    r.version = 2;
    r.uri = uri;
    r.uri_len = (size_t)n;
    r.curve_oid = oid + 2; /* content of the 06 xx ... TLV */
    r.curve_oid_len = oid_len - 2;
    r.point = point;
    r.point_len = point_len;
    iotsafe_keyref_attrs_pack(priv, attrs);
    r.attrs = attrs;
    r.pub_uri = pub_uri;
    r.pub_uri_len = (size_t)pn;
    r.aid = aid;
    r.aid_len = aid_len;
    return iotsafe_keyref_encode_v2(&r, out, cap, out_len);
}
