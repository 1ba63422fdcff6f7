/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC key management for card keys. Nothing here talks to the card: the
 * public point was read when the key was loaded. Private parts are never
 * exported; public parts are, so the default provider can verify and match.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "keygen.h"
#include "dispatch.h"
#include "error.h"
#include "key.h"

static OSSL_FUNC_keymgmt_new_fn km_new;
static OSSL_FUNC_keymgmt_free_fn km_free;
static OSSL_FUNC_keymgmt_dup_fn km_dup;
static OSSL_FUNC_keymgmt_load_fn km_load;
static OSSL_FUNC_keymgmt_has_fn km_has;
static OSSL_FUNC_keymgmt_match_fn km_match;
static OSSL_FUNC_keymgmt_import_fn km_import;
static OSSL_FUNC_keymgmt_import_types_fn km_import_types;
static OSSL_FUNC_keymgmt_export_fn km_export;
static OSSL_FUNC_keymgmt_export_types_fn km_export_types;
static OSSL_FUNC_keymgmt_get_params_fn km_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn km_gettable_params;
static OSSL_FUNC_keymgmt_query_operation_name_fn km_query_operation_name;

static void *km_new(void *provctx)
{
    if (!iprov_usable(provctx))
        return NULL;
    return iprov_key_new(provctx);
}

static void km_free(void *keydata)
{
    iprov_key_free(keydata);
}

static void *km_dup(const void *keydata, int selection)
{
    (void)selection; /* the key is immutable: a full copy serves every selection */
    return keydata != NULL ? iprov_key_dup(keydata) : NULL;
}

/* References come from our own store or decoder only (libcrypto checks the provider). */
static void *km_load(const void *reference, size_t reference_sz)
{
    IPROV_KEY *k = NULL;
    if (!iprov_key_from_reference(reference, reference_sz, &k) || !iprov_key_up_ref(k))
        return NULL;
    return k;
}

static int km_has(const void *keydata, int selection)
{
    const IPROV_KEY *k = keydata;
    if (k == NULL)
        return 0;
    /* Card keys answer public+private so EVP_PKEY_eq and the PEM loader accept them. */
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !k->has_private)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && k->point_len == 0)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) != 0 && k->curve == IOTSAFE_CURVE_NONE)
        return 0;
    return 1;
}

static int km_match(const void *keydata1, const void *keydata2, int selection)
{
    const IPROV_KEY *a = keydata1, *b = keydata2;
    int ok = 1;

    if (a == NULL || b == NULL)
        return 0;
    if (a->curve == IOTSAFE_CURVE_NONE || a->curve != b->curve)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0) {
        /* Same public point on the same curve means the same key pair. */
        ok = a->point_len > 0 && a->point_len == b->point_len &&
             memcmp(a->point, b->point, a->point_len) == 0;
        if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0)
            ok = ok && a->has_private && b->has_private;
    }
    return ok;
}

static int km_import(void *keydata, int selection, const OSSL_PARAM params[])
{
    IPROV_KEY *k = keydata;
    const OSSL_PARAM *p;
    const char *group = NULL;
    const void *pub = NULL;
    size_t pub_len = 0;
    iotsafe_curve curve;

    if (k == NULL || k->on_card)
        return 0;
    if (OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != NULL) {
        IPROV_ERR(k->ctx, IPROV_R_BAD_ARGUMENT,
                  "the iotsafe provider does not accept private key material");
        return 0;
    }
    /*
     * A SELECT_ALL import of a public key (libcrypto's match/export path)
     * carries no private part: treat it as a public import.
     */
    p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
    if (p != NULL && !OSSL_PARAM_get_utf8_string_ptr(p, &group))
        return 0;
    if (group != NULL) {
        curve = iotsafe_curve_from_name(group);
        if (curve == IOTSAFE_CURVE_NONE) {
            IPROV_ERR(k->ctx, IPROV_R_UNSUPPORTED_CURVE,
                      "curve %s is not supported by the iotsafe provider", group);
            return 0;
        }
    } else if (k->curve != IOTSAFE_CURVE_NONE) {
        curve = k->curve;
    } else {
        /* Explicit curve parameters and the like: not ours to handle. */
        return 0;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && p != NULL) {
        if (!OSSL_PARAM_get_octet_string_ptr(p, &pub, &pub_len))
            return 0;
        return iprov_key_set_point(k, curve, pub, pub_len);
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 &&
        (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) == 0)
        return 0; /* a public import without a public key */
    k->curve = curve;
    return 1;
}

static const OSSL_PARAM key_types[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *km_import_types(int selection)
{
    return (selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS)) !=
                   0
               ? key_types
               : NULL;
}

static int km_export(void *keydata, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    return iprov_key_export_public(keydata, selection, cb, cbarg);
}

static const OSSL_PARAM *km_export_types(int selection)
{
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return NULL;
    return km_import_types(selection);
}

static int km_get_params(void *keydata, OSSL_PARAM params[])
{
    IPROV_KEY *k = keydata;
    OSSL_PARAM *p;

    if (k == NULL)
        return 0;
    if (k->curve != IOTSAFE_CURVE_NONE) {
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
            !OSSL_PARAM_set_int(p, iotsafe_curve_bits(k->curve)))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
            !OSSL_PARAM_set_int(p, iotsafe_curve_security_bits(k->curve)))
            return 0;
        /* ASN1_item_sign sizes its buffer with this: the largest DER signature. */
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
            !OSSL_PARAM_set_int(p, (int)iotsafe_curve_max_sig_der(k->curve)))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, iotsafe_curve_name(k->curve)))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_ENCODING)) != NULL &&
            !OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_EC_ENCODING_GROUP))
            return 0;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST)) != NULL &&
        !OSSL_PARAM_set_utf8_string(p, "SHA256"))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT)) != NULL &&
        !OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
        return 0;
    if (k->point_len > 0) {
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY)) != NULL &&
            !OSSL_PARAM_set_octet_string(p, k->point, k->point_len))
            return 0;
        if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY)) != NULL &&
            !OSSL_PARAM_set_octet_string(p, k->point, k->point_len))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *km_gettable_params(void *provctx)
{
    (void)provctx;
    return gettable;
}

static const char *km_query_operation_name(int operation_id)
{
    switch (operation_id) {
    case OSSL_OP_SIGNATURE:
        return "ECDSA";
    case OSSL_OP_KEYEXCH:
        return "ECDH";
    default:
        return NULL;
    }
}

/* The EC key manager; the gen_* entries are keygen.c's (key generation on the card). */
const OSSL_DISPATCH iprov_ec_keymgmt_functions[] = {
    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))km_new},
    {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free},
    {OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))km_dup},
    {OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))km_load},
    {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has},
    {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match},
    {OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import},
    {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))km_import_types},
    {OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))km_export},
    {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))km_export_types},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))km_gettable_params},
    {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))km_query_operation_name},
    /* keygen.c: GENERATE KEY PAIR in an existing card container */
    {OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))iprov_keygen_init},
    {OSSL_FUNC_KEYMGMT_GEN_SET_TEMPLATE, (void (*)(void))iprov_keygen_set_template},
    {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))iprov_keygen_set_params},
    {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, (void (*)(void))iprov_keygen_settable_params},
    {OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))iprov_keygen},
    {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))iprov_keygen_cleanup},
    {0, NULL},
};
