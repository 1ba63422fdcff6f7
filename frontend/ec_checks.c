/* SPDX-License-Identifier: Apache-2.0 */
/* The checks of ec_checks.h: curve arithmetic and ECDSA of OpenSSL (another provider than ours). */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "ec_checks.h"

/* The curve's group; libiotsafe's curve names are OpenSSL's short names. */
static EC_GROUP *group(OSSL_LIB_CTX *libctx, iotsafe_curve c)
{
    if (iotsafe_curve_field_len(c) == 0)
        return NULL;
    int nid = OBJ_sn2nid(iotsafe_curve_name(c));
    return nid != NID_undef ? EC_GROUP_new_by_curve_name_ex(libctx, NULL, nid) : NULL;
}

int fe_ec_point_ok(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *point, size_t len)
{
    const size_t field = iotsafe_curve_field_len(c);
    /* the card takes 04||X||Y only: no compressed or hybrid form */
    if (point == NULL || field == 0 || len != 1 + 2 * field || point[0] != 0x04)
        return 0;
    ERR_set_mark();
    EC_GROUP *g = group(libctx, c);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = p != NULL && EC_POINT_oct2point(g, p, point, len, NULL) == 1 &&
             !EC_POINT_is_at_infinity(g, p) && EC_POINT_is_on_curve(g, p, NULL) == 1;
    EC_POINT_free(p);
    EC_GROUP_free(g);
    ERR_pop_to_mark();
    return ok;
}

static int say(char *why, size_t len, int verdict, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t len, int verdict, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why != NULL && len > 0)
        vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return verdict;
}

int fe_ec_secret_check(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *z, size_t z_len,
                       char *why, size_t why_len)
{
    const size_t field = iotsafe_curve_field_len(c);
    if (field == 0)
        return say(why, why_len, -1, "the key's curve is not known");
    if (z == NULL || z_len != field)
        return say(why, why_len, 0, "%zu bytes, %s needs %zu", z_len, iotsafe_curve_name(c), field);
    size_t i;
    for (i = 0; i < z_len && z[i] == 0; i++)
        ;
    if (i == z_len)
        return say(why, why_len, 0, "all zero");
    ERR_set_mark();
    EC_GROUP *g = group(libctx, c);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    BIGNUM *x = BN_bin2bn(z, (int)z_len, NULL);
    int verdict;
    if (p == NULL || x == NULL)
        verdict = say(why, why_len, -1, "cannot be checked on the host");
    /* OpenSSL takes x mod p: an x of [p, 2^256) would pass as the point of x - p */
    else if (BN_cmp(x, EC_GROUP_get0_field(g)) >= 0)
        verdict = say(why, why_len, 0, "not below the field prime, so not a coordinate");
    /* the x-coordinate of a point on the curve: some y solves the curve equation */
    else if (EC_POINT_set_compressed_coordinates(g, p, x, 0, NULL) != 1)
        verdict = say(why, why_len, 0, "not the x-coordinate of a point on the curve");
    else
        verdict = 1;
    BN_clear_free(x); /* the secret */
    EC_POINT_clear_free(p);
    EC_GROUP_free(g);
    ERR_pop_to_mark();
    return verdict;
}

EVP_PKEY *fe_ec_public_key(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *point, size_t len)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    ERR_set_mark();
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(libctx, "EC", FE_EC_PROPQ);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)iotsafe_curve_name(c), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len);
    params[2] = OSSL_PARAM_construct_end();
    if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) <= 0 ||
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(kctx);
    ERR_pop_to_mark();
    return pkey;
}

int fe_ecdsa_verify(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const uint8_t *digest, size_t dlen,
                    const uint8_t *der, size_t der_len)
{
    int r = -1;
    ERR_set_mark();
    EVP_PKEY_CTX *vctx = pkey != NULL ? EVP_PKEY_CTX_new_from_pkey(libctx, pkey, FE_EC_PROPQ)
                                      : NULL;
    if (vctx != NULL && EVP_PKEY_verify_init(vctx) > 0)
        r = EVP_PKEY_verify(vctx, der, der_len, digest, dlen);
    EVP_PKEY_CTX_free(vctx);
    ERR_pop_to_mark(); /* a mismatch is the caller's to say */
    return r == 1 ? 1 : r == 0 ? 0 : -1;
}
