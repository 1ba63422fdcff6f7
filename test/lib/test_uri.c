/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe: URI parser and formatter: valid forms, round trips, malformed input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/uri.h"
#include "run_suite.h"

static int parse(const char *s, iotsafe_uri *u, char *err, size_t errlen)
{
    return iotsafe_uri_parse(s, strlen(s), u, err, errlen);
}

START_TEST(empty_names_everything)
{
    iotsafe_uri u;
    ck_assert_int_eq(parse("iotsafe:", &u, NULL, 0), 0);
    ck_assert(!u.has_id && !u.has_label && !u.has_reader);
    ck_assert_int_eq(u.type, IOTSAFE_URI_TYPE_ANY);
    ck_assert_int_eq(parse("IOTSAFE:", &u, NULL, 0), 0); /* scheme is case-insensitive */
}
END_TEST

START_TEST(all_attributes)
{
    iotsafe_uri u;
    char err[128];
    ck_assert_int_eq(
        parse("iotsafe:id=%01%a0;label=DEV%20KEY;type=private;reader=Virtual%20PCD%2000%2000", &u,
              err, sizeof(err)),
        0);
    ck_assert(u.has_id);
    ck_assert_uint_eq(u.id_len, 2);
    ck_assert_uint_eq(u.id[0], 0x01);
    ck_assert_uint_eq(u.id[1], 0xA0);
    ck_assert(u.has_label);
    ck_assert_str_eq(u.label, "DEV KEY");
    ck_assert_uint_eq(u.label_len, 7);
    ck_assert_int_eq(u.type, IOTSAFE_URI_TYPE_PRIVATE);
    ck_assert_str_eq(u.reader, "Virtual PCD 00 00");
}
END_TEST

START_TEST(types_and_raw_chars)
{
    iotsafe_uri u;
    ck_assert_int_eq(parse("iotsafe:type=public", &u, NULL, 0), 0);
    ck_assert_int_eq(u.type, IOTSAFE_URI_TYPE_PUBLIC);
    ck_assert_int_eq(parse("iotsafe:type=cert;label=DEVCERT", &u, NULL, 0), 0);
    ck_assert_int_eq(u.type, IOTSAFE_URI_TYPE_CERT);
    /* RFC 7512 pchar characters are allowed unescaped; id bytes may be literal. */
    ck_assert_int_eq(parse("iotsafe:label=a:b@c(d)+e,f=g!$'*[]~._-", &u, NULL, 0), 0);
    ck_assert_str_eq(u.label, "a:b@c(d)+e,f=g!$'*[]~._-");
    ck_assert_int_eq(parse("iotsafe:id=A", &u, NULL, 0), 0);
    ck_assert_uint_eq(u.id[0], 'A');
    /* UTF-8 label, percent-encoded */
    ck_assert_int_eq(parse("iotsafe:label=%C3%A9t%C3%A9", &u, NULL, 0), 0);
    ck_assert_str_eq(u.label, "\xC3\xA9t\xC3\xA9");
}
END_TEST

static const struct {
    const char *uri;
    const char *needle; /* expected in the error text */
} bad[] = {
    {"pkcs11:id=%01", "not an iotsafe"},
    {"iotsafe", "not an iotsafe"},
    {"iotsafe:;", "empty attribute"},
    {"iotsafe:id=%01;", "empty attribute"},
    {"iotsafe:;id=%01", "empty attribute"},
    {"iotsafe:id", "no '=value'"},
    {"iotsafe:=x", "empty name"},
    {"iotsafe:id=", "empty value"},
    {"iotsafe:label=", "empty value"},
    {"iotsafe:type=", "empty value"},
    {"iotsafe:reader=", "empty value"},
    {"iotsafe:foo=bar", "unknown attribute"},
    {"iotsafe:ID=%01", "unknown attribute"},
    {"iotsafe:id=%01;id=%02", "duplicate attribute 'id'"},
    {"iotsafe:label=a;label=b", "duplicate attribute 'label'"},
    {"iotsafe:type=private;type=public", "duplicate attribute 'type'"},
    {"iotsafe:reader=a;reader=b", "duplicate attribute 'reader'"},
    {"iotsafe:id=%0", "bad percent-escape"},
    {"iotsafe:id=%", "bad percent-escape"},
    {"iotsafe:id=%zz", "bad percent-escape"},
    {"iotsafe:id=%0g", "bad percent-escape"},
    {"iotsafe:label=a b", "must be percent-encoded"},
    {"iotsafe:label=a/b", "must be percent-encoded"},
    {"iotsafe:label=a?b", "must be percent-encoded"},
    {"iotsafe:label=a#b", "must be percent-encoded"},
    {"iotsafe:label=a%b", "bad percent-escape"},
    {"iotsafe:label=\xC3\xA9", "must be percent-encoded"},
    {"iotsafe:label=%00", "NUL"},
    {"iotsafe:label=%C3", "not valid UTF-8"},
    {"iotsafe:label=%C0%80", "not valid UTF-8"},       /* overlong NUL */
    {"iotsafe:label=%ED%A0%80", "not valid UTF-8"},    /* surrogate */
    {"iotsafe:label=%F4%90%80%80", "not valid UTF-8"}, /* above U+10FFFF */
    {"iotsafe:type=secret", "bad value 'secret' for 'type'"},
    {"iotsafe:type=Private", "bad value"},
    {"iotsafe:type=private%00", "bad value"},
    {"iotsafe:id=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14%15", "too long"},
};

START_TEST(malformed)
{
    iotsafe_uri u;
    char err[160];
    memset(&u, 0xAA, sizeof(u));
    ck_assert_msg(parse(bad[_i].uri, &u, err, sizeof(err)) == -1, "accepted: %s", bad[_i].uri);
    ck_assert_msg(strstr(err, bad[_i].needle) != NULL, "%s: error '%s' lacks '%s'", bad[_i].uri,
                  err, bad[_i].needle);
    /* A failed parse leaves nothing half-set. */
    ck_assert(!u.has_id && !u.has_label && !u.has_reader);
}
END_TEST

START_TEST(length_limits)
{
    iotsafe_uri u;
    char err[160];
    char buf[IOTSAFE_URI_MAX + 64];
    /* 60-byte label is fine, 61 is not */
    strcpy(buf, "iotsafe:label=");
    memset(buf + strlen(buf), 'L', 60);
    buf[14 + 60] = '\0';
    ck_assert_int_eq(parse(buf, &u, err, sizeof(err)), 0);
    strcat(buf, "L");
    ck_assert_int_eq(parse(buf, &u, err, sizeof(err)), -1);
    /* whole URI over the limit */
    strcpy(buf, "iotsafe:reader=");
    memset(buf + strlen(buf), 'r', IOTSAFE_URI_MAX);
    buf[15 + IOTSAFE_URI_MAX] = '\0';
    ck_assert_int_eq(parse(buf, &u, err, sizeof(err)), -1);
    ck_assert(strstr(err, "longer than") != NULL);
    /* embedded NUL inside the given length */
    ck_assert_int_eq(iotsafe_uri_parse("iotsafe:id=a\0b", 14, &u, err, sizeof(err)), -1);
    /* not NUL-terminated input: only len bytes are read */
    ck_assert_int_eq(iotsafe_uri_parse("iotsafe:id=%01XYZ", 14, &u, err, sizeof(err)), 0);
    ck_assert_uint_eq(u.id_len, 1);
    ck_assert_int_eq(iotsafe_uri_parse(NULL, 0, &u, err, sizeof(err)), -1);
}
END_TEST

START_TEST(format_round_trip)
{
    iotsafe_uri u, v;
    char out[IOTSAFE_URI_MAX + 1];
    const char *in = "iotsafe:reader=Virtual%20PCD%2000%2000;type=private;label=DEV%2FKEY;id=%01";
    ck_assert_int_eq(parse(in, &u, NULL, 0), 0);
    int n = iotsafe_uri_format(&u, out, sizeof(out));
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(out,
                     "iotsafe:id=%01;label=DEV%2FKEY;type=private;reader=Virtual%20PCD%2000%2000");
    ck_assert_uint_eq((size_t)n, strlen(out));
    ck_assert_int_eq(parse(out, &v, NULL, 0), 0);
    ck_assert_mem_eq(&u, &v, sizeof(u));
    /* id bytes are always escaped */
    ck_assert_int_eq(parse("iotsafe:id=AB", &u, NULL, 0), 0);
    ck_assert_int_ge(iotsafe_uri_format(&u, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "iotsafe:id=%41%42");
    /* the empty URI */
    ck_assert_int_eq(parse("iotsafe:", &u, NULL, 0), 0);
    ck_assert_int_eq(iotsafe_uri_format(&u, out, sizeof(out)), 8);
    ck_assert_str_eq(out, "iotsafe:");
    /* too small a buffer fails cleanly at every size */
    ck_assert_int_eq(parse(in, &u, NULL, 0), 0);
    n = iotsafe_uri_format(&u, out, sizeof(out));
    for (size_t cap = 0; cap <= (size_t)n; cap++)
        ck_assert_int_eq(iotsafe_uri_format(&u, out, cap), -1);
    ck_assert_int_eq(iotsafe_uri_format(&u, out, (size_t)n + 1), n);
}
END_TEST

static Suite *uri_suite(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, empty_names_everything);
    tcase_add_test(tc, all_attributes);
    tcase_add_test(tc, types_and_raw_chars);
    tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, length_limits);
    tcase_add_test(tc, format_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(uri_suite());
}
