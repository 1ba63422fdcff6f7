/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA with a card key. The host hashes (EVP_MD from the provider's child
 * libctx, i.e. the application's default provider) and the card signs only
 * the digest: INIT + UPDATE, two APDUs. A digest of any length (SHA-1,
 * SHA-224, ...) goes to the card as the same ECDSA integer in a digest of a
 * hash the key allows (iotsafe_ecdsa_card_input); the signature is verified
 * over the application's digest. Init and size queries do no card I/O, so
 * libssl can probe digests cheaply, and dupctx is just an MD ctx copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "compat.h"
#include "dispatch.h"
#include "error.h"
#include "key.h"
#include "verify.h"

/*
 * The digests an application may name, with their ecdsa-with-X
 * AlgorithmIdentifiers (no parameters; RFC 3279, RFC 5758). card_hash: the
 * same hash in the card's attributes, 0 for those a card never names.
 */
typedef struct sig_digest {
    const char *md_name; /* OpenSSL's canonical name, used with EVP_MD_is_a */
    const char *label;
    size_t len;
    iotsafe_hash card_hash;
    size_t alg_id_len;
    uint8_t alg_id[12];
} sig_digest;

static const sig_digest digests[] = {
    {"SHA1", "SHA-1", 20, 0, 11, {0x30, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01}},
    {"SHA2-224",
     "SHA-224",
     28,
     0,
     12,
     {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x01}},
    {"SHA2-256",
     "SHA-256",
     32,
     IOTSAFE_HASH_SHA256,
     12,
     {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02}},
    {"SHA2-384",
     "SHA-384",
     48,
     IOTSAFE_HASH_SHA384,
     12,
     {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03}},
    {"SHA2-512",
     "SHA-512",
     64,
     IOTSAFE_HASH_SHA512,
     12,
     {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04}},
};
#define NDIGESTS (sizeof(digests) / sizeof(digests[0]))

/* The longest digest iotsafe_ecdsa_card_input takes, and what it hands the card. */
#define CARD_DIGEST_MAX 64

typedef struct sig_ctx {
    IPROV_CTX *pctx;
    IPROV_KEY *key;
    const sig_digest *dg; /* NULL: none chosen (pre-hashed sign takes 1 to 64 bytes) */
    EVP_MD *md;           /* digest-sign only */
    EVP_MD_CTX *mdctx;
} SIG_CTX;

static OSSL_FUNC_signature_newctx_fn sig_newctx;
static OSSL_FUNC_signature_freectx_fn sig_freectx;
static OSSL_FUNC_signature_dupctx_fn sig_dupctx;
static OSSL_FUNC_signature_sign_init_fn sig_sign_init;
static OSSL_FUNC_signature_sign_fn sig_sign;
static OSSL_FUNC_signature_digest_sign_init_fn sig_digest_sign_init;
static OSSL_FUNC_signature_digest_sign_update_fn sig_digest_sign_update;
static OSSL_FUNC_signature_digest_sign_final_fn sig_digest_sign_final;
static OSSL_FUNC_signature_digest_sign_fn sig_digest_sign;
static OSSL_FUNC_signature_get_ctx_params_fn sig_get_ctx_params;
static OSSL_FUNC_signature_gettable_ctx_params_fn sig_gettable_ctx_params;
static OSSL_FUNC_signature_set_ctx_params_fn sig_set_ctx_params;
static OSSL_FUNC_signature_settable_ctx_params_fn sig_settable_ctx_params;

static void *sig_newctx(void *provctx, const char *propq)
{
    SIG_CTX *c;
    (void)propq; /* digests come from the default provider whatever the query */
    if (!iprov_usable(provctx))
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        IPROV_ERR(provctx, IPROV_R_MALLOC, "allocating a signature context");
        return NULL;
    }
    c->pctx = provctx;
    return c;
}

static void reset(SIG_CTX *c)
{
    EVP_MD_CTX_free(c->mdctx);
    EVP_MD_free(c->md);
    iprov_key_free(c->key);
    c->mdctx = NULL;
    c->md = NULL;
    c->key = NULL;
    c->dg = NULL;
}

static void sig_freectx(void *vctx)
{
    SIG_CTX *c = vctx;
    if (c == NULL)
        return;
    reset(c);
    free(c);
}

static void *sig_dupctx(void *vctx)
{
    const SIG_CTX *src = vctx;
    SIG_CTX *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        IPROV_ERR(src->pctx, IPROV_R_MALLOC, "duplicating a signature context");
        return NULL;
    }
    *d = *src;
    d->key = NULL;
    d->md = NULL;
    d->mdctx = NULL;
    if (src->key != NULL && iprov_key_up_ref(src->key))
        d->key = src->key;
    if (src->md != NULL && EVP_MD_up_ref(src->md))
        d->md = src->md;
    if (src->mdctx != NULL &&
        ((d->mdctx = EVP_MD_CTX_new()) == NULL || !EVP_MD_CTX_copy_ex(d->mdctx, src->mdctx))) {
        IPROV_ERR(src->pctx, IPROV_R_MALLOC, "copying the digest state");
        sig_freectx(d);
        return NULL;
    }
    return d;
}

/* Is this key allowed to sign at all? Raises the reason. No card I/O. */
static int check_key(SIG_CTX *c, const IPROV_KEY *k)
{
    char d[160];
    if (k == NULL || !k->on_card || !k->has_private) {
        IPROV_ERR(c->pctx, IPROV_R_NOT_A_PRIVATE_KEY,
                  "cannot sign with %s: it is not a private key on the card",
                  k != NULL ? iprov_key_desc(k, d, sizeof(d)) : "a missing key");
        return 0;
    }
    if (((k->priv.present & IOTSAFE_HAS_FUNCTIONS) != 0 &&
         (k->priv.functions & IOTSAFE_FN_SIGN) == 0) ||
        ((k->priv.present & IOTSAFE_HAS_SIG_ALGS) != 0 &&
         (k->priv.sig_algs & IOTSAFE_SIGALG_ECDSA) == 0)) {
        IPROV_ERR(c->pctx, IPROV_R_WRONG_USAGE,
                  "%s may not be used for signing (card functions %02X)",
                  iprov_key_desc(k, d, sizeof(d)), k->priv.functions);
        return 0;
    }
    return 1;
}

/* What the card signs for a digest: the same ECDSA integer as a digest of a hash the key allows. */
struct card_in {
    uint8_t data[CARD_DIGEST_MAX];
    size_t len;
    iotsafe_hash hash;
};

/*
 * The card's input for digest (dlen bytes, 1 to CARD_DIGEST_MAX, of dg or of
 * an unnamed digest; NULL: only check that the key can sign one of that
 * length). 1, or 0 with the reason raised. No card I/O.
 */
static int card_input(SIG_CTX *c, const sig_digest *dg, const uint8_t *digest, size_t dlen,
                      struct card_in *in)
{
    static const uint8_t zeros[CARD_DIGEST_MAX];
    const IPROV_KEY *k = c->key;
    uint16_t allowed = 0; /* the card names no hashes: any */
    iotsafe_rc rc = IOTSAFE_E_USAGE;
    char d[160], what[32];

    in->len = sizeof(in->data);
    /* A card that names its hashes and none of them allows nothing (0 means any below). */
    if ((k->priv.present & IOTSAFE_HAS_HASHES) == 0 || (allowed = k->priv.hashes) != 0)
        rc = iotsafe_ecdsa_card_input(k->curve, allowed, digest != NULL ? digest : zeros, dlen,
                                      in->data, &in->len, &in->hash);
    if (rc == IOTSAFE_OK)
        return 1;
    if (dg != NULL)
        snprintf(what, sizeof(what), "%s", dg->label);
    else
        snprintf(what, sizeof(what), "a %zu-byte digest", dlen);
    if (rc != IOTSAFE_E_USAGE) {
        IPROV_ERR(c->pctx, IPROV_R_INTERNAL, "cannot sign %s with %s", what,
                  iprov_key_desc(k, d, sizeof(d)));
        return 0;
    }
    char allowed_words[64] = "";
    for (size_t j = 0; j < NDIGESTS; j++) {
        if ((k->priv.hashes & digests[j].card_hash) != 0) {
            if (allowed_words[0] != '\0')
                strcat(allowed_words, ", ");
            strcat(allowed_words, digests[j].label);
        }
    }
    IPROV_ERR(c->pctx, IPROV_R_UNSUPPORTED_DIGEST, "%s does not allow %s (card allows: %s)",
              iprov_key_desc(k, d, sizeof(d)), what,
              allowed_words[0] != '\0' ? allowed_words : "none");
    return 0;
}

/* Can the key sign a digest of dg? Raises the reason. No card I/O. */
static int check_digest(SIG_CTX *c, const sig_digest *dg)
{
    struct card_in in;
    return card_input(c, dg, NULL, dg->len, &in);
}

/* Digest name -> one of ours, by fetching it (so every OpenSSL alias works). */
static int digest_from_name(SIG_CTX *c, const char *name, const sig_digest **out, EVP_MD **md_out)
{
    EVP_MD *md = EVP_MD_fetch(c->pctx->libctx, name, NULL);
    if (md != NULL) {
        for (size_t i = 0; i < NDIGESTS; i++) {
            if (EVP_MD_is_a(md, digests[i].md_name)) {
                *out = &digests[i];
                if (md_out != NULL)
                    *md_out = md;
                else
                    EVP_MD_free(md);
                return 1;
            }
        }
        EVP_MD_free(md);
    }
    IPROV_ERR(c->pctx, IPROV_R_UNSUPPORTED_DIGEST,
              "digest %s cannot be used with IoT SAFE keys (SHA-1, SHA-224, SHA-256, SHA-384 or "
              "SHA-512 only)",
              iotsafe_escape_str(name, (char[64]){0}, 64));
    return 0;
}

static int set_key(SIG_CTX *c, void *provkey)
{
    IPROV_KEY *k = provkey;
    if (k == NULL) {
        if (c->key == NULL) {
            IPROV_ERR(c->pctx, IPROV_R_NOT_A_PRIVATE_KEY, "no key given");
            return 0;
        }
        return check_key(c, c->key); /* re-init with the same key */
    }
    if (!check_key(c, k) || !iprov_key_up_ref(k))
        return 0;
    reset(c);
    c->key = k;
    return 1;
}

static int sig_sign_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
    SIG_CTX *c = vctx;
    if (!set_key(c, provkey))
        return 0;
    EVP_MD_CTX_free(c->mdctx);
    c->mdctx = NULL;
    return sig_set_ctx_params(c, params);
}

static int sig_digest_sign_init(void *vctx, const char *mdname, void *provkey,
                                const OSSL_PARAM params[])
{
    SIG_CTX *c = vctx;
    const sig_digest *dg;
    EVP_MD *md = NULL;

    if (!set_key(c, provkey))
        return 0;
    if (mdname == NULL || mdname[0] == '\0')
        mdname = "SHA256"; /* our default-digest */
    if (!digest_from_name(c, mdname, &dg, &md))
        return 0;
    if (!check_digest(c, dg)) {
        EVP_MD_free(md);
        return 0;
    }
    EVP_MD_free(c->md);
    c->md = md;
    c->dg = dg;
    if (c->mdctx == NULL && (c->mdctx = EVP_MD_CTX_new()) == NULL) {
        IPROV_ERR(c->pctx, IPROV_R_MALLOC, "allocating a digest context");
        return 0;
    }
    if (!EVP_DigestInit_ex2(c->mdctx, c->md, NULL)) {
        IPROV_ERR(c->pctx, IPROV_R_INTERNAL, "initialising %s",
                  iotsafe_escape_str(mdname, (char[64]){0}, 64));
        return 0;
    }
    return sig_set_ctx_params(c, params);
}

struct sign_arg {
    const IPROV_KEY *key;
    const struct card_in *in;
    uint8_t rs[IOTSAFE_RS_MAX];
    size_t rs_len;
    char reader[128]; /* the reader that answered, for messages */
};

static iotsafe_rc sign_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct sign_arg *a = varg;
    iotsafe_ref ref = iprov_key_priv_ref(a->key);
    snprintf(a->reader, sizeof(a->reader), "%s", iotsafe_card_reader(card));
    a->rs_len = sizeof(a->rs);
    return iotsafe_sign_digest(card, &ref, a->in->hash, a->in->data, a->in->len, a->rs, &a->rs_len,
                               st);
}

/* The card signs digest (1 to CARD_DIGEST_MAX bytes); DER ECDSA-Sig-Value into sig. */
static int card_sign(SIG_CTX *c, const uint8_t *digest, size_t dlen, unsigned char *sig,
                     size_t *siglen, size_t sigsize)
{
    struct card_in in;
    struct sign_arg a = {c->key, &in, {0}, 0, ""};
    uint8_t der[IOTSAFE_RS_MAX + 16];
    size_t der_len = sizeof(der);
    iotsafe_status st;

    if (!card_input(c, c->dg, digest, dlen, &in))
        return 0;
    iotsafe_status_clear(&st);
    if (iprov_card_run(c->pctx, c->key->reader, sign_op, &a, &st) != IOTSAFE_OK) {
        IPROV_ERR_ST(c->pctx, &st);
        return 0;
    }
    /* checked before release, over the application's digest: a wrong signature is never output */
    if (a.rs_len != 2 * iotsafe_curve_field_len(c->key->curve) ||
        iotsafe_ecdsa_rs_to_der(a.rs, a.rs_len, der, &der_len) != IOTSAFE_OK)
        der_len = 0;
    if (!iprov_check_signature(c->pctx, c->key, a.reader, digest, dlen, a.rs, a.rs_len, der,
                               der_len))
        return 0;
    if (der_len > sigsize) {
        IPROV_ERR(c->pctx, IPROV_R_BUFFER_TOO_SMALL, "signature buffer of %zu bytes, need %zu",
                  sigsize, der_len);
        return 0;
    }
    memcpy(sig, der, der_len);
    *siglen = der_len;
    return 1;
}

static int size_query(SIG_CTX *c, size_t *siglen)
{
    if (c->key == NULL)
        return 0;
    *siglen = iotsafe_curve_max_sig_der(c->key->curve);
    return 1;
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                    const unsigned char *tbs, size_t tbslen)
{
    SIG_CTX *c = vctx;

    if (sig == NULL)
        return size_query(c, siglen);
    if (c->key == NULL)
        return 0;
    /* Pre-hashed: a digest of the one chosen, else of any length ECDSA takes here. */
    if (c->dg != NULL && tbslen != c->dg->len) {
        IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "input of %zu bytes is not a %s digest", tbslen,
                  c->dg->label);
        return 0;
    }
    if (tbslen == 0 || tbslen > CARD_DIGEST_MAX) {
        IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT,
                  "input of %zu bytes is not a digest (1 to %d bytes)", tbslen, CARD_DIGEST_MAX);
        return 0;
    }
    return card_sign(c, tbs, tbslen, sig, siglen, sigsize);
}

static int sig_digest_sign_update(void *vctx, const unsigned char *data, size_t datalen)
{
    SIG_CTX *c = vctx;
    if (c->mdctx == NULL)
        return 0;
    return EVP_DigestUpdate(c->mdctx, data, datalen);
}

static int sig_digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize)
{
    SIG_CTX *c = vctx;
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    if (sig == NULL)
        return size_query(c, siglen);
    if (c->mdctx == NULL || !EVP_DigestFinal_ex(c->mdctx, dgst, &dlen))
        return 0;
    return card_sign(c, dgst, dlen, sig, siglen, sigsize);
}

static int sig_digest_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                           const unsigned char *tbs, size_t tbslen)
{
    SIG_CTX *c = vctx;
    if (sig == NULL)
        return size_query(c, siglen);
    if (c->mdctx == NULL || !EVP_DigestUpdate(c->mdctx, tbs, tbslen))
        return 0;
    return sig_digest_sign_final(c, sig, siglen, sigsize);
}

static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    SIG_CTX *c = vctx;
    const sig_digest *dg = c->dg;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) != NULL) {
        if (dg == NULL || !OSSL_PARAM_set_octet_string(p, dg->alg_id, dg->alg_id_len))
            return 0;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL) {
        if (dg == NULL || !OSSL_PARAM_set_utf8_string(p, dg->md_name))
            return 0;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST_SIZE)) != NULL) {
        if (dg == NULL || !OSSL_PARAM_set_size_t(p, dg->len))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_size_t(OSSL_SIGNATURE_PARAM_DIGEST_SIZE, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *sig_gettable_ctx_params(void *vctx, void *provctx)
{
    (void)vctx;
    (void)provctx;
    return gettable;
}

static int sig_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    SIG_CTX *c = vctx;
    const OSSL_PARAM *p;
    const char *name = NULL;
    const sig_digest *dg;

    if (params == NULL)
        return 1;
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
    if (p == NULL)
        return 1;
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) || !digest_from_name(c, name, &dg, NULL))
        return 0;
    if (c->mdctx != NULL && dg != c->dg) {
        /* Digest-sign already hashes with the digest given at init. */
        IPROV_ERR(c->pctx, IPROV_R_BAD_ARGUMENT, "the digest cannot change after init");
        return 0;
    }
    if (c->key != NULL && !check_digest(c, dg))
        return 0;
    c->dg = dg;
    return 1;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *sig_settable_ctx_params(void *vctx, void *provctx)
{
    (void)vctx;
    (void)provctx;
    return settable;
}

const OSSL_DISPATCH iprov_ecdsa_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_newctx},
    {OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx},
    {OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx},
    {OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sig_sign_init},
    {OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))sig_digest_sign_init},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))sig_digest_sign_update},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))sig_digest_sign_final},
    {OSSL_FUNC_SIGNATURE_DIGEST_SIGN, (void (*)(void))sig_digest_sign},
    {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))sig_get_ctx_params},
    {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))sig_gettable_ctx_params},
    {OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))sig_set_ctx_params},
    {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))sig_settable_ctx_params},
    {0, NULL},
};

#ifdef IPROV_HAVE_SIGN_MESSAGE
/*
 * OpenSSL 3.4+: "ECDSA-SHA2-256", "ECDSA-SHA1" and friends. After
 * sign_message_init the input is the message (streamed or one-shot) and the
 * host hashes it; after sign_init it is a digest of that algorithm. Either way the card signs the
 * digest, as above. An application fetches these from this provider
 * ("?provider=iotsafe"): a card key cannot be exported to another one.
 */
static const char *ec_key_types[] = {"EC", NULL};

static const char **sig_query_key_types(void)
{
    return ec_key_types;
}

static int sigalg_message_init(void *vctx, void *provkey, const OSSL_PARAM params[],
                               const char *mdname)
{
    return sig_digest_sign_init(vctx, mdname, provkey, params);
}

static int sigalg_digest_init(void *vctx, void *provkey, const OSSL_PARAM params[],
                              const char *mdname)
{
    SIG_CTX *c = vctx;
    const sig_digest *dg;
    if (!sig_sign_init(c, provkey, params) || !digest_from_name(c, mdname, &dg, NULL) ||
        !check_digest(c, dg))
        return 0;
    c->dg = dg;
    return 1;
}

/* One-shot: a message after sign_message_init (digest context set), else a digest. */
static int sigalg_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                       const unsigned char *tbs, size_t tbslen)
{
    SIG_CTX *c = vctx;
    if (c->mdctx != NULL)
        return sig_digest_sign(c, sig, siglen, sigsize, tbs, tbslen);
    return sig_sign(c, sig, siglen, sigsize, tbs, tbslen);
}

#define IPROV_ECDSA_SIGALG(id, mdname)                                                         \
    static int ecdsa_##id##_message_init(void *vctx, void *provkey, const OSSL_PARAM params[]) \
    {                                                                                          \
        return sigalg_message_init(vctx, provkey, params, mdname);                             \
    }                                                                                          \
    static int ecdsa_##id##_sign_init(void *vctx, void *provkey, const OSSL_PARAM params[])    \
    {                                                                                          \
        return sigalg_digest_init(vctx, provkey, params, mdname);                              \
    }                                                                                          \
    const OSSL_DISPATCH iprov_ecdsa_##id##_signature_functions[] = {                           \
        {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_newctx},                              \
        {OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx},                            \
        {OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx},                              \
        {OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))ecdsa_##id##_sign_init},               \
        {OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sigalg_sign},                               \
        {OSSL_FUNC_SIGNATURE_SIGN_MESSAGE_INIT, (void (*)(void))ecdsa_##id##_message_init},    \
        {OSSL_FUNC_SIGNATURE_SIGN_MESSAGE_UPDATE, (void (*)(void))sig_digest_sign_update},     \
        {OSSL_FUNC_SIGNATURE_SIGN_MESSAGE_FINAL, (void (*)(void))sig_digest_sign_final},       \
        {OSSL_FUNC_SIGNATURE_QUERY_KEY_TYPES, (void (*)(void))sig_query_key_types},            \
        {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))sig_get_ctx_params},              \
        {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))sig_gettable_ctx_params},    \
        {OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))sig_set_ctx_params},              \
        {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))sig_settable_ctx_params},    \
        {0, NULL},                                                                             \
    };

IPROV_ECDSA_SIGALG(sha1, "SHA1")
IPROV_ECDSA_SIGALG(sha224, "SHA2-224")
IPROV_ECDSA_SIGALG(sha256, "SHA2-256")
IPROV_ECDSA_SIGALG(sha384, "SHA2-384")
IPROV_ECDSA_SIGALG(sha512, "SHA2-512")
#endif
