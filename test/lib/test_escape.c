/* SPDX-License-Identifier: Apache-2.0 */
/* The escaping of untrusted text for messages, logs and the trace. */
#include <string.h>

#include "testutil.h"

static const char *esc(const char *in, size_t n, size_t cap)
{
    static char out[512];
    return iotsafe_escape(in, n, out, cap);
}
#define ESC(lit) esc(lit, sizeof(lit) - 1, 512)

START_TEST(plain_and_controls)
{
    ck_assert_str_eq(ESC("DEVKEY"), "DEVKEY");
    ck_assert_str_eq(ESC("a b'c"), "a b'c");
    ck_assert_str_eq(ESC("back\\slash"), "back\\\\slash");
    ck_assert_str_eq(ESC("\x1b[2J\x1b[31mPWNED\a"), "\\x1b[2J\\x1b[31mPWNED\\x07");
    ck_assert_str_eq(ESC("line\nforged\r\t"), "line\\x0aforged\\x0d\\x09");
    ck_assert_str_eq(ESC("nul\0byte"), "nul\\x00byte");
    ck_assert_str_eq(ESC("\x7f"), "\\x7f");
    ck_assert_str_eq(iotsafe_escape_str(NULL, (char[4]){0}, 4), "");
}
END_TEST

START_TEST(utf8)
{
    ck_assert_str_eq(ESC("Schl\xc3\xbcssel \xe2\x82\xac \xf0\x9f\x94\x91"),
                     "Schl\xc3\xbcssel \xe2\x82\xac \xf0\x9f\x94\x91");
    /* C1 CSI, bidi override, line separator: shown as bytes */
    ck_assert_str_eq(ESC("\xc2\x9b"
                         "2J"),
                     "\\xc2\\x9b2J");
    ck_assert_str_eq(ESC("a\xe2\x80\xae"
                         "b"),
                     "a\\xe2\\x80\\xaeb");
    ck_assert_str_eq(ESC("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
    /* malformed: lone continuation, overlong, surrogate, truncated, Latin-1 */
    ck_assert_str_eq(ESC("\x80"), "\\x80");
    ck_assert_str_eq(ESC("\xc0\xaf"), "\\xc0\\xaf");
    ck_assert_str_eq(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    ck_assert_str_eq(ESC("\xe2\x82"), "\\xe2\\x82");
    ck_assert_str_eq(ESC("caf\xe9"), "caf\\xe9");
}
END_TEST

START_TEST(truncation)
{
    char big[100];
    memset(big, 'A', sizeof big);
    /* fits exactly */
    ck_assert_str_eq(esc("ABCDEFGH", 8, 9), "ABCDEFGH");
    /* cut: whole characters, then the marker counting what was left out */
    const char *o = esc(big, sizeof big, 32);
    ck_assert_uint_le(strlen(o), 31);
    ck_assert_str_eq(o + strlen(o) - strlen("...(+84 bytes)"), "...(+84 bytes)");
    ck_assert_str_eq(esc("\x1b\x1b\x1b\x1b\x1b\x1b", 6, 24), "\\x1b\\x1b...(+4 bytes)");
    /* never half a UTF-8 character or half an escape */
    o = esc("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 18, 18);
    ck_assert_str_eq(o, "\xe2\x82\xac...(+15 bytes)");
    /* a buffer too small for any marker still ends in NUL */
    ck_assert_str_eq(esc(big, sizeof big, 4), "");
    /* worst case size never truncates */
    char w[IOTSAFE_ESCAPED_SIZE(3)];
    ck_assert_str_eq(iotsafe_escape("\x01\x02\x03", 3, w, sizeof w), "\\x01\\x02\\x03");
}
END_TEST

static Suite *escape_suite(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, plain_and_controls);
    tcase_add_test(tc, utf8);
    tcase_add_test(tc, truncation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(escape_suite());
}
