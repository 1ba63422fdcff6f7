/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the card returns is checked on the host before the application sees
 * it: a card may be faulty, glitched or lying, and a wrong signature passed
 * on as the key's is worse than an error. Signatures: r and s in [1, n-1]
 * always, and (unless verify-signatures = no) an ECDSA verification with the
 * key object's public point, whatever its source (card, key file), so a key
 * replaced on the card fails at its first signature. Shared secrets: the
 * field length, not zero, and the x-coordinate of a point on the curve.
 */
#include <stdatomic.h>
#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "error.h"
#include "key.h"
#include "verify.h"

/* Never verify with our own EC keymgmt/ECDSA (both are registered in the libctx). */
#define VERIFY_PROPQ "provider!=iotsafe"

/* "private key id=01 (DEVKEY) in reader 'R'" */
static const char *who(const IPROV_KEY *k, const char *reader, char *buf, size_t len)
{
    char d[IOTSAFE_OBJECT_STR_MAX];
    int n = snprintf(buf, len, "%s", iprov_key_desc(k, d, sizeof(d)));
    if (n >= 0 && (size_t)n < len && reader != NULL && reader[0] != '\0')
        snprintf(buf + n, len - (size_t)n, " in reader '%s'", reader);
    return buf;
}

#define BAD_SIG(ctx, k, reader, ...)                               \
    do {                                                           \
        char w_[320], m_[200];                                     \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                     \
        IPROV_ERR((ctx), IPROV_R_INVALID_SIGNATURE,                \
                  "card returned an invalid signature for %s: %s", \
                  who((k), (reader), w_, sizeof(w_)), m_);         \
    } while (0)

/*
 * The key's public point as a key of another provider, made on first use
 * and kept with the key (keys are shared between threads: the first one to
 * store it wins, the others free theirs).
 */
static EVP_PKEY *verify_key(IPROV_CTX *ctx, IPROV_KEY *k)
{
    EVP_PKEY *pkey = atomic_load(&k->verify_pkey), *expected = NULL;
    if (pkey != NULL)
        return pkey;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(ctx->libctx, "EC", VERIFY_PROPQ);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)iotsafe_curve_name(k->curve), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)k->point,
                                                  k->point_len);
    params[2] = OSSL_PARAM_construct_end();
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) <= 0 ||
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(kctx);
    if (pkey != NULL && !atomic_compare_exchange_strong(&k->verify_pkey, &expected, pkey)) {
        EVP_PKEY_free(pkey);
        pkey = expected;
    }
    return pkey;
}

static int ecdsa_verify(IPROV_CTX *ctx, IPROV_KEY *k, const uint8_t *digest, size_t dlen,
                        const uint8_t *der, size_t der_len, int *valid)
{
    EVP_PKEY *pkey = verify_key(ctx, k);
    EVP_PKEY_CTX *vctx = NULL;
    int ok = 0, r;

    if (pkey == NULL)
        return 0;
    vctx = EVP_PKEY_CTX_new_from_pkey(ctx->libctx, pkey, VERIFY_PROPQ);
    if (vctx == NULL || EVP_PKEY_verify_init(vctx) <= 0)
        goto end;
    /* a mismatch is our error to report, not the default provider's */
    ERR_set_mark();
    r = EVP_PKEY_verify(vctx, der, der_len, digest, dlen);
    ERR_pop_to_mark();
    if (r < 0)
        goto end;
    *valid = r == 1;
    ok = 1;
end:
    EVP_PKEY_CTX_free(vctx);
    return ok;
}

int iprov_check_signature(IPROV_CTX *ctx, IPROV_KEY *k, const char *reader, const uint8_t *digest,
                          size_t dlen, const uint8_t *rs, size_t rs_len, const uint8_t *der,
                          size_t der_len)
{
    const size_t half = iotsafe_curve_field_len(k->curve);
    const char *why;
    int valid = 0;

    if (half == 0 || rs_len != 2 * half) {
        BAD_SIG(ctx, k, reader, "%zu bytes of r||s, a %s signature has %zu", rs_len,
                iotsafe_curve_name(k->curve), 2 * half);
        return 0;
    }
    why = iotsafe_ecdsa_rs_problem(k->curve, rs, rs_len);
    if (why != NULL) {
        BAD_SIG(ctx, k, reader, "%s", why);
        return 0;
    }
    if (!ctx->cfg.opts.verify_signatures)
        return 1;
    if (k->point_len == 0) {
        BAD_SIG(ctx, k, reader, "the key has no public point to verify it with");
        return 0;
    }
    if (!ecdsa_verify(ctx, k, digest, dlen, der, der_len, &valid)) {
        IPROV_ERR(ctx, IPROV_R_INTERNAL,
                  "cannot verify the card's signature on the host (no ECDSA for %s outside "
                  "this provider?)",
                  iotsafe_curve_name(k->curve));
        return 0;
    }
    if (!valid) {
        /* Most often the key was regenerated by another process: the next load re-reads it. */
        iprov_flush_caches(ctx);
        BAD_SIG(ctx, k, reader,
                "it does not verify with the key's public key (the key on the card may have "
                "changed since this key was loaded)");
        return 0;
    }
    return 1;
}

int iprov_check_shared_secret(IPROV_CTX *ctx, const IPROV_KEY *k, const char *reader,
                              const uint8_t *z, size_t z_len)
{
    const size_t field = iotsafe_curve_field_len(k->curve);
    char w[320];
    const char *why = NULL;
    EC_GROUP *g = NULL;
    EC_POINT *p = NULL;
    BIGNUM *x = NULL;
    size_t i;
    int ok = 0;

    if (z_len != field) {
        IPROV_ERR(ctx, IPROV_R_INVALID_SECRET,
                  "card returned an invalid shared secret for %s: %zu bytes, %s needs %zu",
                  who(k, reader, w, sizeof(w)), z_len, iotsafe_curve_name(k->curve), field);
        return 0;
    }
    for (i = 0; i < z_len && z[i] == 0; i++)
        ;
    if (i == z_len) {
        why = "all zero";
    } else {
        /* The x-coordinate of a point on the curve: some y solves the curve equation. */
        g = EC_GROUP_new_by_curve_name_ex(ctx->libctx, NULL, iprov_curve_nid(k->curve));
        p = g != NULL ? EC_POINT_new(g) : NULL;
        x = BN_bin2bn(z, (int)z_len, NULL);
        if (p == NULL || x == NULL) {
            IPROV_ERR(ctx, IPROV_R_INTERNAL, "cannot check the card's shared secret");
            goto end;
        }
        ERR_set_mark();
        if (EC_POINT_set_compressed_coordinates(g, p, x, 0, NULL) != 1)
            why = "not the x-coordinate of a point on the curve";
        ERR_pop_to_mark();
    }
    if (why != NULL)
        IPROV_ERR(ctx, IPROV_R_INVALID_SECRET, "card returned an invalid shared secret for %s: %s",
                  who(k, reader, w, sizeof(w)), why);
    ok = why == NULL;
end:
    BN_clear_free(x);
    EC_POINT_clear_free(p);
    EC_GROUP_free(g);
    return ok;
}

int iprov_check_key_point(IPROV_CTX *ctx, const IPROV_KEY *k, const char *role)
{
    char d[160];
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(ctx->libctx, NULL, iprov_curve_nid(k->curve));
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = p != NULL && k->point_len == 1 + 2 * iotsafe_curve_field_len(k->curve);
    if (ok) {
        ERR_set_mark();
        ok = EC_POINT_oct2point(g, p, k->point, k->point_len, NULL) == 1 &&
             !EC_POINT_is_at_infinity(g, p) && EC_POINT_is_on_curve(g, p, NULL) == 1;
        ERR_pop_to_mark();
    }
    if (!ok)
        IPROV_ERR(ctx, IPROV_R_BAD_PUBLIC_KEY, "the public point of the %s%s%s%s is not on %s",
                  role, k->has_private || k->has_pub_obj ? ", " : "",
                  k->has_private || k->has_pub_obj ? iprov_key_desc(k, d, sizeof(d)) : "",
                  k->has_private || k->has_pub_obj ? "," : "",
                  k->curve != IOTSAFE_CURVE_NONE ? iotsafe_curve_name(k->curve) : "a known curve");
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ok;
}
