/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "CARD-RNG": random bytes from the card's GET RANDOM command. Opt-in twice:
 * libcrypto uses it only where openssl.cnf's [random] section names it, either
 * as the DRBG (random = CARD-RNG: every request goes to the card) or,
 * recommended, as the seed source of the default provider's DRBG
 * (seed = CARD-RNG: get_seed below), and it gives bytes only when the
 * provider's config says rand = 1 (IOTSAFE_RAND=1). Its name clashes with no
 * default algorithm, so registering it shadows nothing.
 *
 * It is registered even with rand = 0 and then refuses every request with a
 * message naming the setting: a [random] section that names it must not be
 * silently ignored. OpenSSL 4.0 fails without a fallback when a configured
 * seed source cannot be fetched, 3.x silently seeded from the OS instead;
 * refusing here gives the same, explained, result on every line.
 *
 * The card is its own entropy source: a parent, personalisation string or
 * additional input cannot be mixed into it and is ignored.
 */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "dispatch.h"
#include "error.h"

/* What IoT SAFE cards' certified RNGs are specified for; lets it seed AES-256 CTR-DRBG. */
#define CARD_RNG_STRENGTH 256u
#define CARD_RNG_MAX_REQUEST 4096u

typedef struct rand_ctx {
    IPROV_CTX *pctx;
    int state;             /* EVP_RAND_STATE_* */
    int enabled;           /* the provider's rand setting when this context was made */
    pthread_mutex_t *lock; /* set by enable_locking (libcrypto asks for parents/shared DRBGs) */
} RAND_CTX;

static OSSL_FUNC_rand_newctx_fn rng_newctx;
static OSSL_FUNC_rand_freectx_fn rng_freectx;
static OSSL_FUNC_rand_instantiate_fn rng_instantiate;
static OSSL_FUNC_rand_uninstantiate_fn rng_uninstantiate;
static OSSL_FUNC_rand_generate_fn rng_generate;
static OSSL_FUNC_rand_reseed_fn rng_reseed;
static OSSL_FUNC_rand_get_seed_fn rng_get_seed;
static OSSL_FUNC_rand_clear_seed_fn rng_clear_seed;
static OSSL_FUNC_rand_enable_locking_fn rng_enable_locking;
static OSSL_FUNC_rand_lock_fn rng_lock;
static OSSL_FUNC_rand_unlock_fn rng_unlock;
static OSSL_FUNC_rand_get_ctx_params_fn rng_get_ctx_params;
static OSSL_FUNC_rand_gettable_ctx_params_fn rng_gettable_ctx_params;
static OSSL_FUNC_rand_verify_zeroization_fn rng_verify_zeroization;

static void *rng_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
    RAND_CTX *r;
    (void)parent; /* the card needs no seed from anyone */
    (void)parent_calls;
    if (!iprov_usable(provctx))
        return NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        IPROV_ERR(provctx, IPROV_R_MALLOC, "allocating a card RNG context");
        return NULL;
    }
    r->pctx = provctx;
    r->enabled = r->pctx->cfg.rand;
    r->state = EVP_RAND_STATE_UNINITIALISED;
    return r;
}

static void rng_freectx(void *vctx)
{
    RAND_CTX *r = vctx;
    if (r == NULL)
        return;
    if (r->lock != NULL) {
        pthread_mutex_destroy(r->lock);
        free(r->lock);
    }
    free(r);
}

static int check_strength(RAND_CTX *r, unsigned int strength)
{
    if (strength > CARD_RNG_STRENGTH) {
        IPROV_ERR(r->pctx, IPROV_R_BAD_ARGUMENT,
                  "card RNG strength is %u bits; %u bits were requested", CARD_RNG_STRENGTH,
                  strength);
        return 0;
    }
    return 1;
}

/* No card I/O: a missing card shows up at the first request, with its own message. */
static int rng_instantiate(void *vctx, unsigned int strength, int prediction_resistance,
                           const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[])
{
    RAND_CTX *r = vctx;
    (void)prediction_resistance; /* every request is fresh card output anyway */
    (void)pstr;
    (void)pstr_len;
    (void)params;
    if (!check_strength(r, strength))
        return 0;
    r->state = EVP_RAND_STATE_READY;
    return 1;
}

static int rng_uninstantiate(void *vctx)
{
    RAND_CTX *r = vctx;
    r->state = EVP_RAND_STATE_UNINITIALISED;
    return 1;
}

struct random_arg {
    unsigned char *out;
    size_t len;
};

static iotsafe_rc random_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct random_arg *a = varg;
    return iotsafe_get_random(card, a->out, a->len, st);
}

static int card_random(RAND_CTX *r, unsigned char *out, size_t len)
{
    struct random_arg a = {out, len};
    iotsafe_status st;
    if (!r->enabled) {
        IPROV_ERR(r->pctx, IPROV_R_BAD_CONFIG,
                  "the card RNG is off (rand = 0): set rand = 1 in the provider's section "
                  "(or IOTSAFE_RAND=1), or stop naming " IPROV_RAND_NAME " in [random]");
        OPENSSL_cleanse(out, len);
        r->state = EVP_RAND_STATE_ERROR;
        return 0;
    }
    iotsafe_status_clear(&st);
    if (iprov_card_run(r->pctx, NULL, random_op, &a, &st) != IOTSAFE_OK) {
        IPROV_ERR_ST(r->pctx, &st);
        OPENSSL_cleanse(out, len);
        r->state = EVP_RAND_STATE_ERROR;
        return 0;
    }
    r->state = EVP_RAND_STATE_READY;
    return 1;
}

static int rng_generate(void *vctx, unsigned char *out, size_t outlen, unsigned int strength,
                        int prediction_resistance, const unsigned char *addin, size_t addin_len)
{
    RAND_CTX *r = vctx;
    (void)prediction_resistance;
    (void)addin;
    (void)addin_len;
    if (!check_strength(r, strength))
        return 0;
    if (outlen == 0)
        return 1;
    return card_random(r, out, outlen);
}

/* The card reseeds itself; external entropy cannot be fed to it. */
static int rng_reseed(void *vctx, int prediction_resistance, const unsigned char *ent,
                      size_t ent_len, const unsigned char *addin, size_t addin_len)
{
    RAND_CTX *r = vctx;
    (void)prediction_resistance;
    (void)ent;
    (void)ent_len;
    (void)addin;
    (void)addin_len;
    if (r->state == EVP_RAND_STATE_ERROR)
        r->state = EVP_RAND_STATE_READY; /* the next request retries the card */
    return 1;
}

/*
 * Seed for a child DRBG (the default provider's primary when [random] seed =
 * CARD-RNG). "entropy" is how many bits of entropy the buffer must hold, not a
 * strength: 3.2+ DRBGs ask for entropy and nonce in one call (384 bits in
 * 48 bytes for CTR-DRBG-256), 3.0 for the entropy alone. The card's output is
 * full entropy, so ceil(entropy / 8) bytes (at least min_len) carry it.
 */
static size_t rng_get_seed(void *vctx, unsigned char **buffer, int entropy, size_t min_len,
                           size_t max_len, int prediction_resistance, const unsigned char *adin,
                           size_t adin_len)
{
    RAND_CTX *r = vctx;
    size_t n = entropy > 0 ? ((size_t)entropy + 7) / 8 : 0;
    unsigned char *buf;
    (void)prediction_resistance;
    (void)adin;
    (void)adin_len;
    if (n < min_len)
        n = min_len;
    if (entropy < 0 || n == 0 || n > max_len || n > CARD_RNG_MAX_REQUEST) {
        IPROV_ERR(r->pctx, IPROV_R_BAD_ARGUMENT,
                  "card RNG cannot give %d bits of seed in %zu..%zu bytes (at most %u)", entropy,
                  min_len, max_len, CARD_RNG_MAX_REQUEST);
        return 0;
    }
    if ((buf = OPENSSL_secure_malloc(n)) == NULL) {
        IPROV_ERR(r->pctx, IPROV_R_MALLOC, "allocating a seed buffer");
        return 0;
    }
    if (!card_random(r, buf, n)) {
        OPENSSL_secure_clear_free(buf, n);
        return 0;
    }
    *buffer = buf;
    return n;
}

static void rng_clear_seed(void *vctx, unsigned char *buffer, size_t b_len)
{
    (void)vctx;
    OPENSSL_secure_clear_free(buffer, b_len);
}

static int rng_enable_locking(void *vctx)
{
    RAND_CTX *r = vctx;
    if (r->lock != NULL)
        return 1;
    if ((r->lock = malloc(sizeof(*r->lock))) == NULL || pthread_mutex_init(r->lock, NULL) != 0) {
        free(r->lock);
        r->lock = NULL;
        IPROV_ERR(r->pctx, IPROV_R_MALLOC, "creating the card RNG lock");
        return 0;
    }
    return 1;
}

static int rng_lock(void *vctx)
{
    RAND_CTX *r = vctx;
    return r->lock == NULL || pthread_mutex_lock(r->lock) == 0;
}

static void rng_unlock(void *vctx)
{
    RAND_CTX *r = vctx;
    if (r->lock != NULL)
        pthread_mutex_unlock(r->lock);
}

static int rng_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    RAND_CTX *r = vctx;
    OSSL_PARAM *p;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE)) != NULL &&
        !OSSL_PARAM_set_int(p, r->state))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH)) != NULL &&
        !OSSL_PARAM_set_uint(p, CARD_RNG_STRENGTH))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST)) != NULL &&
        !OSSL_PARAM_set_size_t(p, CARD_RNG_MAX_REQUEST))
        return 0;
    return 1;
}

static const OSSL_PARAM gettable[] = {
    OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
    OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
    OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *rng_gettable_ctx_params(void *vctx, void *provctx)
{
    (void)vctx;
    (void)provctx;
    return gettable;
}

/* Nothing secret is kept between requests. */
static int rng_verify_zeroization(void *vctx)
{
    (void)vctx;
    return 1;
}

const OSSL_DISPATCH iprov_card_rand_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, (void (*)(void))rng_newctx},
    {OSSL_FUNC_RAND_FREECTX, (void (*)(void))rng_freectx},
    {OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))rng_instantiate},
    {OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))rng_uninstantiate},
    {OSSL_FUNC_RAND_GENERATE, (void (*)(void))rng_generate},
    {OSSL_FUNC_RAND_RESEED, (void (*)(void))rng_reseed},
    {OSSL_FUNC_RAND_GET_SEED, (void (*)(void))rng_get_seed},
    {OSSL_FUNC_RAND_CLEAR_SEED, (void (*)(void))rng_clear_seed},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))rng_enable_locking},
    {OSSL_FUNC_RAND_LOCK, (void (*)(void))rng_lock},
    {OSSL_FUNC_RAND_UNLOCK, (void (*)(void))rng_unlock},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))rng_get_ctx_params},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (void (*)(void))rng_gettable_ctx_params},
    {OSSL_FUNC_RAND_VERIFY_ZEROIZATION, (void (*)(void))rng_verify_zeroization},
    {0, NULL},
};
