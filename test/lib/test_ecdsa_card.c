/* SPDX-License-Identifier: Apache-2.0 */
/* What the card is handed for a digest of any length, and the r, s range check. */
#include <string.h>

#include "testutil.h"

/* ECDSA on a 32-byte field signs the digest's leftmost 32 bytes as an integer. */
#define ANY 0
#define S256 IOTSAFE_HASH_SHA256
#define S384 IOTSAFE_HASH_SHA384
#define S512 IOTSAFE_HASH_SHA512

static void fill(uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)(0xA0 + i);
}

/* card_input of a dlen-byte digest; the input and hash it must give. */
static void expect(iotsafe_curve c, uint16_t allowed, size_t dlen, iotsafe_hash want_hash,
                   size_t lead_zeros, size_t digest_bytes, size_t want_len)
{
    uint8_t d[64], out[72], want[64] = {0};
    size_t out_len = sizeof(out);
    iotsafe_hash h = 0;
    fill(d, dlen);
    memset(out, 0x55, sizeof(out));
    memcpy(want + lead_zeros, d, digest_bytes);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(c, allowed, d, dlen, out, &out_len, &h), IOTSAFE_OK);
    ck_assert_int_eq(h, want_hash);
    ck_assert_uint_eq(out_len, want_len);
    ck_assert_uint_eq(out_len, iotsafe_hash_len(h));
    ck_assert_mem_eq(out, want, want_len);
    ck_assert_uint_eq(out[want_len], 0x55); /* nothing written past it */
}

START_TEST(short_digests_left_padded)
{
    /* SHA-1 and SHA-224: the integer left-padded to the field, as SHA-256 (preferred) */
    expect(IOTSAFE_CURVE_P256, ANY, 20, S256, 12, 20, 32);
    expect(IOTSAFE_CURVE_P256, S256 | S384 | S512, 20, S256, 12, 20, 32);
    expect(IOTSAFE_CURVE_P256, S256, 28, S256, 4, 28, 32);
    expect(IOTSAFE_CURVE_BP256R1, ANY, 28, S256, 4, 28, 32);
    expect(IOTSAFE_CURVE_P256, S256, 1, S256, 31, 1, 32);
    /* a key allowing only longer hashes: zeros after the integer, which the card's cut drops */
    expect(IOTSAFE_CURVE_P256, S384, 20, S384, 12, 20, 48);
    expect(IOTSAFE_CURVE_P256, S512, 28, S512, 4, 28, 64);
    expect(IOTSAFE_CURVE_P256, S384 | S512, 20, S384, 12, 20, 48);
}
END_TEST

START_TEST(allowed_lengths_as_they_are)
{
    expect(IOTSAFE_CURVE_P256, ANY, 32, S256, 0, 32, 32);
    expect(IOTSAFE_CURVE_P256, ANY, 48, S384, 0, 48, 48);
    expect(IOTSAFE_CURVE_P256, ANY, 64, S512, 0, 64, 64);
    expect(IOTSAFE_CURVE_P256, S384, 48, S384, 0, 48, 48);
    expect(IOTSAFE_CURVE_P256, S256 | S512, 64, S512, 0, 64, 64);
    /* a SHA-3 or SHA-512/256 digest of 32 bytes is the same integer as a SHA-256 one */
    expect(IOTSAFE_CURVE_BP256R1, S256, 32, S256, 0, 32, 32);
}
END_TEST

START_TEST(long_digests_cut)
{
    /* a 48-byte digest when the key allows only SHA-256: its first 32 bytes */
    expect(IOTSAFE_CURVE_P256, S256, 48, S256, 0, 32, 32);
    expect(IOTSAFE_CURVE_P256, S256, 64, S256, 0, 32, 32);
    /* a 64-byte digest when the key allows only SHA-384: first 32 bytes, 16 zero bytes */
    expect(IOTSAFE_CURVE_P256, S384, 64, S384, 0, 32, 48);
    /* 40 bytes (no hash has that length): cut, as SHA-256 */
    expect(IOTSAFE_CURVE_P256, ANY, 40, S256, 0, 32, 32);
}
END_TEST

START_TEST(nothing_can_carry_it)
{
    uint8_t d[32], out[64];
    size_t out_len = sizeof(out);
    iotsafe_hash h = 0;
    fill(d, sizeof(d));
    /* hash bits no card names: no allowed hash can carry the digest */
    ck_assert_int_eq(iotsafe_ecdsa_card_input(IOTSAFE_CURVE_P256, 0x0008, d, 20, out, &out_len, &h),
                     IOTSAFE_E_USAGE);
    out_len = sizeof(out);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(IOTSAFE_CURVE_P256, 0x8000, d, 32, out, &out_len, &h),
                     IOTSAFE_E_USAGE);
    ck_assert_int_eq(h, 0);
}
END_TEST

START_TEST(bad_args)
{
    uint8_t d[65] = {1}, out[64];
    size_t out_len = sizeof(out), small = 63;
    iotsafe_hash h = 0;
    const iotsafe_curve p = IOTSAFE_CURVE_P256;
    ck_assert_int_eq(iotsafe_ecdsa_card_input(IOTSAFE_CURVE_NONE, ANY, d, 32, out, &out_len, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, NULL, 32, out, &out_len, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, d, 0, out, &out_len, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, d, 65, out, &out_len, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, d, 32, NULL, &out_len, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, d, 32, out, NULL, &h), IOTSAFE_E_INVALID_ARG);
    /* the output must hold the longest hash, whatever this digest needs */
    ck_assert_int_eq(iotsafe_ecdsa_card_input(p, ANY, d, 20, out, &small, &h),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_uint_eq(small, 63);
    ck_assert_int_eq(h, 0);
}
END_TEST

/* r||s from two hex halves. */
static size_t rs_of(const char *r, const char *s, uint8_t rs[64])
{
    size_t n = hex2bin(r, rs, 32);
    return n + hex2bin(s, rs + n, 32);
}

#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"
#define ONE "0000000000000000000000000000000000000000000000000000000000000001"
#define ALL_FF "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
#define N_P256 "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"
#define N_P256_MINUS_1 "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632550"
#define N_BP256 "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"
#define N_BP256_MINUS_1 "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A6"

static const char *problem(iotsafe_curve c, const char *r, const char *s)
{
    uint8_t rs[64];
    size_t n = rs_of(r, s, rs);
    return iotsafe_ecdsa_rs_problem(c, rs, n);
}

START_TEST(rs_ranges)
{
    const iotsafe_curve p = IOTSAFE_CURVE_P256, bp = IOTSAFE_CURVE_BP256R1;
    ck_assert_ptr_null(problem(p, TV_R, TV_S));
    ck_assert_ptr_null(problem(p, ONE, N_P256_MINUS_1)); /* both ends of [1, n-1] */
    ck_assert_ptr_null(problem(p, N_P256_MINUS_1, ONE));
    ck_assert_str_eq(problem(p, ZERO, TV_S), "r is zero");
    ck_assert_str_eq(problem(p, TV_R, ZERO), "s is zero");
    ck_assert_str_eq(problem(p, ZERO, ZERO), "r is zero"); /* r first */
    ck_assert_str_eq(problem(p, N_P256, TV_S), "r is not below the group order");
    ck_assert_str_eq(problem(p, TV_R, N_P256), "s is not below the group order");
    ck_assert_str_eq(problem(p, ALL_FF, TV_S), "r is not below the group order");
    ck_assert_str_eq(problem(p, TV_R, ALL_FF), "s is not below the group order");
    /* each curve its own order: brainpool's n is below P-256's */
    ck_assert_ptr_null(problem(p, N_BP256, N_BP256));
    ck_assert_ptr_null(problem(bp, ONE, N_BP256_MINUS_1));
    ck_assert_str_eq(problem(bp, N_BP256, ONE), "r is not below the group order");
    ck_assert_str_eq(problem(bp, ONE, TV_S), "s is not below the group order");
    ck_assert_str_eq(problem(bp, ONE, ZERO), "s is zero");
}
END_TEST

START_TEST(rs_lengths)
{
    uint8_t rs[66];
    size_t n = rs_of(TV_R, TV_S, rs);
    ck_assert_str_eq(iotsafe_ecdsa_rs_problem(IOTSAFE_CURVE_P256, rs, n - 1),
                     "r||s has the wrong length");
    ck_assert_str_eq(iotsafe_ecdsa_rs_problem(IOTSAFE_CURVE_P256, rs, n + 2),
                     "r||s has the wrong length");
    ck_assert_str_eq(iotsafe_ecdsa_rs_problem(IOTSAFE_CURVE_P256, rs, 0),
                     "r||s has the wrong length");
    ck_assert_str_eq(iotsafe_ecdsa_rs_problem(IOTSAFE_CURVE_NONE, rs, n), "the curve is unknown");
}
END_TEST

static Suite *ecdsa_card_suite(void)
{
    Suite *s = suite_create("ecdsa_card");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, short_digests_left_padded);
    tcase_add_test(tc, allowed_lengths_as_they_are);
    tcase_add_test(tc, long_digests_cut);
    tcase_add_test(tc, nothing_can_carry_it);
    tcase_add_test(tc, bad_args);
    tcase_add_test(tc, rs_ranges);
    tcase_add_test(tc, rs_lengths);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(ecdsa_card_suite());
}
