/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frontend/ec_checks.c, the OpenSSL checks the provider and the PKCS#11
 * module share: peer points, the card's ECDH secrets (x below p, not only a
 * point after OpenSSL reduced it mod p) and ECDSA verification.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "ec_checks.h"
#include "testutil.h"

#define TV6_Z "707F5ECC0FF09A6CB9AD42715A8BD5552E590165D99542E5F5A66D827F601AE1"
#define P256_P "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"

START_TEST(points)
{
    uint8_t q[65];
    hex2bin("04" TV_QX TV_QY, q, sizeof q);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, q, 65), 1);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_BP256R1, q, 65), 0);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_NONE, q, 65), 0);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, q, 64), 0);
    /* the card takes 04||X||Y only: not the hybrid form of the same point */
    q[0] = 0x06 | (q[64] & 1);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, q, 65), 0);
    q[0] = 0x04;
    q[64] ^= 1;
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, q, 65), 0);
    const uint8_t inf = 0x00;
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, &inf, 1), 0);
    ck_assert_int_eq(fe_ec_point_ok(NULL, IOTSAFE_CURVE_P256, NULL, 65), 0);
}
END_TEST

static int secret(const uint8_t *z, size_t len, const char *want_why)
{
    char why[128] = "";
    int v = fe_ec_secret_check(NULL, IOTSAFE_CURVE_P256, z, len, why, sizeof why);
    if (want_why != NULL)
        ck_assert_str_eq(why, want_why);
    return v;
}

START_TEST(secrets)
{
    uint8_t z[33];
    hex2bin(TV6_Z, z, 32);
    ck_assert_int_eq(secret(z, 32, NULL), 1);
    ck_assert_int_eq(secret(z, 31, "31 bytes, prime256v1 needs 32"), 0);
    ck_assert_int_eq(secret(z, 33, "33 bytes, prime256v1 needs 32"), 0);
    memset(z, 0, sizeof z);
    ck_assert_int_eq(secret(z, 32, "all zero"), 0);
    char why[64];
    ck_assert_int_eq(fe_ec_secret_check(NULL, IOTSAFE_CURVE_NONE, z, 32, why, sizeof why), -1);

    /* x of [p, 2^256): OpenSSL would take x - p, an x-coordinate for about half the x */
    BIGNUM *p = NULL, *x = BN_new();
    ck_assert_int_gt(BN_hex2bn(&p, P256_P), 0);
    ck_assert_int_eq(BN_bn2binpad(p, z, 32), 32);
    ck_assert_int_eq(secret(z, 32, "not below the field prime, so not a coordinate"), 0);
    int seen_on = 0, seen_off = 0;
    for (unsigned long small = 1; small < 64 && !(seen_on && seen_off); small++) {
        uint8_t s[32];
        ck_assert_int_eq(BN_set_word(x, small), 1);
        ck_assert_int_eq(BN_bn2binpad(x, s, 32), 32);
        int v = secret(s, 32, NULL);
        if (v == 1 && !seen_on) {
            seen_on = 1;
            ck_assert_int_eq(BN_add(x, x, p), 1);
            ck_assert_int_eq(BN_bn2binpad(x, s, 32), 32);
            ck_assert_int_eq(secret(s, 32, "not below the field prime, so not a coordinate"), 0);
        } else if (v == 0 && !seen_off) {
            seen_off = 1;
            ck_assert_int_eq(secret(s, 32, "not the x-coordinate of a point on the curve"), 0);
        }
    }
    ck_assert(seen_on && seen_off);
    BN_free(x);
    BN_free(p);
}
END_TEST

START_TEST(ecdsa)
{
    uint8_t q[65], h[32], der[80];
    hex2bin("04" TV_QX TV_QY, q, sizeof q);
    hex2bin(TV_HASH, h, sizeof h);
    size_t dl = hex2bin(TV_DER, der, sizeof der);
    EVP_PKEY *k = fe_ec_public_key(NULL, IOTSAFE_CURVE_P256, q, sizeof q);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(fe_ecdsa_verify(NULL, k, h, sizeof h, der, dl), 1);
    h[0] ^= 1;
    ck_assert_int_eq(fe_ecdsa_verify(NULL, k, h, sizeof h, der, dl), 0);
    ck_assert_int_eq(fe_ecdsa_verify(NULL, NULL, h, sizeof h, der, dl), -1);
    EVP_PKEY_free(k);
    q[64] ^= 1;
    ck_assert_ptr_null(fe_ec_public_key(NULL, IOTSAFE_CURVE_P256, q, sizeof q));
}
END_TEST

static Suite *ec_suite(void)
{
    Suite *s = suite_create("ec_checks");
    TCase *tc = tcase_create("ec_checks");
    tcase_add_test(tc, points);
    tcase_add_test(tc, secrets);
    tcase_add_test(tc, ecdsa);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(ec_suite());
}
