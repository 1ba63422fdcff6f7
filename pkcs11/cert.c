/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 facts of the card's certificates, read with OpenSSL (bounded DER parsing). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "p11.h"

static X509 *parse(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    if (der == NULL || len == 0 || len > 65536)
        return NULL;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) { /* trailing bytes: not one certificate */
        X509_free(x);
        x = NULL;
    }
    return x;
}

int p11_cert_point(const uint8_t *der, size_t len, uint8_t *point, size_t *point_len)
{
    X509 *x = parse(der, len);
    EVP_PKEY *k = x != NULL ? X509_get0_pubkey(x) : NULL;
    size_t n = 0;
    int ok = k != NULL && EVP_PKEY_is_a(k, "EC") &&
             EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, *point_len, &n);
    if (ok)
        *point_len = n;
    X509_free(x);
    return ok;
}

CK_RV p11_cert_field(const uint8_t *der, size_t len, CK_ATTRIBUTE_TYPE t, uint8_t **out,
                     size_t *out_len)
{
    X509 *x = parse(der, len);
    unsigned char *v = NULL;
    int n = -1;
    if (x == NULL)
        return CKR_ATTRIBUTE_TYPE_INVALID; /* not a certificate we can read */
    switch (t) {
    case CKA_SUBJECT:
        n = i2d_X509_NAME(X509_get_subject_name(x), &v);
        break;
    case CKA_ISSUER:
        n = i2d_X509_NAME(X509_get_issuer_name(x), &v);
        break;
    case CKA_SERIAL_NUMBER:
        n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &v);
        break;
    default:
        break;
    }
    X509_free(x);
    if (n < 0) {
        OPENSSL_free(v);
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    *out = malloc((size_t)n + 1);
    if (*out == NULL) {
        OPENSSL_free(v);
        return CKR_HOST_MEMORY;
    }
    memcpy(*out, v, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(v);
    return CKR_OK;
}
