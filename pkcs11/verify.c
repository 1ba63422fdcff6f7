/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the card returns is checked before the program sees it, as the
 * provider does: a signature must verify with the key's public point (unless
 * verify-signatures = no), a shared secret must be the x-coordinate of a point
 * on the curve; and a peer point must be on the key's curve before it goes to
 * the card. The rules are the provider's own code (frontend/ec_checks.c), on
 * OpenSSL's default provider on the host; the hashes of CKM_ECDSA_SHA* too.
 */
#include <openssl/evp.h>

#include "../frontend/ec_checks.h"
#include "p11.h"

int p11_verify_signature(iotsafe_curve c, const uint8_t *point, size_t point_len,
                         const uint8_t *digest, size_t dlen, const uint8_t *der, size_t der_len)
{
    EVP_PKEY *pkey = fe_ec_public_key(NULL, c, point, point_len);
    int r = fe_ecdsa_verify(NULL, pkey, digest, dlen, der, der_len);
    EVP_PKEY_free(pkey);
    return r;
}

const char *p11_secret_problem(iotsafe_curve c, const uint8_t *z, size_t z_len)
{
    /* the reasons are static text but for the length one: keep it per thread */
    static _Thread_local char why[128];
    return fe_ec_secret_check(NULL, c, z, z_len, why, sizeof(why)) == 1 ? NULL : why;
}

int p11_point_ok(iotsafe_curve c, const uint8_t *point, size_t len)
{
    return fe_ec_point_ok(NULL, c, point, len);
}

void *p11_digest_new(CK_MECHANISM_TYPE mech)
{
    const char *name = mech == CKM_ECDSA_SHA256   ? "SHA256"
                       : mech == CKM_ECDSA_SHA384 ? "SHA384"
                       : mech == CKM_ECDSA_SHA512 ? "SHA512"
                                                  : NULL;
    if (name == NULL)
        return NULL;
    EVP_MD *md = EVP_MD_fetch(NULL, name, FE_EC_PROPQ);
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
