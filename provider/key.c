/* SPDX-License-Identifier: Apache-2.0 */
/* The opaque key object: life cycle, its point, how messages and URIs name it, export. */
#include "error.h"
#include "key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

IPROV_KEY *iprov_key_new(IPROV_CTX *ctx)
{
    IPROV_KEY *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        IPROV_ERR(ctx, IPROV_R_MALLOC, "allocating a key");
        return NULL;
    }
    k->magic = IPROV_KEY_MAGIC;
    atomic_init(&k->refs, 1);
    k->ctx = ctx;
    return k;
}

int iprov_key_up_ref(IPROV_KEY *k)
{
    if (k == NULL)
        return 0;
    atomic_fetch_add(&k->refs, 1);
    return 1;
}

void iprov_key_free(IPROV_KEY *k)
{
    if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    free(k->reader);
    EVP_PKEY_free(atomic_load(&k->verify_pkey));
    k->magic = 0;
    free(k);
}

IPROV_KEY *iprov_key_dup(const IPROV_KEY *k)
{
    IPROV_KEY *d = iprov_key_new(k->ctx);
    if (d == NULL)
        return NULL;
    *d = *k;
    atomic_init(&d->refs, 1);
    atomic_init(&d->verify_pkey, NULL);
    d->reader = NULL;
    if (k->reader != NULL && (d->reader = strdup(k->reader)) == NULL) {
        IPROV_ERR(k->ctx, IPROV_R_MALLOC, "duplicating a key");
        free(d);
        return NULL;
    }
    return d;
}

/* ---- curves ---- */

int iprov_curve_nid(iotsafe_curve c)
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

int iprov_point_normalise(OSSL_LIB_CTX *libctx, iotsafe_curve curve, const uint8_t *in,
                          size_t in_len, uint8_t *out, size_t *out_len)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(libctx, NULL, iprov_curve_nid(curve));
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

int iprov_key_set_point(IPROV_KEY *k, iotsafe_curve curve, const uint8_t *point, size_t len)
{
    uint8_t buf[IOTSAFE_POINT_MAX];
    size_t n = 0;
    if (curve == IOTSAFE_CURVE_NONE ||
        !iprov_point_normalise(k->ctx->libctx, curve, point, len, buf, &n)) {
        IPROV_ERR(k->ctx, IPROV_R_BAD_PUBLIC_KEY, "public key is not a valid point on %s",
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

int iprov_key_from_reference(const void *ref, size_t ref_sz, IPROV_KEY **out)
{
    IPROV_KEY *k;
    if (ref == NULL || ref_sz != sizeof(k))
        return 0;
    memcpy(&k, ref, sizeof(k));
    if (k == NULL || k->magic != IPROV_KEY_MAGIC)
        return 0;
    *out = k;
    return 1;
}

const char *iprov_obj_desc(const iotsafe_object *o, char *buf, size_t len)
{
    return iotsafe_object_str(o, buf, len);
}

const char *iprov_key_desc(const IPROV_KEY *k, char *buf, size_t len)
{
    if (k->has_private)
        return iprov_obj_desc(&k->priv, buf, len);
    if (k->has_pub_obj)
        return iprov_obj_desc(&k->pub, buf, len);
    snprintf(buf, len, "a public key not on a card");
    return buf;
}

iotsafe_ref iprov_key_priv_ref(const IPROV_KEY *k)
{
    return iotsafe_object_ref(&k->priv);
}

iotsafe_ref iprov_key_pub_ref(const IPROV_KEY *k)
{
    return iotsafe_object_ref(&k->pub);
}

int iprov_key_to_uri(const IPROV_KEY *k, iotsafe_uri *u)
{
    const iotsafe_object *o = k->has_private ? &k->priv : k->has_pub_obj ? &k->pub : NULL;
    memset(u, 0, sizeof(*u));
    return k->on_card && o != NULL &&
           iotsafe_uri_from_object(
               o, k->has_private ? IOTSAFE_URI_TYPE_PRIVATE : IOTSAFE_URI_TYPE_PUBLIC, k->reader,
               u) == 0;
}

int iprov_key_export_public(const IPROV_KEY *k, int selection, OSSL_CALLBACK *cb, void *cbarg)
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
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)k->point,
                                                        k->point_len);
    }
    params[n] = OSSL_PARAM_construct_end();
    return cb(params, cbarg);
}
