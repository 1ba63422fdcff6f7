/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool pubkey, genkey, uri, keyfile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "iotsafe/keyref.h"
#include "tool.h"

/* Curve of a key object; NONE when the card did not say. */
static iotsafe_curve obj_curve(const iotsafe_object *ob)
{
    if (!(ob->present & IOTSAFE_HAS_KEY_TYPE))
        return IOTSAFE_CURVE_NONE;
    return iotsafe_key_type_curve(ob->key_type);
}

int cmd_pubkey(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PUBLIC, KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob, pub;
    int rc = tool_open_object(o, kinds, 2, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    char refbuf[2 * IOTSAFE_LABEL_MAX + 64];
    if (ob.type == IOTSAFE_OBJ_PRIVATE_KEY) {
        iotsafe_rc r = iotsafe_find_public_for_private(c, &ob, &pub, &st);
        if (r != IOTSAFE_OK) {
            iotsafe_ref pr = iotsafe_object_ref(&ob);
            rc = tool_fail(r, &st, iotsafe_ref_str(&pr, refbuf, sizeof refbuf));
            goto out;
        }
    } else {
        pub = ob;
    }
    iotsafe_curve curve = obj_curve(&pub);
    if (curve == IOTSAFE_CURVE_NONE)
        curve = obj_curve(&ob);
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t plen = sizeof point;
    iotsafe_rc r = iotsafe_read_public_key(c, &ref, point, &plen, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, iotsafe_ref_str(&ref, refbuf, sizeof refbuf));
        goto out;
    }
    rc = tool_write_pubkey_pem(o->out, curve, point, plen);
out:
    iotsafe_card_free(c);
    return rc;
}

int cmd_genkey(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_ref ref = iotsafe_object_ref(&ob);
    iotsafe_keygen_result res;
    memset(&res, 0, sizeof res);
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_generate_key_pair(c, &ref, &res, &st);
    if (r != IOTSAFE_OK) {
        char refbuf[2 * IOTSAFE_LABEL_MAX + 64];
        rc = tool_fail(r, &st, iotsafe_ref_str(&ref, refbuf, sizeof refbuf));
        goto out;
    }
    rc = tool_write_pubkey_pem(o->out, obj_curve(&ob), res.point, res.point_len);
out:
    iotsafe_card_free(c);
    return rc;
}

static const char *uri_type(iotsafe_obj_type t)
{
    switch (t) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        return "private";
    case IOTSAFE_OBJ_PUBLIC_KEY:
        return "public";
    case IOTSAFE_OBJ_FILE:
        return "cert";
    case IOTSAFE_OBJ_SECRET_KEY:
        break;
    }
    return NULL; /* the URI has no type value for secret keys */
}

int cmd_uri(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE, KIND_PUBLIC, KIND_FILE, KIND_SECRET};
    iotsafe_card *c = NULL;
    int rc = tool_open_card(o, &c);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_object ob;
    rc = tool_resolve(c, o, kinds, 4, &ob);
    if (rc == EXIT_OK) {
        char *uri = tool_make_uri(&ob, uri_type(ob.type), 1);
        if (!uri) {
            tool_err("out of memory");
            rc = EXIT_FAILURE_OTHER;
        } else {
            printf("%s\n", uri);
            free(uri);
            rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
        }
    }
    iotsafe_card_free(c);
    return rc;
}

/* Content bytes of the named-curve OID (what a v2 key reference records). */
static const uint8_t *curve_oid(iotsafe_curve curve, size_t *len)
{
    int nid = curve == IOTSAFE_CURVE_P256      ? NID_X9_62_prime256v1
              : curve == IOTSAFE_CURVE_BP256R1 ? NID_brainpoolP256r1
                                               : NID_undef;
    const ASN1_OBJECT *obj = nid != NID_undef ? OBJ_nid2obj(nid) : NULL;
    if (obj == NULL)
        return NULL;
    *len = OBJ_length(obj);
    return OBJ_get0_data(obj);
}

/* The v2 key reference of a private key and its paired public key (doc/keyfile.md). */
static int keyfile_v2(iotsafe_card *c, const tool_opts *o, const iotsafe_object *priv,
                      uint8_t *der, size_t cap, size_t *der_len)
{
    iotsafe_object pub;
    iotsafe_status st;
    uint8_t point[IOTSAFE_POINT_MAX], attrs[IOTSAFE_KEYREF_ATTRS_LEN];
    size_t point_len = sizeof point;
    iotsafe_keyref r;
    char *uri = NULL, *pub_uri = NULL;
    int rc = EXIT_FAILURE_OTHER;

    iotsafe_rc lrc = iotsafe_find_public_for_private(c, priv, &pub, &st);
    if (lrc != IOTSAFE_OK)
        return tool_fail(lrc, &st, "keyfile");
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    lrc = iotsafe_read_public_key(c, &ref, point, &point_len, &st);
    if (lrc != IOTSAFE_OK)
        return tool_fail(lrc, &st, "keyfile");
    memset(&r, 0, sizeof r);
    r.version = 2;
    uri = tool_make_uri(priv, "private", 1);
    pub_uri = tool_make_uri(&pub, "public", 1);
    r.curve_oid = curve_oid(iotsafe_key_type_curve(priv->key_type), &r.curve_oid_len);
    if (uri == NULL || pub_uri == NULL) {
        tool_err("out of memory");
        goto done;
    }
    if (r.curve_oid == NULL) {
        tool_err("key type %02X of the private key is not an EC curve", priv->key_type);
        rc = EXIT_USAGE_REFUSED;
        goto done;
    }
    r.uri = uri;
    r.uri_len = strlen(uri);
    r.pub_uri = pub_uri;
    r.pub_uri_len = strlen(pub_uri);
    r.point = point;
    r.point_len = point_len;
    iotsafe_keyref_attrs_pack(priv, attrs);
    r.attrs = attrs;
    r.aid = o->aid_len > 0 ? o->aid : IOTSAFE_AID_GSMA;
    r.aid_len = o->aid_len > 0 ? o->aid_len : sizeof IOTSAFE_AID_GSMA;
    if (iotsafe_keyref_encode_v2(&r, der, cap, der_len) < 0)
        tool_err("the card's public key (%zu bytes) cannot be written to a key reference",
                 point_len);
    else
        rc = EXIT_OK;
done:
    free(uri);
    free(pub_uri);
    return rc;
}

int cmd_keyfile(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    uint8_t der[IOTSAFE_KEYREF_DER_MAX];
    size_t der_len = 0;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    rc = keyfile_v2(c, o, &ob, der, sizeof der, &der_len);
    iotsafe_card_free(c);
    return rc == EXIT_OK ? tool_write_keyref_pem(o->out, der, der_len) : rc;
}
