/* SPDX-License-Identifier: Apache-2.0 */
/* Hex helpers shared by the config parser, key generation, URIs and messages. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/hex.h"
#include "run_suite.h"

START_TEST(digits)
{
    ck_assert_int_eq(iotsafe_hex_digit('0'), 0);
    ck_assert_int_eq(iotsafe_hex_digit('9'), 9);
    ck_assert_int_eq(iotsafe_hex_digit('a'), 10);
    ck_assert_int_eq(iotsafe_hex_digit('F'), 15);
    ck_assert_int_eq(iotsafe_hex_digit('g'), -1);
    ck_assert_int_eq(iotsafe_hex_digit(' '), -1);
    ck_assert_int_eq(iotsafe_hex_digit('\0'), -1);
    ck_assert_int_eq(iotsafe_hex_digit(0xC3), -1);
}
END_TEST

START_TEST(parse_ok)
{
    uint8_t b[16];
    size_t n = 0;
    ck_assert_int_eq(iotsafe_hex_parse("A0000005590010", NULL, b, sizeof(b), &n), 0);
    ck_assert_uint_eq(n, 7);
    ck_assert_uint_eq(b[0], 0xA0);
    ck_assert_uint_eq(b[6], 0x10);
    ck_assert_int_eq(iotsafe_hex_parse("0a:0B", ":", b, sizeof(b), &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(b[0], 0x0A);
    ck_assert_uint_eq(b[1], 0x0B);
    ck_assert_int_eq(iotsafe_hex_parse(" a0 00:05 ", " :", b, sizeof(b), &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(b[2], 0x05);
    /* exactly full */
    ck_assert_int_eq(iotsafe_hex_parse("0102", NULL, b, 2, &n), 0);
    ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(parse_bad)
{
    uint8_t b[4] = {0};
    size_t n = 99;
    ck_assert_int_eq(iotsafe_hex_parse("", NULL, b, sizeof(b), &n), -1);
    ck_assert_int_eq(iotsafe_hex_parse("::", ":", b, sizeof(b), &n), -1); /* no byte */
    ck_assert_int_eq(iotsafe_hex_parse("0", NULL, b, sizeof(b), &n), -1); /* odd digit */
    ck_assert_int_eq(iotsafe_hex_parse("012", NULL, b, sizeof(b), &n), -1);
    ck_assert_int_eq(iotsafe_hex_parse("0g", NULL, b, sizeof(b), &n), -1);
    ck_assert_int_eq(iotsafe_hex_parse("01 02", NULL, b, sizeof(b), &n),
                     -1); /* space not allowed */
    ck_assert_int_eq(iotsafe_hex_parse("0102030405", NULL, b, sizeof(b), &n), -1); /* > cap */
    ck_assert_int_eq(iotsafe_hex_parse(NULL, NULL, b, sizeof(b), &n), -1);
    ck_assert_uint_eq(n, 99); /* untouched on failure */
}
END_TEST

START_TEST(format)
{
    static const uint8_t id[] = {0x01, 0xAB, 0xFF};
    char buf[7], small[4];
    ck_assert_str_eq(iotsafe_hex_format(id, sizeof(id), buf, sizeof(buf)), "01ABFF");
    ck_assert_str_eq(iotsafe_hex_format(id, 0, buf, sizeof(buf)), "");
    /* cut at a whole byte, always terminated */
    ck_assert_str_eq(iotsafe_hex_format(id, sizeof(id), small, sizeof(small)), "01");
    ck_assert_str_eq(iotsafe_hex_format(id, sizeof(id), small, 1), "");
}
END_TEST

static Suite *hex_suite(void)
{
    Suite *s = suite_create("hex");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, digits);
    tcase_add_test(tc, parse_ok);
    tcase_add_test(tc, parse_bad);
    tcase_add_test(tc, format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(hex_suite());
}
