/* SPDX-License-Identifier: Apache-2.0 */
/* The settings every front end takes (iotsafe/options.h): names, one parser each, defaults. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "iotsafe/options.h"
#include "run_suite.h"

START_TEST(names)
{
    for (int i = 0; i < IOTSAFE_OPT_N; i++) {
        const char *name = iotsafe_option_name((iotsafe_option)i);
        const char *env = iotsafe_option_env((iotsafe_option)i);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(env);
        ck_assert_ptr_nonnull(iotsafe_option_words((iotsafe_option)i));
        ck_assert_int_eq(iotsafe_option_lookup(name), i);
        /* IOTSAFE_ and the name in capitals, '-' as '_' */
        char want[64] = "IOTSAFE_";
        for (size_t k = 0; name[k] != '\0'; k++)
            want[8 + k] = name[k] == '-' ? '_' : (char)toupper((unsigned char)name[k]);
        ck_assert_str_eq(env, want);
    }
    ck_assert_str_eq(iotsafe_option_name(IOTSAFE_OPT_DH_PEER_SLOT), "dh-peer-slot");
    ck_assert_str_eq(iotsafe_option_env(IOTSAFE_OPT_STATE_DIR), "IOTSAFE_STATE_DIR");
    ck_assert_str_eq(iotsafe_option_words(IOTSAFE_OPT_CLA), IOTSAFE_SETTING_CLA_WORDS);
    ck_assert_int_eq(iotsafe_option_lookup("timeout"), IOTSAFE_OPT_TIMEOUT);
    ck_assert_int_eq(iotsafe_option_lookup("rand"), -1); /* the provider's own */
    ck_assert_int_eq(iotsafe_option_lookup("Timeout"), -1);
    ck_assert_int_eq(iotsafe_option_lookup(""), -1);
    ck_assert_int_eq(iotsafe_option_lookup(NULL), -1);
    ck_assert_ptr_null(iotsafe_option_name(IOTSAFE_OPT_N));
    ck_assert_ptr_null(iotsafe_option_env((iotsafe_option)-1));
    ck_assert_ptr_null(iotsafe_option_words(IOTSAFE_OPT_N));
}
END_TEST

static void assert_defaults(const iotsafe_options *o)
{
    ck_assert_ptr_null(o->reader);
    ck_assert_uint_eq(o->aid_len, 0);
    ck_assert_int_eq(o->cla, IOTSAFE_CLA_AUTO);
    ck_assert_int_eq(o->basic_channel, 0);
    ck_assert_int_eq(o->trace, IOTSAFE_TRACE_OFF);
    ck_assert_ptr_null(o->trace_file);
    ck_assert_int_eq(o->verify_signatures, 1);
    ck_assert_uint_eq(o->dh_peer_slot_len, 0);
    ck_assert_ptr_null(o->modem);
    ck_assert_int_eq(o->modem_mode, IOTSAFE_AT_CSIM);
    ck_assert_uint_eq(o->timeout_ms, 0);
    ck_assert_int_eq(o->on_exhausted, IOTSAFE_EXHAUSTED_AUTO);
    ck_assert_ptr_null(o->state_dir);
}

START_TEST(defaults_and_clear)
{
    iotsafe_options o;
    memset(&o, 0x5A, sizeof(o));
    iotsafe_options_init(&o);
    assert_defaults(&o);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_READER, "Virtual PCD"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "debug:/tmp/t.log"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_MODEM, "/dev/ttyUSB2"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_STATE_DIR, "/run/x"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_VERIFY_SIGNATURES, "no"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_AID, "A0000005590010"), 1);
    iotsafe_options_clear(&o); /* frees the strings (the sanitizer pass sees a leak) */
    assert_defaults(&o);
    iotsafe_options_clear(&o); /* twice is harmless */
    assert_defaults(&o);
}
END_TEST

/* Every option: a good value and a bad one. */
static const struct {
    iotsafe_option which;
    const char *good, *bad;
} values[] = {
    {IOTSAFE_OPT_READER, "Virtual PCD 00 00", NULL},
    {IOTSAFE_OPT_AID, "A0 00 00 05 59 00 10", "A0000005"},
    {IOTSAFE_OPT_CLA, "interindustry", "bogus"},
    {IOTSAFE_OPT_CHANNEL, "basic", "wide"},
    {IOTSAFE_OPT_TRACE, "apdu:/tmp/trace.log", "verbose"},
    {IOTSAFE_OPT_DH_PEER_SLOT, "05", "zz"},
    {IOTSAFE_OPT_MODEM, "/dev/ttyUSB2", NULL},
    {IOTSAFE_OPT_MODEM_MODE, "cgla", "CGLA"},
    {IOTSAFE_OPT_VERIFY_SIGNATURES, "no", "maybe"},
    {IOTSAFE_OPT_TIMEOUT, "2.5", "0"},
    {IOTSAFE_OPT_CHANNEL_EXHAUSTED, "fail", "never"},
    {IOTSAFE_OPT_STATE_DIR, "/run/iotsafe-test", "run/iotsafe"},
};

START_TEST(bad_values_change_nothing)
{
    ck_assert_uint_eq(sizeof(values) / sizeof(values[0]), IOTSAFE_OPT_N);
    iotsafe_options o, before;
    iotsafe_options_init(&o);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ck_assert_int_eq(values[i].which, (int)i);
        ck_assert_msg(iotsafe_options_set(&o, values[i].which, values[i].good) == 1, "%s=%s",
                      iotsafe_option_name(values[i].which), values[i].good);
    }
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        memcpy(&before, &o, sizeof(o));
        if (values[i].bad != NULL)
            ck_assert_msg(iotsafe_options_set(&o, values[i].which, values[i].bad) == -1, "%s=%s",
                          iotsafe_option_name(values[i].which), values[i].bad);
        ck_assert_int_eq(iotsafe_options_set(&o, values[i].which, NULL), -1);
        ck_assert_mem_eq(&o, &before, sizeof(o));
    }
    memcpy(&before, &o, sizeof(o));
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_N, "yes"), -1);
    ck_assert_int_eq(iotsafe_options_set(&o, (iotsafe_option)-1, "yes"), -1);
    ck_assert_mem_eq(&o, &before, sizeof(o));
    iotsafe_options_clear(&o);
}
END_TEST

START_TEST(strings)
{
    iotsafe_options o;
    iotsafe_options_init(&o);
    char v[] = "Reader A";
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_READER, v), 1);
    v[0] = 'X'; /* a copy, not the caller's string */
    ck_assert_str_eq(o.reader, "Reader A");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_READER, "#1"), 1); /* replaced */
    ck_assert_str_eq(o.reader, "#1");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_MODEM, "/dev/ttyACM0"), 1);
    ck_assert_str_eq(o.modem, "/dev/ttyACM0");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_STATE_DIR, "/var/lib/iotsafe"), 1);
    ck_assert_str_eq(o.state_dir, "/var/lib/iotsafe");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_STATE_DIR, "none"), 1);
    ck_assert_str_eq(o.state_dir, "none");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_STATE_DIR, "/run/../tmp"), -1);
    ck_assert_str_eq(o.state_dir, "none");
    iotsafe_options_clear(&o);
}
END_TEST

START_TEST(traces)
{
    iotsafe_options o;
    iotsafe_options_init(&o);
    char v[] = "debug:/tmp/a.log";
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, v), 1);
    ck_assert_int_eq(o.trace, IOTSAFE_TRACE_DEBUG);
    v[6] = 'X'; /* the file name is a copy */
    ck_assert_str_eq(o.trace_file, "/tmp/a.log");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "yes:/tmp/b.log"), 1);
    ck_assert_int_eq(o.trace, IOTSAFE_TRACE_APDU);
    ck_assert_str_eq(o.trace_file, "/tmp/b.log");
    /* a level without a file goes back to stderr */
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "1"), 1);
    ck_assert_int_eq(o.trace, IOTSAFE_TRACE_APDU);
    ck_assert_ptr_null(o.trace_file);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "debug:/tmp/c.log"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "no:/tmp/d.log"), -1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "debug:"), -1);
    ck_assert_int_eq(o.trace, IOTSAFE_TRACE_DEBUG);
    ck_assert_str_eq(o.trace_file, "/tmp/c.log");
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "off"), 1);
    ck_assert_int_eq(o.trace, IOTSAFE_TRACE_OFF);
    ck_assert_ptr_null(o.trace_file);
    iotsafe_options_clear(&o);
}
END_TEST

START_TEST(words)
{
    iotsafe_options o;
    iotsafe_options_init(&o);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_AID, "A0:00:00:05:59"), 1);
    ck_assert_uint_eq(o.aid_len, 5);
    ck_assert_uint_eq(o.aid[4], 0x59);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_AID, "A000000559001000000000000000000000"),
                     -1); /* 17 bytes */
    ck_assert_uint_eq(o.aid_len, 5);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CLA, "proprietary"), 1);
    ck_assert_int_eq(o.cla, IOTSAFE_CLA_PROPRIETARY);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL, "basic"), 1);
    ck_assert_int_eq(o.basic_channel, 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL, "logical"), 1);
    ck_assert_int_eq(o.basic_channel, 0);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_MODEM_MODE, "cgla"), 1);
    ck_assert_int_eq(o.modem_mode, IOTSAFE_AT_CGLA);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_MODEM_MODE, "csim"), 1);
    ck_assert_int_eq(o.modem_mode, IOTSAFE_AT_CSIM);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_VERIFY_SIGNATURES, "off"), 1);
    ck_assert_int_eq(o.verify_signatures, 0);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_VERIFY_SIGNATURES, "true"), 1);
    ck_assert_int_eq(o.verify_signatures, 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TIMEOUT, "0.5"), 1);
    ck_assert_uint_eq(o.timeout_ms, 500);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TIMEOUT, "3601"), -1);
    ck_assert_uint_eq(o.timeout_ms, 500);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL_EXHAUSTED, "basic"), 1);
    ck_assert_int_eq(o.on_exhausted, IOTSAFE_EXHAUSTED_BASIC);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL_EXHAUSTED, "fail"), 1);
    ck_assert_int_eq(o.on_exhausted, IOTSAFE_EXHAUSTED_FAIL);
    iotsafe_options_clear(&o);
}
END_TEST

START_TEST(peer_slots)
{
    iotsafe_options o;
    iotsafe_options_init(&o);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT, "05"), 1);
    ck_assert_uint_eq(o.dh_peer_slot_len, 1);
    ck_assert_uint_eq(o.dh_peer_slot[0], 0x05);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT, "01:02 03"), 1);
    ck_assert_uint_eq(o.dh_peer_slot_len, 3);
    ck_assert_uint_eq(o.dh_peer_slot[2], 0x03);
    /* 20 bytes is the longest object ID */
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT,
                                         "0102030405060708090A0B0C0D0E0F1011121314"),
                     1);
    ck_assert_uint_eq(o.dh_peer_slot_len, 20);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT,
                                         "0102030405060708090A0B0C0D0E0F101112131415"),
                     -1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT, "5"), -1); /* half a byte */
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_DH_PEER_SLOT, ":"), -1);
    ck_assert_uint_eq(o.dh_peer_slot_len, 20);
    iotsafe_options_clear(&o);
}
END_TEST

START_TEST(card_config)
{
    iotsafe_options o;
    iotsafe_config cfg;
    iotsafe_options_init(&o);
    iotsafe_options_card_config(&o, NULL, &cfg);
    ck_assert_ptr_null(cfg.aid); /* the GSMA AID */
    ck_assert_int_eq(cfg.cla, IOTSAFE_CLA_AUTO);
    ck_assert_int_eq(cfg.trace, 0);
    ck_assert_ptr_null(cfg.trace_out);
    ck_assert_ptr_null(cfg.state_dir);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_AID, "A0000002480400"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CLA, "interindustry"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL, "basic"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TRACE, "debug"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_TIMEOUT, "7"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_CHANNEL_EXHAUSTED, "fail"), 1);
    ck_assert_int_eq(iotsafe_options_set(&o, IOTSAFE_OPT_STATE_DIR, "/run/x"), 1);
    iotsafe_options_card_config(&o, stdout, &cfg);
    ck_assert_ptr_eq(cfg.aid, o.aid);
    ck_assert_uint_eq(cfg.aid_len, 7);
    ck_assert_int_eq(cfg.cla, IOTSAFE_CLA_INTERINDUSTRY);
    ck_assert_int_eq(cfg.basic_channel, 1);
    ck_assert_int_eq(cfg.trace, 1);
    ck_assert_ptr_eq(cfg.trace_out, stdout);
    ck_assert_uint_eq(cfg.timeout_ms, 7000);
    ck_assert_int_eq(cfg.on_exhausted, IOTSAFE_EXHAUSTED_FAIL);
    ck_assert_str_eq(cfg.state_dir, "/run/x");
    iotsafe_options_clear(&o);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, names);
    tcase_add_test(tc, defaults_and_clear);
    tcase_add_test(tc, bad_values_change_nothing);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, traces);
    tcase_add_test(tc, words);
    tcase_add_test(tc, peer_slots);
    tcase_add_test(tc, card_config);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(options_suite());
}
