/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry point of iotsafe.so: provider init/teardown, parameters, and the
 * algorithm tables. Only operations done with card keys are registered:
 * no digests or ciphers, the card RNG ("CARD-RNG" shadows no default
 * algorithm; it gives bytes only with rand = 1, see rand.c), and no
 * get_capabilities (an unanswered TLS-GROUP query must not fail SSL_CTX_new).
 * Loading touches no card; handles open on first use (provctx.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "dispatch.h"
#include "compat.h"
#include "debug.h"
#include "error.h"

#ifndef IPROV_VERSION
#define IPROV_VERSION "0.0.0"
#endif

/* keymgmt and decoder/encoder names must agree so libcrypto can chain them. */
#define EC_NAMES "EC:id-ecPublicKey:1.2.840.10045.2.1"

static const OSSL_ALGORITHM keymgmt_algs[] = {
    {EC_NAMES, IPROV_PROPS, iprov_ec_keymgmt_functions, "EC keys held by an IoT SAFE applet"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM signature_algs[] = {
    {"ECDSA", IPROV_PROPS, iprov_ecdsa_signature_functions, "ECDSA computed by the card"},
#ifdef IPROV_HAVE_SIGN_MESSAGE
    /* The default provider's names for the same algorithms (message signing, 3.4+). */
    {"ECDSA-SHA1:ECDSA-SHA-1:ecdsa-with-SHA1:1.2.840.10045.4.1", IPROV_PROPS,
     iprov_ecdsa_sha1_signature_functions, "ECDSA with SHA-1, signed by the card"},
    {"ECDSA-SHA2-224:ECDSA-SHA224:ecdsa-with-SHA224:1.2.840.10045.4.3.1", IPROV_PROPS,
     iprov_ecdsa_sha224_signature_functions, "ECDSA with SHA-224, signed by the card"},
    {"ECDSA-SHA2-256:ECDSA-SHA256:ecdsa-with-SHA256:1.2.840.10045.4.3.2", IPROV_PROPS,
     iprov_ecdsa_sha256_signature_functions, "ECDSA with SHA-256, signed by the card"},
    {"ECDSA-SHA2-384:ECDSA-SHA384:ecdsa-with-SHA384:1.2.840.10045.4.3.3", IPROV_PROPS,
     iprov_ecdsa_sha384_signature_functions, "ECDSA with SHA-384, signed by the card"},
    {"ECDSA-SHA2-512:ECDSA-SHA512:ecdsa-with-SHA512:1.2.840.10045.4.3.4", IPROV_PROPS,
     iprov_ecdsa_sha512_signature_functions, "ECDSA with SHA-512, signed by the card"},
#endif
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM store_algs[] = {
    {"iotsafe", IPROV_PROPS, iprov_store_functions, "iotsafe: URI store"},
    {NULL, NULL, NULL, NULL},
};

/*
 * Key-reference files decode in two stages (decoder.c): PEM -> our DER body
 * ("DER" from PEM: the name the file store and PEM_read_* chain from a PEM
 * block) -> card key ("EC" from DER). What this costs every OTHER key decode
 * of the process (each certificate of each TLS handshake on OpenSSL 3.0,
 * which builds decoder chains from scratch every time; 3.5 caches them):
 * stage 2 declines public-key selections, so it is never instantiated for a
 * certificate; stage 1 is, as one more "DER" decoder (bench/README.md).
 */
static const OSSL_ALGORITHM decoder_algs[] = {
    {"DER", IPROV_PROPS ",input=pem", iprov_pem_to_der_decoder_functions,
     "IOTSAFE KEY REFERENCE PEM to DER"},
    {EC_NAMES, IPROV_PROPS ",input=der,structure=iotsafe-keyref", iprov_der_to_ec_decoder_functions,
     "IoT SAFE key reference to card key"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM encoder_algs[] = {
    {EC_NAMES, IPROV_PROPS ",output=pem,structure=PrivateKeyInfo",
     iprov_ec_to_keyref_pem_encoder_functions, "card key to IOTSAFE KEY REFERENCE PEM"},
    {EC_NAMES, IPROV_PROPS ",output=der,structure=PrivateKeyInfo",
     iprov_ec_to_keyref_der_encoder_functions, "card key to key reference DER"},
    {EC_NAMES, IPROV_PROPS ",output=pem,structure=SubjectPublicKeyInfo",
     iprov_ec_to_spki_pem_encoder_functions, "card public key to PEM"},
    {EC_NAMES, IPROV_PROPS ",output=der,structure=SubjectPublicKeyInfo",
     iprov_ec_to_spki_der_encoder_functions, "card public key to DER"},
    {EC_NAMES, IPROV_PROPS ",output=text", iprov_ec_to_text_encoder_functions,
     "card public key as text"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM keyexch_algs[] = {
    {"ECDH", IPROV_PROPS, iprov_ecdh_keyexch_functions, "ECDH computed by the card"},
    {NULL, NULL, NULL, NULL},
};

/* Always offered; refuses requests unless rand = 1 (see rand.c for why). */
static const OSSL_ALGORITHM rand_algs[] = {
    {IPROV_RAND_NAME, IPROV_PROPS, iprov_card_rand_functions,
     "random bytes from the card's GET RANDOM"},
    {NULL, NULL, NULL, NULL},
};

static OSSL_FUNC_provider_teardown_fn prov_teardown;
static OSSL_FUNC_provider_gettable_params_fn prov_gettable_params;
static OSSL_FUNC_provider_get_params_fn prov_get_params;
static OSSL_FUNC_provider_query_operation_fn prov_query_operation;
static OSSL_FUNC_provider_get_reason_strings_fn prov_get_reason_strings;

static const OSSL_ALGORITHM *prov_query_operation(void *provctx, int operation_id, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_KEYMGMT:
        return keymgmt_algs;
    case OSSL_OP_SIGNATURE:
        return signature_algs;
    case OSSL_OP_STORE:
        return store_algs;
    case OSSL_OP_DECODER:
        return decoder_algs;
    case OSSL_OP_ENCODER:
        return encoder_algs;
    case OSSL_OP_KEYEXCH:
        return keyexch_algs;
    case OSSL_OP_RAND:
        return rand_algs;
    default:
        return NULL;
    }
}

static const OSSL_PARAM prov_param_types[] = {
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *prov_gettable_params(void *provctx)
{
    (void)provctx;
    return prov_param_types;
}

static int prov_get_params(void *provctx, OSSL_PARAM params[])
{
    const IPROV_CTX *ctx = provctx;
    OSSL_PARAM *p;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, IPROV_NAME))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, IPROV_VERSION))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) != NULL &&
        !OSSL_PARAM_set_utf8_ptr(p, IPROV_VERSION))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) != NULL &&
        !OSSL_PARAM_set_int(p, ctx->bad_config[0] == '\0')) /* 0: bad settings, unusable */
        return 0;
    return 1;
}

static const OSSL_ITEM *prov_get_reason_strings(void *provctx)
{
    (void)provctx;
    return iprov_reason_strings();
}

static void prov_teardown(void *provctx)
{
    iprov_ctx_free(provctx);
}

static const OSSL_DISPATCH prov_dispatch[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))prov_teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))prov_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))prov_get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query_operation},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))prov_get_reason_strings},
    {0, NULL},
};

OSSL_provider_init_fn OSSL_provider_init;

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    IPROV_CTX *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL)
        return 0;
    ctx->handle = handle;
    ctx->pid = getpid();
    for (const OSSL_DISPATCH *d = in; d != NULL && d->function_id != 0; d++) {
        switch (d->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            ctx->core_new_error = OSSL_FUNC_core_new_error(d);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            ctx->core_set_error_debug = OSSL_FUNC_core_set_error_debug(d);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            ctx->core_vset_error = OSSL_FUNC_core_vset_error(d);
            break;
        default:
            break;
        }
    }
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return 0;
    }
    /*
     * Bad settings do not fail the load (see bad_config): only running out
     * of memory does.
     */
    if (!iprov_cfg_load(ctx, in)) {
        iprov_ctx_free(ctx);
        return 0;
    }
    /*
     * A child libctx sees the application's providers, so digests and EC
     * math come from the same default (or FIPS) provider the app uses.
     */
    if ((ctx->libctx = OSSL_LIB_CTX_new_child(handle, in)) == NULL) {
        IPROV_ERR(ctx, IPROV_R_INTERNAL, "creating the provider library context");
        iprov_ctx_free(ctx);
        return 0;
    }
    IPROV_DEBUG(ctx, "provider %s loaded into %s", IPROV_VERSION, OpenSSL_version(OPENSSL_VERSION));
    if (ctx->bad_config[0] != '\0')
        IPROV_DEBUG(ctx, "unusable: %s", ctx->bad_config); /* OpenSSL 3.0 would drop an error */
    *out = prov_dispatch;
    *provctx = ctx;
    return 1;
}
