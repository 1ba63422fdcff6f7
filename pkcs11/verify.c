/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the card returns is checked before the program sees it, as the
 * provider does: a signature must verify with the key's public point (unless
 * verify-signatures = no), a shared secret must be the x-coordinate of a point
 * on the curve. Uses OpenSSL's default provider on the host, and the hashes
 * of CKM_ECDSA_SHA*.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "p11.h"

/* Our module may be loaded by a program that also loads our provider: never verify with it. */
#define VERIFY_PROPQ "provider!=iotsafe"

static EVP_PKEY *public_key(iotsafe_curve c, const uint8_t *point, size_t point_len)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", VERIFY_PROPQ);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)iotsafe_curve_name(c), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
                                                  point_len);
    params[2] = OSSL_PARAM_construct_end();
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) <= 0 ||
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(kctx);
    return pkey;
}

int p11_verify_signature(iotsafe_curve c, const uint8_t *point, size_t point_len,
                         const uint8_t *digest, size_t dlen, const uint8_t *der, size_t der_len)
{
    ERR_set_mark();
    EVP_PKEY *pkey = public_key(c, point, point_len);
    EVP_PKEY_CTX *vctx = pkey != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, VERIFY_PROPQ) : NULL;
    int r = -1;
    if (vctx != NULL && EVP_PKEY_verify_init(vctx) > 0)
        r = EVP_PKEY_verify(vctx, der, der_len, digest, dlen);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(pkey);
    ERR_pop_to_mark(); /* nothing of ours for the program's OpenSSL error queue */
    return r == 1 ? 1 : r == 0 ? 0 : -1;
}

const char *p11_secret_problem(iotsafe_curve c, const uint8_t *z, size_t z_len)
{
    if (z_len != iotsafe_curve_field_len(c))
        return "not the curve's field length";
    size_t i;
    for (i = 0; i < z_len && z[i] == 0; i++)
        ;
    if (i == z_len)
        return "all zero";
    const char *why = "cannot be checked on the host";
    ERR_set_mark();
    EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(
        NULL, NULL, c == IOTSAFE_CURVE_P256 ? NID_X9_62_prime256v1 : NID_brainpoolP256r1);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    BIGNUM *x = BN_bin2bn(z, (int)z_len, NULL);
    if (p != NULL && x != NULL)
        why = EC_POINT_set_compressed_coordinates(g, p, x, 0, NULL) == 1
                  ? NULL
                  : "not the x-coordinate of a point on the curve";
    BN_free(x);
    EC_POINT_free(p);
    EC_GROUP_free(g);
    ERR_pop_to_mark();
    return why;
}

void *p11_digest_new(CK_MECHANISM_TYPE mech)
{
    const char *name = mech == CKM_ECDSA_SHA256   ? "SHA256"
                       : mech == CKM_ECDSA_SHA384 ? "SHA384"
                       : mech == CKM_ECDSA_SHA512 ? "SHA512"
                                                  : NULL;
    if (name == NULL)
        return NULL;
    EVP_MD *md = EVP_MD_fetch(NULL, name, VERIFY_PROPQ);
    EVP_MD_CTX *ctx = md != NULL ? EVP_MD_CTX_new() : NULL;
    if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    EVP_MD_free(md);
    return ctx;
}

int p11_digest_update(void *md, const uint8_t *p, size_t n)
{
    return EVP_DigestUpdate(md, p, n) == 1;
}

int p11_digest_final(void *md, uint8_t *out, size_t *len)
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(md, out, &n) == 1;
    *len = n;
    return ok;
}

void p11_digest_free(void *md)
{
    EVP_MD_CTX_free(md);
}
