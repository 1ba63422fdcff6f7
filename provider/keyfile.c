/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key objects <-> key-reference files (doc/keyfile.md). The encoder writes
 * v2 whenever the key's public point is known, which is always the case for
 * a key read from the card or generated on it; v1 is only read. A v2 file
 * holds the public point, the curve, the private key's attributes, the paired
 * public key object and the applet AID: loading it needs no card. Whether the
 * card still holds that key is checked where it matters, on the signatures
 * themselves (every card signature is verified against the key object's
 * public point before it is released), so a rotated key or another card
 * fails at first use, naming the key.
 */
#include <string.h>

#include "iotsafe/hex.h"
#include "error.h"
#include "key.h"
#include "keyfile.h"
#include "iotsafe/keyref.h"

/* The applet AID this provider context talks to (configured, else the GSMA one). */
static const uint8_t *ctx_aid(const IPROV_CTX *ctx, size_t *len)
{
    if (ctx->cfg.opts.aid_len > 0) {
        *len = ctx->cfg.opts.aid_len;
        return ctx->cfg.opts.aid;
    }
    *len = sizeof(IOTSAFE_AID_GSMA);
    return IOTSAFE_AID_GSMA;
}

int iprov_key_to_keyref_der(const IPROV_KEY *k, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t aid_len = 0;
    if (k == NULL || !k->on_card || !k->has_private)
        return -1;
    const uint8_t *aid = ctx_aid(k->ctx, &aid_len);
    return iotsafe_keyref_build(&k->priv, k->reader, k->has_pub_obj ? &k->pub : NULL, k->point,
                                k->point_len, aid, aid_len, out, cap, out_len);
}

/* A URI of a v2 file -> the object it names (ID required: the card is never asked). */
static int uri_object(IPROV_CTX *ctx, const char *text, size_t len, iotsafe_uri_type want,
                      iotsafe_uri *u, iotsafe_object *o)
{
    char err[160], esc[IOTSAFE_ESCAPED_SIZE(200)];
    err[0] = '\0';
    if (iotsafe_uri_parse(text, len, u, err, sizeof(err)) < 0 || !u->has_id || u->type != want) {
        /* the file's bytes, escaped: a key file is user input */
        IPROV_ERR(ctx, IPROV_R_BAD_KEYREF,
                  "v2 key reference holds a %s URI that is malformed or has no id: '%s'%s%s",
                  want == IOTSAFE_URI_TYPE_PRIVATE ? "private key" : "public key",
                  iotsafe_escape(text, len > 200 ? 200 : len, esc, sizeof(esc)),
                  err[0] != '\0' ? ": " : "", err);
        return 0;
    }
    memset(o, 0, sizeof(*o));
    o->type = want == IOTSAFE_URI_TYPE_PRIVATE ? IOTSAFE_OBJ_PRIVATE_KEY : IOTSAFE_OBJ_PUBLIC_KEY;
    memcpy(o->id, u->id, u->id_len);
    o->id_len = u->id_len;
    if (u->has_label) {
        memcpy(o->label, u->label, u->label_len);
        o->label_len = u->label_len;
    }
    return 1;
}

IPROV_KEY *iprov_key_from_keyref_v2(IPROV_CTX *ctx, const iotsafe_keyref *r)
{
    iotsafe_uri pu, pubu;
    iotsafe_object priv, pub;
    size_t aid_len;
    const uint8_t *aid = ctx_aid(ctx, &aid_len);
    iotsafe_curve curve = iotsafe_curve_from_oid(r->curve_oid, r->curve_oid_len);
    IPROV_KEY *k;

    if (curve == IOTSAFE_CURVE_NONE) {
        IPROV_ERR(ctx, IPROV_R_UNSUPPORTED_CURVE,
                  "v2 key reference names a curve this provider does not support");
        return NULL;
    }
    if (!uri_object(ctx, r->uri, r->uri_len, IOTSAFE_URI_TYPE_PRIVATE, &pu, &priv) ||
        !uri_object(ctx, r->pub_uri, r->pub_uri_len, IOTSAFE_URI_TYPE_PUBLIC, &pubu, &pub))
        return NULL;
    /* The one identity check possible without the card: the applet it was written for. */
    if (r->aid_len != aid_len || memcmp(r->aid, aid, aid_len) != 0) {
        char want[2 * IOTSAFE_KEYREF_AID_MAX + 1], have[2 * sizeof(ctx->cfg.opts.aid) + 1];
        iotsafe_hex_format(r->aid, r->aid_len, want, sizeof(want));
        iotsafe_hex_format(aid, aid_len, have, sizeof(have));
        IPROV_ERR(ctx, IPROV_R_BAD_KEYREF,
                  "key reference was written for the applet %s, this provider uses applet %s", want,
                  have);
        return NULL;
    }
    iotsafe_keyref_attrs_unpack(r->attrs, &priv);
    priv.type = IOTSAFE_OBJ_PRIVATE_KEY;
    if (iotsafe_key_type_curve(priv.key_type) != curve) {
        IPROV_ERR(ctx, IPROV_R_BAD_KEYREF, "v2 key reference names curve %s but key type %02X",
                  iotsafe_curve_name(curve), priv.key_type);
        return NULL;
    }
    pub.key_type = priv.key_type;
    if ((k = iprov_key_new(ctx)) == NULL)
        return NULL;
    k->on_card = 1;
    k->has_private = 1;
    k->priv = priv;
    k->has_pub_obj = 1;
    k->pub = pub;
    if (pu.has_reader && (k->reader = strdup(pu.reader)) == NULL) {
        IPROV_ERR(ctx, IPROV_R_MALLOC, "allocating a key");
        iprov_key_free(k);
        return NULL;
    }
    if (!iprov_key_set_point(k, curve, r->point, r->point_len)) { /* raises */
        iprov_key_free(k);
        return NULL;
    }
    return k;
}
