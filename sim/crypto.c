/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card's cryptography on OpenSSL 3 libcrypto (non-deprecated APIs only):
 * ECDSA with EC_POINT/BN (so RFC 6979 nonces can be plugged in), ECDH, key
 * generation, TLS 1.2 PRF and HKDF-Extract through EVP_KDF.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "internal.h"

const EVP_MD *sim_hash_md(uint16_t hash)
{
    switch (hash) {
    case SIM_HASH_SHA256:
        return EVP_sha256();
    case SIM_HASH_SHA384:
        return EVP_sha384();
    case SIM_HASH_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

size_t sim_hash_len(uint16_t hash)
{
    switch (hash) {
    case SIM_HASH_SHA256:
        return 32;
    case SIM_HASH_SHA384:
        return 48;
    case SIM_HASH_SHA512:
        return 64;
    default:
        return 0;
    }
}

static EC_GROUP *group_new(int curve)
{
    switch (curve) {
    case SIM_CURVE_P256:
        return EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    case SIM_CURVE_BP256:
        return EC_GROUP_new_by_curve_name(NID_brainpoolP256r1);
    default:
        return NULL;
    }
}

/* Everything one EC operation needs; freed by ec_done. */
typedef struct ec_ops {
    EC_GROUP *g;
    BN_CTX *bn;
    const BIGNUM *n;
} ec_ops;

static int ec_begin(ec_ops *e, int curve)
{
    e->g = group_new(curve);
    e->bn = BN_CTX_secure_new();
    if (e->g == NULL || e->bn == NULL) {
        EC_GROUP_free(e->g);
        BN_CTX_free(e->bn);
        return -1;
    }
    BN_CTX_start(e->bn);
    e->n = EC_GROUP_get0_order(e->g);
    return 0;
}

static void ec_done(ec_ops *e)
{
    BN_CTX_end(e->bn);
    BN_CTX_free(e->bn);
    EC_GROUP_free(e->g);
}

/* 1 <= d < n */
static int scalar_ok(const ec_ops *e, const BIGNUM *d)
{
    return !BN_is_zero(d) && !BN_is_negative(d) && BN_cmp(d, e->n) < 0;
}

int sim_ec_check_scalar(int curve, const uint8_t d[SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    BIGNUM *bd = BN_CTX_get(e.bn);
    int ok = bd != NULL && BN_bin2bn(d, SIM_EC_LEN, bd) != NULL && scalar_ok(&e, bd);
    ec_done(&e);
    return ok ? 0 : -1;
}

static EC_POINT *point_decode(const ec_ops *e, const uint8_t *p, size_t len)
{
    if (len != SIM_POINT_LEN || p[0] != 0x04)
        return NULL;
    EC_POINT *q = EC_POINT_new(e->g);
    if (q == NULL)
        return NULL;
    if (EC_POINT_oct2point(e->g, q, p, len, e->bn) != 1 || EC_POINT_is_at_infinity(e->g, q) ||
        EC_POINT_is_on_curve(e->g, q, e->bn) != 1) {
        EC_POINT_free(q);
        return NULL;
    }
    return q;
}

int sim_ec_check_point(int curve, const uint8_t *p, size_t len)
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    EC_POINT *q = point_decode(&e, p, len);
    int ok = q != NULL;
    EC_POINT_free(q);
    ec_done(&e);
    return ok ? 0 : -1;
}

static int point_encode(const ec_ops *e, const EC_POINT *q, uint8_t out[SIM_POINT_LEN])
{
    return EC_POINT_point2oct(e->g, q, POINT_CONVERSION_UNCOMPRESSED, out, SIM_POINT_LEN, e->bn) ==
                   SIM_POINT_LEN
               ? 0
               : -1;
}

static int pub_from_bn(const ec_ops *e, const BIGNUM *d, uint8_t q[SIM_POINT_LEN])
{
    EC_POINT *p = EC_POINT_new(e->g);
    int rc = -1;
    if (p != NULL && EC_POINT_mul(e->g, p, d, NULL, NULL, e->bn) == 1)
        rc = point_encode(e, p, q);
    EC_POINT_free(p);
    return rc;
}

int sim_ec_pub_from_priv(int curve, const uint8_t d[SIM_EC_LEN], uint8_t q[SIM_POINT_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    BIGNUM *bd = BN_CTX_get(e.bn);
    int rc = -1;
    if (bd != NULL && BN_bin2bn(d, SIM_EC_LEN, bd) != NULL && scalar_ok(&e, bd))
        rc = pub_from_bn(&e, bd, q);
    ec_done(&e);
    return rc;
}

int sim_ec_generate(int curve, uint8_t d[SIM_EC_LEN], uint8_t q[SIM_POINT_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    BIGNUM *bd = BN_CTX_get(e.bn);
    int rc = -1;
    if (bd != NULL) {
        do {
            if (BN_priv_rand_range(bd, e.n) != 1)
                goto out;
        } while (BN_is_zero(bd));
        if (BN_bn2binpad(bd, d, SIM_EC_LEN) == SIM_EC_LEN)
            rc = pub_from_bn(&e, bd, q);
    }
out:
    ec_done(&e);
    return rc;
}

/* bits2int of RFC 6979 / the ECDSA truncation: the leftmost bits of the digest, as many as n has. */
static int bits2int(const ec_ops *e, const uint8_t *b, size_t len, BIGNUM *out)
{
    int qbits = BN_num_bits(e->n);
    if (BN_bin2bn(b, (int)len, out) == NULL)
        return -1;
    if ((int)len * 8 > qbits && BN_rshift(out, out, (int)len * 8 - qbits) != 1)
        return -1;
    return 0;
}

static int hmac(EVP_MAC *mac, const char *md, const uint8_t *key, size_t klen,
                const uint8_t *const parts[], const size_t lens[], size_t nparts, uint8_t *out,
                size_t outlen)
{
    OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
                            OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
    size_t got = 0;
    int ok = c != NULL && EVP_MAC_init(c, key, klen, params) == 1;
    for (size_t i = 0; ok && i < nparts; i++)
        ok = EVP_MAC_update(c, parts[i], lens[i]) == 1;
    ok = ok && EVP_MAC_final(c, out, &got, outlen) == 1 && got == outlen;
    EVP_MAC_CTX_free(c);
    return ok ? 0 : -1;
}

/* Deterministic nonce, RFC 6979 section 3.2, with HMAC over the message's hash function. */
static int rfc6979_k(const ec_ops *e, const BIGNUM *x, const uint8_t *dig, size_t dlen,
                     uint16_t hash, BIGNUM *k)
{
    const char *md = hash == SIM_HASH_SHA384   ? "SHA384"
                     : hash == SIM_HASH_SHA512 ? "SHA512"
                                               : "SHA256";
    size_t hl = sim_hash_len(hash) ? sim_hash_len(hash) : 32;
    uint8_t V[64], K[64], xo[SIM_EC_LEN], ho[SIM_EC_LEN], T[SIM_EC_LEN];
    static const uint8_t zero = 0x00, one = 0x01;
    int rc = -1;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    BIGNUM *h = BN_CTX_get(e->bn);
    if (mac == NULL || h == NULL)
        goto out;
    /* int2octets(x), bits2octets(h1) = int2octets(bits2int(h1) mod n) */
    if (BN_bn2binpad(x, xo, SIM_EC_LEN) != SIM_EC_LEN || bits2int(e, dig, dlen, h) != 0 ||
        (BN_cmp(h, e->n) >= 0 && BN_sub(h, h, e->n) != 1) ||
        BN_bn2binpad(h, ho, SIM_EC_LEN) != SIM_EC_LEN)
        goto out;
    memset(V, 0x01, hl);
    memset(K, 0x00, hl);
    for (int round = 0; round < 2; round++) {
        const uint8_t *p[4] = {V, round ? &one : &zero, xo, ho};
        const size_t l[4] = {hl, 1, SIM_EC_LEN, SIM_EC_LEN};
        const uint8_t *pv[1] = {V};
        const size_t lv[1] = {hl};
        if (hmac(mac, md, K, hl, p, l, 4, K, hl) != 0 ||
            hmac(mac, md, K, hl, pv, lv, 1, V, hl) != 0)
            goto out;
    }
    for (int tries = 0; tries < 64; tries++) {
        size_t tl = 0;
        while (tl < SIM_EC_LEN) {
            const uint8_t *pv[1] = {V};
            const size_t lv[1] = {hl};
            if (hmac(mac, md, K, hl, pv, lv, 1, V, hl) != 0)
                goto out;
            size_t take = SIM_EC_LEN - tl < hl ? SIM_EC_LEN - tl : hl;
            memcpy(T + tl, V, take);
            tl += take;
        }
        if (bits2int(e, T, SIM_EC_LEN, k) != 0)
            goto out;
        if (scalar_ok(e, k)) {
            rc = 0;
            goto out;
        }
        const uint8_t *p[2] = {V, &zero};
        const size_t l[2] = {hl, 1};
        const uint8_t *pv[1] = {V};
        const size_t lv[1] = {hl};
        if (hmac(mac, md, K, hl, p, l, 2, K, hl) != 0 ||
            hmac(mac, md, K, hl, pv, lv, 1, V, hl) != 0)
            goto out;
    }
out:
    OPENSSL_cleanse(K, sizeof K);
    OPENSSL_cleanse(V, sizeof V);
    OPENSSL_cleanse(xo, sizeof xo);
    OPENSSL_cleanse(T, sizeof T);
    EVP_MAC_free(mac);
    return rc;
}

int sim_ecdsa_sign(int curve, const uint8_t d[SIM_EC_LEN], const uint8_t *dig, size_t dlen,
                   uint16_t hash, int deterministic, uint8_t rs[2 * SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    int rc = -1;
    BIGNUM *x = BN_CTX_get(e.bn), *k = BN_CTX_get(e.bn), *z = BN_CTX_get(e.bn);
    BIGNUM *r = BN_CTX_get(e.bn), *s = BN_CTX_get(e.bn), *t = BN_CTX_get(e.bn);
    EC_POINT *R = EC_POINT_new(e.g);
    if (t == NULL || R == NULL || BN_bin2bn(d, SIM_EC_LEN, x) == NULL || !scalar_ok(&e, x) ||
        bits2int(&e, dig, dlen, z) != 0)
        goto out;
    BN_set_flags(k, BN_FLG_CONSTTIME);
    for (int tries = 0; tries < 16; tries++) {
        if (deterministic) {
            if (rfc6979_k(&e, x, dig, dlen, hash, k) != 0)
                goto out;
        } else {
            do {
                if (BN_priv_rand_range(k, e.n) != 1)
                    goto out;
            } while (BN_is_zero(k));
        }
        /* r = x(kG) mod n; s = k^-1 (z + r x) mod n */
        if (EC_POINT_mul(e.g, R, k, NULL, NULL, e.bn) != 1 ||
            EC_POINT_get_affine_coordinates(e.g, R, r, NULL, e.bn) != 1 ||
            BN_nnmod(r, r, e.n, e.bn) != 1)
            goto out;
        if (BN_is_zero(r))
            continue;
        if (BN_mod_mul(t, r, x, e.n, e.bn) != 1 || BN_mod_add(t, t, z, e.n, e.bn) != 1 ||
            BN_mod_inverse(s, k, e.n, e.bn) == NULL || BN_mod_mul(s, s, t, e.n, e.bn) != 1)
            goto out;
        if (BN_is_zero(s))
            continue;
        if (BN_bn2binpad(r, rs, SIM_EC_LEN) == SIM_EC_LEN &&
            BN_bn2binpad(s, rs + SIM_EC_LEN, SIM_EC_LEN) == SIM_EC_LEN)
            rc = 0;
        break;
    }
out:
    EC_POINT_free(R);
    ec_done(&e);
    return rc;
}

/* 1 valid, 0 invalid, -1 error */
int sim_ecdsa_verify(int curve, const uint8_t q[SIM_POINT_LEN], const uint8_t *dig, size_t dlen,
                     const uint8_t rs[2 * SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    int rc = -1;
    BIGNUM *r = BN_CTX_get(e.bn), *s = BN_CTX_get(e.bn), *z = BN_CTX_get(e.bn);
    BIGNUM *w = BN_CTX_get(e.bn), *u1 = BN_CTX_get(e.bn), *u2 = BN_CTX_get(e.bn);
    BIGNUM *x = BN_CTX_get(e.bn);
    EC_POINT *Q = point_decode(&e, q, SIM_POINT_LEN), *X = EC_POINT_new(e.g);
    if (x == NULL || Q == NULL || X == NULL || BN_bin2bn(rs, SIM_EC_LEN, r) == NULL ||
        BN_bin2bn(rs + SIM_EC_LEN, SIM_EC_LEN, s) == NULL || bits2int(&e, dig, dlen, z) != 0)
        goto out;
    if (!scalar_ok(&e, r) || !scalar_ok(&e, s)) {
        rc = 0;
        goto out;
    }
    if (BN_mod_inverse(w, s, e.n, e.bn) == NULL || BN_mod_mul(u1, z, w, e.n, e.bn) != 1 ||
        BN_mod_mul(u2, r, w, e.n, e.bn) != 1 || EC_POINT_mul(e.g, X, u1, Q, u2, e.bn) != 1)
        goto out;
    if (EC_POINT_is_at_infinity(e.g, X)) {
        rc = 0;
        goto out;
    }
    if (EC_POINT_get_affine_coordinates(e.g, X, x, NULL, e.bn) != 1 ||
        BN_nnmod(x, x, e.n, e.bn) != 1)
        goto out;
    rc = BN_cmp(x, r) == 0;
out:
    EC_POINT_free(Q);
    EC_POINT_free(X);
    ec_done(&e);
    return rc;
}

int sim_ecdh(int curve, const uint8_t d[SIM_EC_LEN], const uint8_t q[SIM_POINT_LEN],
             uint8_t z[SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    int rc = -1;
    BIGNUM *bd = BN_CTX_get(e.bn), *x = BN_CTX_get(e.bn);
    EC_POINT *Q = point_decode(&e, q, SIM_POINT_LEN), *S = EC_POINT_new(e.g);
    if (x != NULL && Q != NULL && S != NULL && BN_bin2bn(d, SIM_EC_LEN, bd) != NULL &&
        scalar_ok(&e, bd) && EC_POINT_mul(e.g, S, NULL, Q, bd, e.bn) == 1 &&
        !EC_POINT_is_at_infinity(e.g, S) &&
        EC_POINT_get_affine_coordinates(e.g, S, x, NULL, e.bn) == 1 &&
        BN_bn2binpad(x, z, SIM_EC_LEN) == SIM_EC_LEN)
        rc = 0;
    EC_POINT_free(Q);
    EC_POINT_clear_free(S);
    ec_done(&e);
    return rc;
}

int sim_sig_to_der(const uint8_t rs[2 * SIM_EC_LEN], uint8_t *der, size_t cap, size_t *len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, SIM_EC_LEN, NULL), *s = BN_bin2bn(rs + SIM_EC_LEN, SIM_EC_LEN, NULL);
    int rc = -1;
    if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig now */
        int n = i2d_ECDSA_SIG(sig, NULL);
        if (n > 0 && (size_t)n <= cap) {
            uint8_t *p = der;
            if (i2d_ECDSA_SIG(sig, &p) == n) {
                *len = (size_t)n;
                rc = 0;
            }
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return rc;
}

int sim_sig_from_der(const uint8_t *der, size_t len, uint8_t rs[2 * SIM_EC_LEN])
{
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    int rc = -1;
    if (sig != NULL && p == der + len) {
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_bn2binpad(r, rs, SIM_EC_LEN) == SIM_EC_LEN &&
            BN_bn2binpad(s, rs + SIM_EC_LEN, SIM_EC_LEN) == SIM_EC_LEN)
            rc = 0;
    }
    ECDSA_SIG_free(sig);
    return rc;
}

int sim_tls12_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
                  uint8_t *out, size_t outlen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
    EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[4] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seedlen),
        OSSL_PARAM_construct_end()};
    int rc = c != NULL && EVP_KDF_derive(c, out, outlen, p) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
    return rc;
}

int sim_hkdf_extract(uint16_t hash, const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
                     size_t ikmlen, uint8_t *out, size_t *outlen)
{
    const char *md = hash == SIM_HASH_SHA384   ? "SHA384"
                     : hash == SIM_HASH_SHA512 ? "SHA512"
                                               : "SHA256";
    size_t hl = sim_hash_len(hash);
    uint8_t zeros[64] = {0};
    int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
    if (hl == 0)
        return -1;
    if (saltlen == 0) { /* RFC 5869: absent salt = HashLen zeros */
        salt = zeros;
        saltlen = hl;
    }
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
    EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[5] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_end()};
    int rc = c != NULL && EVP_KDF_derive(c, out, hl, p) == 1 ? 0 : -1;
    if (rc == 0)
        *outlen = hl;
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
    return rc;
}

/* Private scalar from a PEM private key file (provisioning only); its curve must match. */
int sim_load_pem_key(const char *path, int curve, uint8_t d[SIM_EC_LEN], char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open key file %s", path);
        return -1;
    }
    EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (pk == NULL) {
        snprintf(err, errlen, "%s: not a PEM private key", path);
        return -1;
    }
    char group[64] = "";
    BIGNUM *bd = NULL;
    int rc = -1;
    const char *want = curve == SIM_CURVE_BP256 ? "brainpoolP256r1" : "prime256v1";
    if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) !=
            1 ||
        strcmp(group, want) != 0) {
        snprintf(err, errlen, "%s: key is not on curve %s", path, want);
    } else if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bd) != 1 ||
               BN_bn2binpad(bd, d, SIM_EC_LEN) != SIM_EC_LEN) {
        snprintf(err, errlen, "%s: cannot read the private scalar", path);
    } else {
        rc = 0;
    }
    BN_clear_free(bd);
    EVP_PKEY_free(pk);
    return rc;
}

/* The group order n, big-endian (fault injection: a signature with r = n). */
int sim_ec_order(int curve, uint8_t n[SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    int rc = BN_bn2binpad(e.n, n, SIM_EC_LEN) == SIM_EC_LEN ? 0 : -1;
    ec_done(&e);
    return rc;
}

/* 1 if x is the x-coordinate of a point on the curve, 0 if not, -1 on error. */
int sim_ec_x_on_curve(int curve, const uint8_t x[SIM_EC_LEN])
{
    ec_ops e;
    if (ec_begin(&e, curve) != 0)
        return -1;
    BIGNUM *bx = BN_CTX_get(e.bn);
    EC_POINT *p = EC_POINT_new(e.g);
    int rc = -1;
    if (bx != NULL && p != NULL && BN_bin2bn(x, SIM_EC_LEN, bx) != NULL) {
        ERR_set_mark();
        rc = EC_POINT_set_compressed_coordinates(e.g, p, bx, 0, e.bn) == 1;
        ERR_pop_to_mark();
    }
    EC_POINT_free(p);
    ec_done(&e);
    return rc;
}
