/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One SHA-256 EVP_DigestSign with a key, as applications sign with the card
 * key; and the same followed by a verification with a default-provider copy
 * of the public key (the signature must be right, not only made). Shared by
 * the test helpers and the benchmarks; header-only like store_load.h.
 */
#ifndef IOTSAFE_TEST_DIGEST_SIGN_H
#define IOTSAFE_TEST_DIGEST_SIGN_H

#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Sign msg with key in lib (NULL: the default library context): 1 or 0. */
static inline int digest_sign_ex(EVP_PKEY *key, OSSL_LIB_CTX *lib, const unsigned char *msg,
                                 size_t len, unsigned char *sig, size_t *siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = key != NULL && md != NULL &&
             EVP_DigestSignInit_ex(md, NULL, "SHA256", lib, NULL, key, NULL) == 1 &&
             EVP_DigestSign(md, sig, siglen, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* Sign msg and throw the signature away (benchmarks, load generators): 1 or 0. */
static inline int digest_sign(EVP_PKEY *key, OSSL_LIB_CTX *lib, const unsigned char *msg,
                              size_t len)
{
    unsigned char sig[160];
    size_t siglen = sizeof(sig);
    return digest_sign_ex(key, lib, msg, len, sig, &siglen);
}

/* Sign msg with key, verify it with the default provider: 1 or 0. */
static inline int digest_sign_verify(EVP_PKEY *key, const unsigned char *msg, size_t len)
{
    unsigned char sig[256], *spki = NULL;
    const unsigned char *p;
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = NULL;
    EVP_PKEY *pub = NULL;
    int n, ok = digest_sign_ex(key, NULL, msg, len, sig, &siglen) &&
                (n = i2d_PUBKEY(key, &spki)) > 0 &&
                (p = spki, pub = d2i_PUBKEY(NULL, &p, n)) != NULL &&
                (md = EVP_MD_CTX_new()) != NULL &&
                EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, "provider=default", pub, NULL) ==
                    1 &&
                EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
    OPENSSL_free(spki);
    EVP_PKEY_free(pub);
    EVP_MD_CTX_free(md);
    return ok;
}

#endif
