/* SPDX-License-Identifier: Apache-2.0 */
/* PEM/DER output through OpenSSL: public keys, certificates, key reference files. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "iotsafe/keyref.h"
#include "tool.h"

/* Drain a memory BIO to the output. */
static int write_bio(const char *path, BIO *mem)
{
    char *p = NULL;
    long n = BIO_get_mem_data(mem, &p);
    if (n < 0 || (n > 0 && !p)) {
        tool_err("internal error: no output");
        return EXIT_FAILURE_OTHER;
    }
    return tool_write_output(path, (const uint8_t *)p, (size_t)n);
}

int tool_write_pubkey_pem(const char *path, const char *what, iotsafe_curve curve,
                          const uint8_t *point, size_t point_len)
{
    const char *group = iotsafe_curve_name(curve);
    if (curve == IOTSAFE_CURVE_NONE || !group) {
        tool_err("unsupported key type: cannot express %s as an EC key", what);
        return EXIT_FAILURE_OTHER;
    }
    char group_buf[64];
    if (strlen(group) >= sizeof group_buf) {
        tool_err("internal error: curve name too long");
        return EXIT_FAILURE_OTHER;
    }
    strcpy(group_buf, group);
    uint8_t pt[IOTSAFE_POINT_MAX];
    if (point_len == 0 || point_len > sizeof pt) {
        tool_err("malformed card answer: %s of %zu bytes", what, point_len);
        return EXIT_MALFORMED;
    }
    memcpy(pt, point, point_len);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group_buf, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, point_len),
        OSSL_PARAM_END,
    };
    int rc = EXIT_FAILURE_OTHER;
    EVP_PKEY *pkey = NULL;
    BIO *mem = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        /* A point not on the curve is the card's fault, not ours. */
        tool_err("malformed card answer: %s is not a valid %s point", what, group);
        rc = EXIT_MALFORMED;
        goto out;
    }
    mem = BIO_new(BIO_s_mem());
    if (!mem || !PEM_write_bio_PUBKEY(mem, pkey)) {
        tool_err("cannot encode the public key");
        goto out;
    }
    rc = write_bio(path, mem);
out:
    BIO_free(mem);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int tool_write_cert(const char *path, const uint8_t *der, size_t len, int as_der, int *is_cert)
{
    const unsigned char *p = der;
    X509 *x = len > 0 && len <= 0x7FFFFFFF ? d2i_X509(NULL, &p, (long)len) : NULL;
    /* Only a file that is exactly one certificate is converted. */
    *is_cert = x != NULL && p == der + len;
    if (!*is_cert || as_der) {
        X509_free(x);
        return tool_write_output(path, der, len);
    }
    int rc = EXIT_FAILURE_OTHER;
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem || !PEM_write_bio_X509(mem, x))
        tool_err("cannot encode the certificate");
    else
        rc = write_bio(path, mem);
    BIO_free(mem);
    X509_free(x);
    return rc;
}

int tool_write_keyref_pem(const char *path, const uint8_t *der, size_t len)
{
    int rc = EXIT_FAILURE_OTHER;
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem || !PEM_write_bio(mem, IOTSAFE_KEYREF_PEM_LABEL, "", der, (long)len))
        tool_err("cannot encode the key reference");
    else
        rc = write_bio(path, mem);
    BIO_free(mem);
    return rc;
}
