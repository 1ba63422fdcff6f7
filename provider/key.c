/* SPDX-License-Identifier: Apache-2.0 */
/* The key object, URI resolution, and curve facts. */
#include "key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "hex.h"

IOTSAFE_KEY *iotsafe_key_new(IOTSAFE_PROV_CTX *ctx)
{
    IOTSAFE_KEY *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        IPROV_ERR(ctx, IOTSAFE_R_MALLOC, "allocating a key");
        return NULL;
    }
    k->magic = IOTSAFE_KEY_MAGIC;
    atomic_init(&k->refs, 1);
    k->ctx = ctx;
    return k;
}

int iotsafe_key_up_ref(IOTSAFE_KEY *k)
{
    if (k == NULL)
        return 0;
    atomic_fetch_add(&k->refs, 1);
    return 1;
}

void iotsafe_key_free(IOTSAFE_KEY *k)
{
    if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    free(k->reader);
    EVP_PKEY_free(atomic_load(&k->verify_pkey));
    k->magic = 0;
    free(k);
}

IOTSAFE_KEY *iotsafe_key_dup(const IOTSAFE_KEY *k)
{
    IOTSAFE_KEY *d = iotsafe_key_new(k->ctx);
    if (d == NULL)
        return NULL;
    *d = *k;
    atomic_init(&d->refs, 1);
    atomic_init(&d->verify_pkey, NULL);
    d->reader = NULL;
    if (k->reader != NULL && (d->reader = strdup(k->reader)) == NULL) {
        IPROV_ERR(k->ctx, IOTSAFE_R_MALLOC, "duplicating a key");
        free(d);
        return NULL;
    }
    return d;
}

/* ---- curves ---- */

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_bp256[] = {0x06, 0x09, 0x2B, 0x24, 0x03, 0x03, 0x02,
                                    0x08, 0x01, 0x01, 0x07};

int iotsafe_curve_bits(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 256;
}

int iotsafe_curve_security_bits(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 128;
}

int iotsafe_curve_nid(iotsafe_curve c)
{
    switch (c) {
    case IOTSAFE_CURVE_P256:
        return NID_X9_62_prime256v1;
    case IOTSAFE_CURVE_BP256R1:
        return NID_brainpoolP256r1;
    case IOTSAFE_CURVE_NONE:
        break;
    }
    return NID_undef;
}

size_t iotsafe_curve_field_len(iotsafe_curve c)
{
    return c == IOTSAFE_CURVE_NONE ? 0 : 32;
}

size_t iotsafe_curve_max_sig_der(iotsafe_curve c)
{
    /* SEQUENCE { INTEGER r, INTEGER s }, each up to field+1 bytes (sign byte). */
    size_t f = iotsafe_curve_field_len(c);
    size_t inner = 2 * (2 + f + 1);
    return f == 0 ? 0 : inner + (inner < 0x80 ? 2 : 3);
}

iotsafe_curve iotsafe_curve_from_name(const char *name)
{
    if (name == NULL)
        return IOTSAFE_CURVE_NONE;
    if (strcasecmp(name, "prime256v1") == 0 || strcasecmp(name, "P-256") == 0 ||
        strcasecmp(name, "secp256r1") == 0)
        return IOTSAFE_CURVE_P256;
    if (strcasecmp(name, "brainpoolP256r1") == 0)
        return IOTSAFE_CURVE_BP256R1;
    return IOTSAFE_CURVE_NONE;
}

const uint8_t *iotsafe_curve_oid_der(iotsafe_curve c, size_t *len)
{
    switch (c) {
    case IOTSAFE_CURVE_P256:
        *len = sizeof(oid_p256);
        return oid_p256;
    case IOTSAFE_CURVE_BP256R1:
        *len = sizeof(oid_bp256);
        return oid_bp256;
    case IOTSAFE_CURVE_NONE:
        break;
    }
    *len = 0;
    return NULL;
}

/* Decode + validate a point; on success out holds 04||X||Y. 0 on failure. */
static int normalise_point(OSSL_LIB_CTX *libctx, iotsafe_curve curve, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t *out_len)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(libctx, NULL, iotsafe_curve_nid(curve));
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = 0;
    if (p != NULL && in_len > 0 && EC_POINT_oct2point(g, p, in, in_len, NULL) == 1 &&
        !EC_POINT_is_at_infinity(g, p) && EC_POINT_is_on_curve(g, p, NULL) == 1) {
        size_t n = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, out, IOTSAFE_POINT_MAX,
                                      NULL);
        if (n > 0) {
            *out_len = n;
            ok = 1;
        }
    }
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ok;
}

int iotsafe_key_set_point(IOTSAFE_KEY *k, iotsafe_curve curve, const uint8_t *point, size_t len)
{
    uint8_t buf[IOTSAFE_POINT_MAX];
    size_t n = 0;
    if (curve == IOTSAFE_CURVE_NONE ||
        !normalise_point(k->ctx->libctx, curve, point, len, buf, &n)) {
        IPROV_ERR(k->ctx, IOTSAFE_R_BAD_PUBLIC_KEY, "public key is not a valid point on %s",
                  curve == IOTSAFE_CURVE_NONE ? "an unknown curve" : iotsafe_curve_name(curve));
        return 0;
    }
    k->curve = curve;
    memcpy(k->point, buf, n);
    k->point_len = n;
    EVP_PKEY_free(atomic_exchange(&k->verify_pkey, NULL)); /* made from the old point */
    return 1;
}

/* ---- references, descriptions ---- */

int iotsafe_key_from_reference(const void *ref, size_t ref_sz, IOTSAFE_KEY **out)
{
    IOTSAFE_KEY *k;
    if (ref == NULL || ref_sz != sizeof(k))
        return 0;
    memcpy(&k, ref, sizeof(k));
    if (k == NULL || k->magic != IOTSAFE_KEY_MAGIC)
        return 0;
    *out = k;
    return 1;
}

const char *iotsafe_prov_obj_desc(const iotsafe_object *o, char *buf, size_t len)
{
    char id[2 * IOTSAFE_ID_MAX + 1], label[64];
    iotsafe_hex_format(o->id, o->id_len, id, sizeof(id));
    if (o->label_len > 0)
        snprintf(buf, len, "id=%s (label %s)", id,
                 iotsafe_escape(o->label, o->label_len, label, sizeof(label)));
    else
        snprintf(buf, len, "id=%s", id);
    return buf;
}

const char *iotsafe_key_desc(const IOTSAFE_KEY *k, char *buf, size_t len)
{
    if (k->has_private)
        return iotsafe_prov_obj_desc(&k->priv, buf, len);
    if (k->has_pub_obj)
        return iotsafe_prov_obj_desc(&k->pub, buf, len);
    snprintf(buf, len, "(public key not on a card)");
    return buf;
}

iotsafe_ref iotsafe_key_priv_ref(const IOTSAFE_KEY *k)
{
    return iotsafe_object_ref(&k->priv);
}

iotsafe_ref iotsafe_key_pub_ref(const IOTSAFE_KEY *k)
{
    return iotsafe_object_ref(&k->pub);
}

int iotsafe_key_to_uri(const IOTSAFE_KEY *k, iotsafe_uri *u)
{
    const iotsafe_object *o = k->has_private ? &k->priv : k->has_pub_obj ? &k->pub : NULL;
    memset(u, 0, sizeof(*u));
    if (!k->on_card || o == NULL || o->id_len == 0 || o->id_len > sizeof(u->id))
        return 0;
    u->has_id = 1;
    memcpy(u->id, o->id, o->id_len);
    u->id_len = o->id_len;
    /* The label rides along so a re-provisioned card with other IDs is not silently used. */
    if (o->label_len > 0 && o->label_len <= IOTSAFE_LABEL_MAX &&
        memchr(o->label, 0, o->label_len) == NULL) {
        u->has_label = 1;
        memcpy(u->label, o->label, o->label_len);
        u->label[o->label_len] = '\0';
        u->label_len = o->label_len;
    }
    u->type = k->has_private ? IOTSAFE_URI_TYPE_PRIVATE : IOTSAFE_URI_TYPE_PUBLIC;
    if (k->reader != NULL && strlen(k->reader) <= IOTSAFE_URI_READER_MAX) {
        u->has_reader = 1;
        strcpy(u->reader, k->reader);
    }
    return 1;
}

int iotsafe_uri_matches(const iotsafe_uri *uri, const iotsafe_object *obj)
{
    switch (uri->type) {
    case IOTSAFE_URI_TYPE_PRIVATE:
        if (obj->type != IOTSAFE_OBJ_PRIVATE_KEY)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_PUBLIC:
        if (obj->type != IOTSAFE_OBJ_PUBLIC_KEY)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_CERT:
        if (obj->type != IOTSAFE_OBJ_FILE)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_ANY:
        break;
    }
    if (uri->has_id && (uri->id_len != obj->id_len || memcmp(uri->id, obj->id, obj->id_len) != 0))
        return 0;
    if (uri->has_label && (uri->label_len != obj->label_len ||
                           memcmp(uri->label, obj->label, obj->label_len) != 0))
        return 0;
    return 1;
}

/* ---- building keys from card objects (no error raising: may be retried) ---- */

static iotsafe_rc read_point(IOTSAFE_PROV_CTX *ctx, iotsafe_card *card, IOTSAFE_KEY *k,
                             const iotsafe_object *pub, iotsafe_status *st)
{
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t len = sizeof(point);
    char d[160];
    iotsafe_ref ref = iotsafe_object_ref(pub);
    iotsafe_rc rc = iotsafe_read_public_key(card, &ref, point, &len, st);
    if (rc != IOTSAFE_OK)
        return rc;
    /* 04||X||Y of the key's curve, on the curve (so never the point at infinity) */
    if (len != 1 + 2 * iotsafe_curve_field_len(k->curve))
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "public key %s on the card in reader '%s' is %zu bytes long; an "
                                  "uncompressed %s point has %zu",
                                  iotsafe_prov_obj_desc(pub, d, sizeof(d)),
                                  iotsafe_card_reader(card), len, iotsafe_curve_name(k->curve),
                                  1 + 2 * iotsafe_curve_field_len(k->curve));
    if (!normalise_point(ctx->libctx, k->curve, point, len, k->point, &k->point_len))
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "public key %s on the card in reader '%s' is not a point on %s",
                                  iotsafe_prov_obj_desc(pub, d, sizeof(d)),
                                  iotsafe_card_reader(card), iotsafe_curve_name(k->curve));
    return IOTSAFE_OK;
}

static iotsafe_rc key_build(IOTSAFE_PROV_CTX *ctx, iotsafe_card *card, const char *reader,
                            const iotsafe_object *obj, IOTSAFE_KEY **out, iotsafe_status *st)
{
    char d[160];
    iotsafe_object pub;
    iotsafe_rc rc;
    IOTSAFE_KEY *k;

    if (obj->type != IOTSAFE_OBJ_PRIVATE_KEY && obj->type != IOTSAFE_OBJ_PUBLIC_KEY)
        return iotsafe_status_set(st, IOTSAFE_E_USAGE, 0, "object %s is not an EC key",
                                  iotsafe_prov_obj_desc(obj, d, sizeof(d)));
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "out of memory");
    k->magic = IOTSAFE_KEY_MAGIC;
    atomic_init(&k->refs, 1);
    k->ctx = ctx;
    k->on_card = 1;
    if (reader != NULL && (k->reader = strdup(reader)) == NULL) {
        free(k);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "out of memory");
    }
    k->curve = iotsafe_key_type_curve(obj->key_type);
    if (k->curve == IOTSAFE_CURVE_NONE) {
        rc = iotsafe_status_set(st, IOTSAFE_E_UNSUPPORTED, 0,
                                "key %s has key type %02X, not an EC curve this provider supports",
                                iotsafe_prov_obj_desc(obj, d, sizeof(d)), obj->key_type);
        goto err;
    }
    if (obj->type == IOTSAFE_OBJ_PRIVATE_KEY) {
        k->priv = *obj;
        k->has_private = 1;
        rc = iotsafe_find_public_for_private(card, obj, &pub, st);
        if (rc != IOTSAFE_OK)
            goto err;
    } else {
        pub = *obj;
    }
    k->pub = pub;
    k->has_pub_obj = 1;
    rc = read_point(ctx, card, k, &pub, st);
    if (rc != IOTSAFE_OK)
        goto err;
    *out = k;
    return IOTSAFE_OK;
err:
    free(k->reader);
    free(k);
    return rc;
}

IOTSAFE_KEY *iotsafe_key_from_object(IOTSAFE_PROV_CTX *ctx, iotsafe_card *card, const char *reader,
                                     const iotsafe_object *obj)
{
    IOTSAFE_KEY *k = NULL;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    if (key_build(ctx, card, reader, obj, &k, &st) != IOTSAFE_OK) {
        IPROV_ERR_ST(ctx, &st);
        return NULL;
    }
    return k;
}

struct resolve_arg {
    IOTSAFE_PROV_CTX *ctx;
    const iotsafe_uri *uri;
    IOTSAFE_KEY *key;
};

static iotsafe_rc resolve_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct resolve_arg *a = varg;
    const iotsafe_uri *uri = a->uri;
    iotsafe_obj_type want =
        uri->type == IOTSAFE_URI_TYPE_PUBLIC ? IOTSAFE_OBJ_PUBLIC_KEY : IOTSAFE_OBJ_PRIVATE_KEY;
    iotsafe_object *objs = NULL;
    size_t n = 0;
    iotsafe_rc rc;

    /*
     * The handle's object list and public keys are read once and kept: a
     * second load of the same key costs no APDU. They are dropped when they
     * go stale: after a key generation in this process
     * (iotsafe_prov_flush_caches) and when the card was reset, removed or
     * pcscd restarted (libiotsafe drops them when it reconnects). A key
     * regenerated by ANOTHER process is not seen here until then; its first
     * signature fails the check of every card signature against the key's
     * public point instead of signing with a key nobody expects.
     */
    rc = iotsafe_list_objects(card, &objs, &n, st);
    if (rc != IOTSAFE_OK)
        return rc;
    rc = IOTSAFE_E_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        if (objs[i].type == want && iotsafe_uri_matches(uri, &objs[i])) {
            rc = key_build(a->ctx, card, uri->has_reader ? uri->reader : NULL, &objs[i], &a->key,
                           st);
            break;
        }
    }
    if (rc == IOTSAFE_E_NOT_FOUND) {
        char u[IOTSAFE_URI_MAX + 1];
        if (iotsafe_uri_format(uri, u, sizeof(u)) < 0)
            snprintf(u, sizeof(u), "iotsafe:");
        iotsafe_status_set(st, rc, 0, "no %s key matching %s on the card in reader '%s'",
                           want == IOTSAFE_OBJ_PUBLIC_KEY ? "public" : "private", u,
                           iotsafe_card_reader(card));
    }
    free(objs);
    return rc;
}

IOTSAFE_KEY *iotsafe_key_resolve(IOTSAFE_PROV_CTX *ctx, const iotsafe_uri *uri)
{
    struct resolve_arg a = {ctx, uri, NULL};
    iotsafe_status st;
    iotsafe_status_clear(&st);
    if (!iotsafe_prov_usable(ctx))
        return NULL;
    if (uri->type == IOTSAFE_URI_TYPE_CERT) {
        IPROV_ERR(ctx, IOTSAFE_R_BAD_URI, "type=cert does not name a key");
        return NULL;
    }
    if (iotsafe_prov_card_run(ctx, uri->has_reader ? uri->reader : NULL, resolve_op, &a, &st) !=
        IOTSAFE_OK) {
        IPROV_ERR_ST(ctx, &st);
        return NULL;
    }
    return a.key;
}

int iotsafe_key_export_public(const IOTSAFE_KEY *k, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    OSSL_PARAM params[3];
    int n = 0;

    /*
     * Refused without raising: libcrypto probes this (EVP_DigestSignInit
     * first tries to move the key to the default provider, the store tries
     * export_object) and then falls back to our own implementation.
     */
    if (k == NULL || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 ||
        k->curve == IOTSAFE_CURVE_NONE)
        return 0;
    if ((selection & (OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY)) != 0)
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                       (char *)iotsafe_curve_name(k->curve), 0);
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
        if (k->point_len == 0)
            return 0;
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                        (void *)k->point, k->point_len);
    }
    params[n] = OSSL_PARAM_construct_end();
    return cb(params, cbarg);
}

struct load_arg {
    IOTSAFE_PROV_CTX *ctx;
    const char *reader;
    const iotsafe_object *obj;
    IOTSAFE_KEY *key;
};

static iotsafe_rc load_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct load_arg *a = varg;
    return key_build(a->ctx, card, a->reader, a->obj, &a->key, st);
}

iotsafe_rc iotsafe_key_load_object(IOTSAFE_PROV_CTX *ctx, const char *reader,
                                   const iotsafe_object *obj, IOTSAFE_KEY **out, iotsafe_status *st)
{
    struct load_arg a = {ctx, reader, obj, NULL};
    iotsafe_rc rc = iotsafe_prov_card_run(ctx, reader, load_op, &a, st);
    if (rc == IOTSAFE_OK)
        *out = a.key;
    return rc;
}
