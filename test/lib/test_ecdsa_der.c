/* SPDX-License-Identifier: Apache-2.0 */
/* Raw r||s <-> DER ECDSA-Sig-Value. */
#include <string.h>

#include "testutil.h"

START_TEST(tv2_both_ways)
{
    uint8_t rs[64], der[80], want[80], back[64];
    hex2bin(TV_R TV_S, rs, sizeof rs);
    size_t wl = hex2bin(TV_DER, want, sizeof want);
    size_t dl = sizeof der;
    ck_assert_int_eq(iotsafe_ecdsa_rs_to_der(rs, 64, der, &dl), IOTSAFE_OK);
    ck_assert_uint_eq(dl, wl);
    ck_assert_mem_eq(der, want, wl);
    size_t bl = sizeof back;
    ck_assert_int_eq(iotsafe_ecdsa_der_to_rs(der, dl, 32, back, &bl), IOTSAFE_OK);
    ck_assert_uint_eq(bl, 64);
    ck_assert_mem_eq(back, rs, 64);
}
END_TEST

START_TEST(short_integers)
{
    uint8_t rs[64] = {0}, der[80], back[64];
    rs[31] = 0x01;     /* r = 1 */
    rs[32 + 2] = 0x7F; /* s with two leading zero bytes, top bit clear */
    memset(rs + 35, 0x22, 29);
    size_t dl = sizeof der;
    ck_assert_int_eq(iotsafe_ecdsa_rs_to_der(rs, 64, der, &dl), IOTSAFE_OK);
    uint8_t want[40];
    size_t wl = hex2bin("30 23 02 01 01 02 1E 7F", want, sizeof want);
    ck_assert_mem_eq(der, want, wl);
    ck_assert_uint_eq(dl, 2 + 3 + 2 + 30);
    size_t bl = sizeof back;
    ck_assert_int_eq(iotsafe_ecdsa_der_to_rs(der, dl, 32, back, &bl), IOTSAFE_OK);
    ck_assert_mem_eq(back, rs, 64);
}
END_TEST

static iotsafe_rc d2rs(const char *hex)
{
    uint8_t der[100], rs[64];
    size_t n = hex2bin(hex, der, sizeof der), rl = sizeof rs;
    return iotsafe_ecdsa_der_to_rs(der, n, 32, rs, &rl);
}

START_TEST(der_malformed)
{
    ck_assert_int_eq(d2rs(TV_DER), IOTSAFE_OK);
    ck_assert_int_eq(d2rs(TV_DER "00"), IOTSAFE_E_MALFORMED);                  /* trailing byte */
    ck_assert_int_eq(d2rs("31 06 02 01 01 02 01 01"), IOTSAFE_E_MALFORMED);    /* not a SEQUENCE */
    ck_assert_int_eq(d2rs("30 07 02 01 01 02 01 01"), IOTSAFE_E_MALFORMED);    /* length mismatch */
    ck_assert_int_eq(d2rs("30 06 02 01 81 02 01 01"), IOTSAFE_E_MALFORMED);    /* negative */
    ck_assert_int_eq(d2rs("30 07 02 02 00 01 02 01 01"), IOTSAFE_E_MALFORMED); /* not minimal */
    ck_assert_int_eq(d2rs("30 06 02 00 02 02 01 01"), IOTSAFE_E_MALFORMED);    /* empty int */
    ck_assert_int_eq(d2rs("30 05 02 01 01 02 01"), IOTSAFE_E_MALFORMED);       /* truncated */
    ck_assert_int_eq(d2rs("30 03 02 01 01"), IOTSAFE_E_MALFORMED);             /* one int */
    ck_assert_int_eq(d2rs("30"), IOTSAFE_E_MALFORMED);
    /* r of 33 significant bytes does not fit a 32-byte half */
    ck_assert_int_eq(d2rs("30 26 02 21 01" TV_R "02 01 01"), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(d2rs("30 26 02 21 00" TV_R "02 01 01"), IOTSAFE_OK);
}
END_TEST

START_TEST(buffers_and_args)
{
    uint8_t rs[64], der[80];
    hex2bin(TV_R TV_S, rs, sizeof rs);
    size_t dl = 71;
    ck_assert_int_eq(iotsafe_ecdsa_rs_to_der(rs, 64, der, &dl), IOTSAFE_E_BUFFER);
    dl = sizeof der;
    ck_assert_int_eq(iotsafe_ecdsa_rs_to_der(rs, 63, der, &dl), IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_rs_to_der(rs, 0, der, &dl), IOTSAFE_E_INVALID_ARG);
    uint8_t d[80], out[64];
    size_t n = hex2bin(TV_DER, d, sizeof d), ol = 63;
    ck_assert_int_eq(iotsafe_ecdsa_der_to_rs(d, n, 32, out, &ol), IOTSAFE_E_BUFFER);
    ol = 64;
    ck_assert_int_eq(iotsafe_ecdsa_der_to_rs(d, n, 0, out, &ol), IOTSAFE_E_INVALID_ARG);
}
END_TEST

static Suite *der_suite(void)
{
    Suite *s = suite_create("ecdsa_der");
    TCase *tc = tcase_create("der");
    tcase_add_test(tc, tv2_both_ways);
    tcase_add_test(tc, short_integers);
    tcase_add_test(tc, der_malformed);
    tcase_add_test(tc, buffers_and_args);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(der_suite());
}
