/* SPDX-License-Identifier: Apache-2.0 */
/* The setting words the provider's config and iotsafe-tool's options share. */
#include <check.h>
#include <string.h>

#include "iotsafe/settings.h"
#include "run_suite.h"

START_TEST(words)
{
    int b = 7, basic = 7;
    iotsafe_cla_style cla = IOTSAFE_CLA_AUTO;
    iotsafe_channel_exhausted ex = IOTSAFE_EXHAUSTED_AUTO;
    iotsafe_at_mode at = IOTSAFE_AT_CSIM;
    static const char *const yes[] = {"yes", "1", "true", "on"}, *const no[] = {"no", "0", "false",
                                                                                "off"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(iotsafe_setting_bool(yes[i], &b), 0);
        ck_assert_int_eq(b, 1);
        ck_assert_int_eq(iotsafe_setting_bool(no[i], &b), 0);
        ck_assert_int_eq(b, 0);
    }
    b = 7;
    ck_assert_int_eq(iotsafe_setting_bool("YES", &b), -1); /* words are lower case */
    ck_assert_int_eq(iotsafe_setting_bool("", &b), -1);
    ck_assert_int_eq(iotsafe_setting_bool("yes ", &b), -1);
    ck_assert_int_eq(b, 7); /* nothing written on a refusal */
    ck_assert_int_eq(iotsafe_setting_cla("interindustry", &cla), 0);
    ck_assert_int_eq(cla, IOTSAFE_CLA_INTERINDUSTRY);
    ck_assert_int_eq(iotsafe_setting_cla("bogus", &cla), -1);
    ck_assert_int_eq(cla, IOTSAFE_CLA_INTERINDUSTRY);
    ck_assert_int_eq(iotsafe_setting_channel("basic", &basic), 0);
    ck_assert_int_eq(basic, 1);
    ck_assert_int_eq(iotsafe_setting_channel("wide", &basic), -1);
    ck_assert_int_eq(iotsafe_setting_channel_exhausted("fail", &ex), 0);
    ck_assert_int_eq(ex, IOTSAFE_EXHAUSTED_FAIL);
    ck_assert_int_eq(iotsafe_setting_at_mode("cgla", &at), 0);
    ck_assert_int_eq(at, IOTSAFE_AT_CGLA);
    ck_assert_int_eq(iotsafe_setting_at_mode("CGLA", &at), -1);
}
END_TEST

START_TEST(seconds_words)
{
    static const struct {
        const char *text;
        int rc;
        unsigned long ms;
    } cases[] = {
        {"2", 0, 2000},
        {"0.5", 0, 500},
        {"0.1", 0, 100},
        {"3600", 0, 3600000},
        {"1.25", 0, 1250},
        {"0.1239", 0, 123},
        {"10.", -1, 0},
        {".5", -1, 0},
        {"0.09", -1, 0},
        {"3600.001", -1, 0},
        {"3601", -1, 0},
        {"0x10", -1, 0},
        {"1e3", -1, 0},
        {"1,5", -1, 0},
        {"-1", -1, 0},
        {" 1", -1, 0},
        {"1 ", -1, 0},
        {"", -1, 0},
        {"99999999999999999999", -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned long ms = 42;
        ck_assert_msg(iotsafe_setting_seconds(cases[i].text, &ms) == cases[i].rc, "'%s'",
                      cases[i].text);
        ck_assert_msg(ms == (cases[i].rc == 0 ? cases[i].ms : 42), "'%s' gave %lu ms",
                      cases[i].text, ms);
    }
}
END_TEST

START_TEST(aids)
{
    uint8_t aid[16];
    size_t n = 0;
    ck_assert_int_eq(iotsafe_setting_aid("A0 00 00 05 59 00 10", aid, &n), 0);
    ck_assert_uint_eq(n, 7);
    ck_assert_uint_eq(aid[6], 0x10);
    ck_assert_int_eq(iotsafe_setting_aid("A0:00:00:05:59", aid, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(iotsafe_setting_aid("A0000005", aid, &n), -1); /* 4 bytes */
    ck_assert_int_eq(iotsafe_setting_aid("A000000559001000000000000000000000", aid, &n),
                     -1); /* 17 */
    ck_assert_int_eq(iotsafe_setting_aid("zz", aid, &n), -1);
}
END_TEST

START_TEST(traces)
{
    iotsafe_trace_setting t = {IOTSAFE_TRACE_OFF, NULL};
    ck_assert_int_eq(iotsafe_setting_trace("yes", &t), 0);
    ck_assert_int_eq(t.level, IOTSAFE_TRACE_APDU);
    ck_assert_ptr_null(t.file);
    ck_assert_int_eq(iotsafe_setting_trace("1", &t), 0);
    ck_assert_int_eq(t.level, IOTSAFE_TRACE_APDU);
    ck_assert_int_eq(iotsafe_setting_trace("no", &t), 0);
    ck_assert_int_eq(t.level, IOTSAFE_TRACE_OFF);
    const char *s = "debug:/var/log/iotsafe:x.log";
    ck_assert_int_eq(iotsafe_setting_trace(s, &t), 0);
    ck_assert_int_eq(t.level, IOTSAFE_TRACE_DEBUG);
    ck_assert_str_eq(t.file, "/var/log/iotsafe:x.log"); /* the first ':' ends the level */
    ck_assert_ptr_eq(t.file, s + 6);
    ck_assert_int_eq(iotsafe_setting_trace("apdu:f", &t), 0);
    ck_assert_int_eq(t.level, IOTSAFE_TRACE_APDU);
    ck_assert_int_eq(iotsafe_setting_trace("no:/tmp/x", &t), -1); /* a file needs a level */
    ck_assert_int_eq(iotsafe_setting_trace("debug:", &t), -1);
    ck_assert_int_eq(iotsafe_setting_trace("2", &t), -1);
    ck_assert_int_eq(iotsafe_setting_trace("verbose", &t), -1);
    ck_assert_int_eq(iotsafe_setting_trace("", &t), -1);
}
END_TEST

START_TEST(state_dirs)
{
    const char *d = NULL;
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/iotsafe", &d), 0);
    ck_assert_str_eq(d, "/run/iotsafe");
    ck_assert_int_eq(iotsafe_setting_state_dir("none", &d), 0);
    ck_assert_int_eq(iotsafe_setting_state_dir("/", &d), 0);
    /* paths that could lead through a symbolic link or somewhere else */
    ck_assert_int_eq(iotsafe_setting_state_dir("run/iotsafe", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/iotsafe/", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/iotsafe/.", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/../tmp", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run//iotsafe", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/./iotsafe", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/iot\nsafe", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("", &d), -1);
    ck_assert_int_eq(iotsafe_setting_state_dir("NONE", &d), -1);
    char longp[160];
    memset(longp, 'a', sizeof longp);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(iotsafe_setting_state_dir(longp, &d), -1); /* over 150 bytes */
    /* ".." or "." inside a name are plain names */
    ck_assert_int_eq(iotsafe_setting_state_dir("/run/..iotsafe./x.", &d), 0);
}
END_TEST

static Suite *settings_suite(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, words);
    tcase_add_test(tc, seconds_words);
    tcase_add_test(tc, aids);
    tcase_add_test(tc, traces);
    tcase_add_test(tc, state_dirs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(settings_suite());
}
