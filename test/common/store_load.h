/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The first private key OSSL_STORE finds at a URI (iotsafe: or file:), as
 * applications load the card key, in the default or a given library
 * context. Shared by the test helpers and the benchmarks; header-only so
 * each program stays a single source file.
 */
#ifndef IOTSAFE_TEST_STORE_LOAD_H
#define IOTSAFE_TEST_STORE_LOAD_H

#include <openssl/evp.h>
#include <openssl/store.h>

/* lib NULL: the default library context. */
static inline EVP_PKEY *store_load_pkey_ex(const char *uri, OSSL_LIB_CTX *lib)
{
    OSSL_STORE_CTX *s = OSSL_STORE_open_ex(uri, lib, NULL, NULL, NULL, NULL, NULL, NULL);
    EVP_PKEY *k = NULL;
    if (s == NULL)
        return NULL;
    OSSL_STORE_expect(s, OSSL_STORE_INFO_PKEY);
    while (k == NULL && !OSSL_STORE_eof(s)) {
        OSSL_STORE_INFO *i = OSSL_STORE_load(s);
        if (i == NULL)
            break;
        if (OSSL_STORE_INFO_get_type(i) == OSSL_STORE_INFO_PKEY)
            k = OSSL_STORE_INFO_get1_PKEY(i);
        OSSL_STORE_INFO_free(i);
    }
    OSSL_STORE_close(s);
    return k;
}

static inline EVP_PKEY *store_load_pkey(const char *uri)
{
    return store_load_pkey_ex(uri, NULL);
}

#endif
