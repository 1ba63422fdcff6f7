/* SPDX-License-Identifier: Apache-2.0 */
/* The escaping of untrusted text for messages, logs and the trace. */
#include <string.h>

#include "testutil.h"

typedef const char *(*escaper)(const void *in, size_t n, char *out, size_t cap);

/* in (n bytes) through f into a buffer of cap bytes (at most 512) */
static const char *run_escaper(escaper f, const char *in, size_t n, size_t cap)
{
    static char out[512];
    return f(in, n, out, cap);
}
#define esc(in, n, cap) run_escaper(iotsafe_escape, in, n, cap)
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

#define jesc(in, n, cap) run_escaper(iotsafe_escape_json, in, n, cap)
#define JESC(lit) jesc(lit, sizeof(lit) - 1, 512)

START_TEST(json_ascii_and_controls)
{
    ck_assert_str_eq(JESC("DEVKEY"), "DEVKEY");
    ck_assert_str_eq(JESC("a \"q\" b\\c/d'e"), "a \\\"q\\\" b\\\\c/d'e");
    ck_assert_str_eq(JESC("\x1b[31mX\a\n\r\t"), "\\u001b[31mX\\u0007\\u000a\\u000d\\u0009");
    ck_assert_str_eq(JESC("nul\0\x1f\x7f"), "nul\\u0000\\u001f\\u007f");
    ck_assert_str_eq(jesc(NULL, 3, 8), "");
}
END_TEST

START_TEST(json_unicode)
{
    /* well-formed UTF-8 stays */
    ck_assert_str_eq(JESC("Schl\xc3\xbcssel \xe2\x82\xac \xf0\x9f\x94\x91"),
                     "Schl\xc3\xbcssel \xe2\x82\xac \xf0\x9f\x94\x91");
    /* C1 controls: U+0080, NEL U+0085, CSI U+009B, U+009F */
    ck_assert_str_eq(JESC("\xc2\x80\xc2\x85\xc2\x9b"
                          "2J\xc2\x9f\xc2\xa0"),
                     "\\u0080\\u0085\\u009b2J\\u009f\xc2\xa0");
    /* line and paragraph separators */
    ck_assert_str_eq(JESC("a\xe2\x80\xa8"
                          "b\xe2\x80\xa9"),
                     "a\\u2028b\\u2029");
    /* bidirectional controls: LRM, RLM, LRE..RLO, LRI..PDI; neighbours stay */
    ck_assert_str_eq(
        JESC("\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9"),
        "\\u200e\\u200f\\u202a\\u202e\\u2066\\u2069");
    ck_assert_str_eq(JESC("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xaa"),
                     "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xaa");
    /* malformed UTF-8: one U+FFFD per byte (lone continuation, Latin-1, overlong,
       surrogate, truncated, past U+10FFFF, FF) */
    ck_assert_str_eq(JESC("\x80"), "\\ufffd");
    ck_assert_str_eq(JESC("caf\xe9!"), "caf\\ufffd!");
    ck_assert_str_eq(JESC("\xc0\xaf"), "\\ufffd\\ufffd");
    ck_assert_str_eq(JESC("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
    ck_assert_str_eq(JESC("\xe2\x82"), "\\ufffd\\ufffd");
    ck_assert_str_eq(JESC("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
    ck_assert_str_eq(JESC("\xff"), "\\ufffd");
}
END_TEST

START_TEST(json_never_cut)
{
    char w[IOTSAFE_JSON_ESCAPED_SIZE(3)];
    /* the worst case fits exactly */
    ck_assert_str_eq(iotsafe_escape_json("\x01\xff\x7f", 3, w, sizeof w), "\\u0001\\ufffd\\u007f");
    ck_assert_str_eq(iotsafe_escape_json("\xc2\x85", 2, w, sizeof w), "\\u0085");
    /* too small: NULL and an empty buffer, never a cut value */
    char small[8] = "junk";
    ck_assert_ptr_null(iotsafe_escape_json("ABCDEFGH", 8, small, sizeof small));
    ck_assert_str_eq(small, "");
    ck_assert_ptr_null(iotsafe_escape_json("\x1b", 1, small, 6));
    ck_assert_str_eq(iotsafe_escape_json("ABCDEFG", 7, small, sizeof small), "ABCDEFG");
    ck_assert_ptr_null(iotsafe_escape_json("A", 1, small, 0));
}
END_TEST

static Suite *escape_suite(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, plain_and_controls);
    tcase_add_test(tc, utf8);
    tcase_add_test(tc, truncation);
    tcase_add_test(tc, json_ascii_and_controls);
    tcase_add_test(tc, json_unicode);
    tcase_add_test(tc, json_never_cut);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(escape_suite());
}
