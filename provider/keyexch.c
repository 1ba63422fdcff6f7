/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDH with a card key: the peer's point goes into a public key slot with
 * update access (PUT PUBLIC KEY) and the card computes the shared secret
 * (COMPUTE DH). Choosing the slot (object list or dh-peer-slot lookup) is a
 * card transaction of its own; only the PUT and the DH share one, so no
 * other process can swap the slot's point in between (libiotsafe skips the
 * PUT when the slot already holds this peer). The result is the plain X
 * coordinate, like the default provider's ECDH; optionally run through the
 * X9.63 KDF (as CMS asks for), computed on the host from the card's secret.
 *
 * The slot is the provider's dh-peer-slot setting, else the first public
 * key object with update access on the key's curve that is no key pair's
 * public key: libiotsafe's rule (iotsafe_find_peer_slot), as the PKCS#11
 * module's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "dispatch.h"
#include "error.h"
#include "key.h"
#include "verify.h"

#define KDF_NAME_X963 "X963KDF"
#define MAX_KDF_OUTLEN (1u << 16) /* far above any use; bounds the host allocation */

typedef struct dh_ctx {
    IPROV_CTX *pctx;
    IPROV_KEY *key;
    IPROV_KEY *peer;
    int kdf_x963;    /* 0: plain shared secret */
    char kdf_md[64]; /* digest of the KDF */
    size_t kdf_outlen;
    unsigned char *ukm; /* KDF shared info */
    size_t ukm_len;
    int cofactor_mode; /* -1 default; cofactor is 1 on every supported curve */
} DH_CTX;

static OSSL_FUNC_keyexch_newctx_fn dh_newctx;
static OSSL_FUNC_keyexch_init_fn dh_init;
static OSSL_FUNC_keyexch_set_peer_fn dh_set_peer;
static OSSL_FUNC_keyexch_derive_fn dh_derive;
static OSSL_FUNC_keyexch_freectx_fn dh_freectx;
static OSSL_FUNC_keyexch_dupctx_fn dh_dupctx;
static OSSL_FUNC_keyexch_set_ctx_params_fn dh_set_ctx_params;
static OSSL_FUNC_keyexch_settable_ctx_params_fn dh_settable_ctx_params;
static OSSL_FUNC_keyexch_get_ctx_params_fn dh_get_ctx_params;
static OSSL_FUNC_keyexch_gettable_ctx_params_fn dh_gettable_ctx_params;

static void *dh_newctx(void *provctx)
{
    DH_CTX *c;
    if (!iprov_usable(provctx))
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        IPROV_ERR(provctx, IPROV_R_MALLOC, "allocating a key exchange context");
        return NULL;
    }
    c->pctx = provctx;
    c->cofactor_mode = -1;
    return c;
}

static void dh_freectx(void *vctx)
{
    DH_CTX *c = vctx;
    if (c == NULL)
        return;
    iprov_key_free(c->key);
    iprov_key_free(c->peer);
    OPENSSL_clear_free(c->ukm, c->ukm_len);
    free(c);
}

static void *dh_dupctx(void *vctx)
{
    const DH_CTX *src = vctx;
    DH_CTX *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        IPROV_ERR(src->pctx, IPROV_R_MALLOC, "duplicating a key exchange context");
        return NULL;
    }
    *d = *src;
    d->key = NULL;
    d->peer = NULL;
    d->ukm = NULL;
    if (src->ukm != NULL && (d->ukm = OPENSSL_memdup(src->ukm, src->ukm_len)) == NULL) {
        IPROV_ERR(src->pctx, IPROV_R_MALLOC, "duplicating a key exchange context");
        free(d);
        return NULL;
    }
    if (src->key != NULL && iprov_key_up_ref(src->key))
        d->key = src->key;
    if (src->peer != NULL && iprov_key_up_ref(src->peer))
        d->peer = src->peer;
    return d;
}

/* May this key agree keys on the card? No card I/O. */
static int check_key(DH_CTX *c, const IPROV_KEY *k)
{
    char d[160];
    if (k == NULL || k->magic != IPROV_KEY_MAGIC || !k->on_card || !k->has_private) {
        IPROV_ERR(c->pctx, IPROV_R_NOT_A_PRIVATE_KEY,
                  "ECDH needs a private key on the card, and %s is not one",
                  k != NULL ? iprov_key_desc(k, d, sizeof(d)) : "no key");
        return 0;
    }
    if ((k->priv.present & IOTSAFE_HAS_FUNCTIONS) != 0 &&
        (k->priv.functions & IOTSAFE_FN_KEY_AGREEMENT) == 0) {
        IPROV_ERR(c->pctx, IPROV_R_WRONG_USAGE,
                  "%s may not be used for key agreement (card functions %02X)",
                  iprov_key_desc(k, d, sizeof(d)), k->priv.functions);
        return 0;
    }
    return 1;
}

static int dh_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
    DH_CTX *c = vctx;
    IPROV_KEY *k = provkey;
    if (c == NULL || !check_key(c, k) || !iprov_key_up_ref(k))
        return 0;
    iprov_key_free(c->key);
    c->key = k;
    /* A peer set for another key may sit on another curve: start over. */
    iprov_key_free(c->peer);
    c->peer = NULL;
    return dh_set_ctx_params(c, params);
}

static int dh_set_peer(void *vctx, void *provkey)
{
    DH_CTX *c = vctx;
    IPROV_KEY *p = provkey;
    char d[160];

    if (c == NULL || c->key == NULL)
        return 0;
    if (p == NULL || p->magic != IPROV_KEY_MAGIC || p->point_len == 0) {
        IPROV_ERR(c->pctx, IPROV_R_BAD_PUBLIC_KEY, "the ECDH peer key has no public point");
        return 0;
    }
    if (p->curve != c->key->curve) {
        IPROV_ERR(c->pctx, IPROV_R_UNSUPPORTED_CURVE,
                  "the peer key is on %s but the card key, %s, is on %s",
                  p->curve != IOTSAFE_CURVE_NONE ? iotsafe_curve_name(p->curve) : "another curve",
                  iprov_key_desc(c->key, d, sizeof(d)), iotsafe_curve_name(c->key->curve));
        return 0;
    }
    if (!iprov_key_up_ref(p))
        return 0;
    iprov_key_free(c->peer);
    c->peer = p;
    return 1;
}

struct dh_arg {
    IPROV_CTX *pctx;
    const IPROV_KEY *key;
    const IPROV_KEY *peer;
    uint8_t z[IOTSAFE_POINT_MAX];
    size_t z_len;
    char reader[128]; /* the reader that answered, for messages */
};

static iotsafe_rc dh_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct dh_arg *a = varg;
    const iotsafe_options *opts = &a->pctx->cfg.opts;
    iotsafe_object slot;
    iotsafe_ref priv, sref;
    iotsafe_rc rc;
    snprintf(a->reader, sizeof(a->reader), "%s", iotsafe_card_reader(card));
    rc = iotsafe_find_peer_slot(card, a->key->curve,
                                opts->dh_peer_slot_len > 0 ? opts->dh_peer_slot : NULL,
                                opts->dh_peer_slot_len, &slot, st);
    if (rc != IOTSAFE_OK)
        return rc;
    priv = iprov_key_priv_ref(a->key);
    sref = iotsafe_object_ref(&slot);
    a->z_len = sizeof(a->z);
    return iotsafe_compute_dh_with_peer(card, &priv, &sref, a->peer->point, a->peer->point_len,
                                        a->z, &a->z_len, st);
}

static int x963(DH_CTX *c, const uint8_t *z, size_t z_len, unsigned char *out, size_t outlen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(c->pctx->libctx, KDF_NAME_X963, NULL);
    EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[4];
    int n = 0, ok;

    p[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, c->kdf_md, 0);
    p[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len);
    if (c->ukm != NULL)
        p[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, c->ukm, c->ukm_len);
    p[n] = OSSL_PARAM_construct_end();
    ok = kctx != NULL && EVP_KDF_derive(kctx, out, outlen, p) > 0;
    if (!ok)
        IPROV_ERR(c->pctx, IPROV_R_INTERNAL, "X9.63 KDF with %s failed", c->kdf_md);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok;
}

static int dh_derive(void *vctx, unsigned char *secret, size_t *secretlen, size_t outlen)
{
    DH_CTX *c = vctx;
    struct dh_arg a;
    iotsafe_status st;
    size_t field, size;
    int ok;

    if (c == NULL || c->key == NULL) {
        if (c != NULL)
            IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "ECDH derive before init");
        return 0;
    }
    field = iotsafe_curve_field_len(c->key->curve);
    size = c->kdf_x963 ? c->kdf_outlen : field;
    if (secret == NULL) { /* size query: no card I/O */
        *secretlen = size;
        return 1;
    }
    if (c->peer == NULL) {
        IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "ECDH derive without a peer key");
        return 0;
    }
    if (c->kdf_x963 && size == 0) {
        IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "the X9.63 KDF needs kdf-outlen");
        return 0;
    }
    if (c->kdf_x963 && outlen < size) {
        IPROV_ERR(c->pctx, IPROV_R_BUFFER_TOO_SMALL,
                  "output buffer of %zu bytes, the KDF gives %zu", outlen, size);
        return 0;
    }
    /* both points right before the card uses them, whatever the keys' source */
    if (!iprov_check_key_point(c->pctx, c->peer, "ECDH peer key") ||
        !iprov_check_key_point(c->pctx, c->key, "card key"))
        return 0;
    memset(&a, 0, sizeof(a));
    a.pctx = c->pctx;
    a.key = c->key;
    a.peer = c->peer;
    iotsafe_status_clear(&st);
    if (iprov_card_run(c->pctx, c->key->reader, dh_op, &a, &st) != IOTSAFE_OK) {
        IPROV_ERR_ST(c->pctx, &st);
        OPENSSL_cleanse(a.z, sizeof(a.z));
        return 0;
    }
    if (!iprov_check_shared_secret(c->pctx, c->key, a.reader, a.z, a.z_len)) {
        OPENSSL_cleanse(a.z, sizeof(a.z));
        return 0;
    }
    if (c->kdf_x963) {
        ok = x963(c, a.z, a.z_len, secret, size);
        if (ok)
            *secretlen = size;
    } else {
        /* Like the default provider: a shorter buffer gets the leading bytes. */
        size_t n = outlen < field ? outlen : field;
        memcpy(secret, a.z, n);
        *secretlen = n;
        ok = 1;
    }
    OPENSSL_cleanse(a.z, sizeof(a.z));
    return ok;
}

static int dh_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    DH_CTX *c = vctx;
    const OSSL_PARAM *p;
    const char *s;

    if (c == NULL)
        return 0;
    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE)) != NULL) {
        int mode;
        if (!OSSL_PARAM_get_int(p, &mode) || mode < -1 || mode > 1)
            return 0;
        c->cofactor_mode = mode;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_TYPE)) != NULL) {
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
            return 0;
        if (s[0] == '\0') {
            c->kdf_x963 = 0;
        } else if (strcasecmp(s, KDF_NAME_X963) == 0) {
            c->kdf_x963 = 1;
        } else {
            IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "ECDH KDF '%s' is not supported (only %s)",
                      iotsafe_escape_str(s, (char[64]){0}, 64), KDF_NAME_X963);
            return 0;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST)) != NULL) {
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) || strlen(s) >= sizeof(c->kdf_md))
            return 0;
        strcpy(c->kdf_md, s);
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN)) != NULL) {
        size_t n;
        if (!OSSL_PARAM_get_size_t(p, &n) || n > MAX_KDF_OUTLEN)
            return 0;
        c->kdf_outlen = n;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_UKM)) != NULL) {
        void *buf = NULL;
        size_t n = 0;
        if (!OSSL_PARAM_get_octet_string(p, &buf, 0, &n))
            return 0;
        OPENSSL_clear_free(c->ukm, c->ukm_len);
        c->ukm = buf;
        c->ukm_len = n;
    }
    if (c->kdf_x963 && c->kdf_md[0] == '\0')
        strcpy(c->kdf_md, "SHA256");
    return 1;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
    OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
    OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
    OSSL_PARAM_octet_string(OSSL_EXCHANGE_PARAM_KDF_UKM, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *dh_settable_ctx_params(void *vctx, void *provctx)
{
    (void)vctx;
    (void)provctx;
    return settable;
}

static int dh_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    DH_CTX *c = vctx;
    OSSL_PARAM *p;

    if (c == NULL)
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE)) != NULL &&
        !OSSL_PARAM_set_int(p, c->cofactor_mode < 0 ? 0 : c->cofactor_mode))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_TYPE)) != NULL &&
        !OSSL_PARAM_set_utf8_string(p, c->kdf_x963 ? KDF_NAME_X963 : ""))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST)) != NULL &&
        !OSSL_PARAM_set_utf8_string(p, c->kdf_md))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN)) != NULL &&
        !OSSL_PARAM_set_size_t(p, c->kdf_outlen))
        return 0;
    return 1;
}

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
    OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
    OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *dh_gettable_ctx_params(void *vctx, void *provctx)
{
    (void)vctx;
    (void)provctx;
    return gettable;
}

const OSSL_DISPATCH iprov_ecdh_keyexch_functions[] = {
    {OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))dh_newctx},
    {OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))dh_init},
    {OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))dh_set_peer},
    {OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))dh_derive},
    {OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))dh_freectx},
    {OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))dh_dupctx},
    {OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, (void (*)(void))dh_set_ctx_params},
    {OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS, (void (*)(void))dh_settable_ctx_params},
    {OSSL_FUNC_KEYEXCH_GET_CTX_PARAMS, (void (*)(void))dh_get_ctx_params},
    {OSSL_FUNC_KEYEXCH_GETTABLE_CTX_PARAMS, (void (*)(void))dh_gettable_ctx_params},
    {0, NULL},
};
