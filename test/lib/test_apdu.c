/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APDU layer against scripted card answers: channel open and SELECT once,
 * CLA styles and fallback, 61xx and 6Cxx loops, error SW mapping, reset
 * recovery, and the trace redaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

START_TEST(open_select_once)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    ck_assert_uint_eq(iotsafe_card_apdu_count(c), 2);
    /* two commands: no further MANAGE CHANNEL or SELECT */
    script_expect(s, "81 84 00 00 04", "01020304 9000");
    script_expect(s, "81 84 00 00 02", "0506 9000");
    uint8_t b[4];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 4, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_OK);
    ck_assert_uint_eq(b[1], 0x06);
    ck_assert_uint_eq(iotsafe_card_apdu_count(c), 4);
    script_done(s);
    /* free closes the channel */
    script_expect(s, "00 70 80 01", "9000");
    iotsafe_card_free(c);
    script_done(s);
    script_free(s);
}
END_TEST

START_TEST(get_response_chain)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 84 00 00 08", "61 04");
    script_expect(s, "81 C0 00 00 04", "AABBCCDD 61 04");
    script_expect(s, "81 C0 00 00 04", "EEFF0011 9000");
    uint8_t b[8], want[8];
    hex2bin("AABBCCDDEEFF0011", want, sizeof want);
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 8, &st), IOTSAFE_OK);
    ck_assert_mem_eq(b, want, 8);
    ck_assert_uint_eq(iotsafe_card_apdu_count(c), 5);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

/* A card that answers 61 01 forever: the loop must stop. */
static int endless_61(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                      size_t *resp_len)
{
    (void)ctx;
    if (cmd_len >= 2 && cmd[1] == 0x70) {
        resp[0] = 0x01;
        resp[1] = 0x90;
        resp[2] = 0x00;
        *resp_len = 3;
        return 0;
    }
    if (cmd_len >= 2 && cmd[1] == 0xA4) {
        resp[0] = 0x90;
        resp[1] = 0x00;
        *resp_len = 2;
        return 0;
    }
    resp[0] = 0x61;
    resp[1] = 0x01;
    *resp_len = 2;
    return 0;
}

START_TEST(get_response_bounded)
{
    iotsafe_transport *t;
    iotsafe_card *c;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_func_transport_new(endless_61, NULL, &t), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_card_attach(NULL, t, &c, &st), IOTSAFE_OK);
    uint8_t b[8];
    ck_assert_int_eq(iotsafe_get_random(c, b, 8, &st), IOTSAFE_E_MALFORMED);
    ck_assert_str_eq(st.msg, "GET RANDOM in reader 'in-process card': malformed card answer: "
                             "card kept answering 61xx after 32 GET RESPONSE commands");
    ck_assert_uint_lt(iotsafe_card_apdu_count(c), 40);
    iotsafe_card_free(c);
}
END_TEST

/* More data than the short APDU allows (Le, or 256): refused, with command and reader. */
START_TEST(answer_longer_than_le)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    iotsafe_status st;
    uint8_t b[256];
    script_expect(s, "81 84 00 00 04", "0102030405 9000");
    ck_assert_int_eq(iotsafe_get_random(c, b, 4, &st), IOTSAFE_E_MALFORMED);
    ck_assert_str_eq(st.msg, "GET RANDOM in reader 'in-process card': malformed card answer: "
                             "card answer of 5 data bytes to a short APDU that allows 4");
    /* 257 data bytes to Le 00 */
    char big[2 * 257 + 8];
    for (int i = 0; i < 257; i++)
        memcpy(big + 2 * i, "AB", 2);
    strcpy(big + 2 * 257, "9000");
    script_expect(s, "81 84 00 00 00", big);
    ck_assert_int_eq(iotsafe_get_random(c, b, 256, &st), IOTSAFE_E_MALFORMED);
    ck_assert_ptr_nonnull(
        strstr(st.msg, "card answer of 257 data bytes to a short APDU that allows 256"));
    /* (an answer without status word is the in-process transport's error; through PC/SC
       see test/e2e/provider-malformed.sh) */
    script_done(s);
    iotsafe_card_free(c);
    script_free(s);
}
END_TEST

START_TEST(wrong_le_resend)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 CB 00 00 44", "6C 09");
    script_expect(s, "81 CB 00 00 09", "10 01 01 B7 01 04 91 01 07 9000");
    iotsafe_app_info ai;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_app_info(c, &ai, &st), IOTSAFE_OK);
    ck_assert_uint_eq(ai.version, 1);
    ck_assert_uint_eq(ai.max_sessions, 4);
    ck_assert_uint_eq(ai.hashes, 7);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(cla_auto_fallback)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 84 00 00 02", "6E00");
    script_expect(s, "01 84 00 00 02", "1122 9000");
    script_expect(s, "01 84 00 00 01", "33 9000"); /* remembered */
    uint8_t b[2];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_get_random(c, b, 1, &st), IOTSAFE_OK);
    ck_assert_uint_eq(b[0], 0x33);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(cla_fixed_styles)
{
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.cla = IOTSAFE_CLA_PROPRIETARY;
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, &cfg);
    script_expect(s, "81 84 00 00 02", "6E00");
    uint8_t b[2];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_E_SW);
    ck_assert_uint_eq(st.sw, 0x6E00);
    ck_assert_ptr_nonnull(strstr(st.msg, "6E00 (class not supported)"));
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);

    cfg.cla = IOTSAFE_CLA_INTERINDUSTRY;
    s = script_new();
    script_expect_open(s);
    c = script_card(s, &cfg);
    script_expect(s, "01 84 00 00 02", "1122 9000");
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_OK);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(channel_refused_falls_back_to_basic)
{
    script *s = script_new();
    script_expect(s, TV_OPEN_CMD, "6881");
    script_expect(s, "00 A4 04 00 07 A0 00 00 05 59 00 10", "9000");
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "80 84 00 00 01", "42 9000");
    uint8_t b[1];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 1, &st), IOTSAFE_OK);
    script_done(s);
    iotsafe_card_free(c); /* no channel to close */
    script_done(s);
    script_free(s);
}
END_TEST

START_TEST(basic_channel_config_and_custom_aid)
{
    static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x02, 0x48, 0x04, 0x00};
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.basic_channel = 1;
    cfg.aid = aid;
    cfg.aid_len = sizeof aid;
    script *s = script_new();
    script_expect(s, "00 A4 04 00 07 A0 00 00 02 48 04 00", "61 05");
    script_expect(s, "00 C0 00 00 05", "6F03840100 9000"); /* FCI fetched and ignored */
    iotsafe_card *c = script_card(s, &cfg);
    script_done(s);
    iotsafe_card_free(c);
    script_free(s);
}
END_TEST

START_TEST(high_channel_cla)
{
    script *s = script_new();
    script_expect(s, TV_OPEN_CMD, "05 9000");
    script_expect(s, "41 A4 04 00 07 A0 00 00 05 59 00 10", "9000");
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "C1 84 00 00 01", "6E00");
    script_expect(s, "41 84 00 00 01", "42 9000");
    uint8_t b[1];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 1, &st), IOTSAFE_OK);
    script_done(s);
    script_expect(s, "00 70 80 05", "9000");
    iotsafe_card_free(c);
    script_done(s);
    script_free(s);
}
END_TEST

START_TEST(select_no_applet)
{
    script *s = script_new();
    script_expect(s, TV_OPEN_CMD, "01 9000");
    script_expect(s, TV_SELECT_CMD, "6A82");
    script_expect(s, "00 70 80 01", "9000");
    iotsafe_transport *t;
    iotsafe_card *c = (iotsafe_card *)1;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_func_transport_new(script_fn, s, &t), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_card_attach(NULL, t, &c, &st), IOTSAFE_E_NO_APPLET);
    ck_assert_ptr_null(c);
    ck_assert_uint_eq(st.sw, 0x6A82);
    ck_assert_ptr_nonnull(strstr(st.msg, "A0000005590010"));
    ck_assert_ptr_nonnull(strstr(st.msg, "6A82"));
    script_done(s);
    script_free(s);
}
END_TEST

static const struct {
    const char *sw;
    iotsafe_rc rc;
    const char *text;
} sw_map[] = {
    {"6A82", IOTSAFE_E_NOT_FOUND, "6A82 (file or reference not found)"},
    {"6A88", IOTSAFE_E_NOT_FOUND, "6A88"},
    {"6985", IOTSAFE_E_USAGE, "6985 (conditions of use not satisfied)"},
    {"6982", IOTSAFE_E_USAGE, "6982 (security status not satisfied)"},
    {"6A80", IOTSAFE_E_SW, "6A80 (incorrect data)"},
    {"6A86", IOTSAFE_E_SW, "6A86 (incorrect P1/P2)"},
    {"6700", IOTSAFE_E_SW, "6700 (wrong length)"},
    {"6D00", IOTSAFE_E_SW, "6D00 (instruction not supported)"},
    {"6E00", IOTSAFE_E_SW, "6E00 (class not supported)"},
    {"6F00", IOTSAFE_E_SW, "6F00 (unknown error)"},
    {"6981", IOTSAFE_E_SW, "6981"},
    {"6984", IOTSAFE_E_SW, "6984"},
    {"6989", IOTSAFE_E_SW, "6989"},
    {"6A84", IOTSAFE_E_SW, "6A84 (not enough memory)"},
    {"6400", IOTSAFE_E_SW, "6400"},
    {"6D01", IOTSAFE_E_SIG_MISMATCH, "6D01 (signature does not match)"},
};

START_TEST(error_sw_mapping)
{
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.cla = IOTSAFE_CLA_PROPRIETARY; /* so 6E00 is not taken as a CLA hint */
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, &cfg);
    const uint8_t id = 0x01;
    const iotsafe_ref ref = {.id = &id, .id_len = 1};
    for (size_t i = 0; i < sizeof sw_map / sizeof sw_map[0]; i++) {
        script_expect(s, "81 CD 00 00 03 85 01 01 00", sw_map[i].sw);
        uint8_t pt[65];
        size_t pl = sizeof pt;
        iotsafe_status st;
        iotsafe_rc rc = iotsafe_read_public_key(c, &ref, pt, &pl, &st);
        ck_assert_msg(rc == sw_map[i].rc, "SW %s gave %d (%s)", sw_map[i].sw, rc, st.msg);
        ck_assert_int_eq(st.rc, rc);
        ck_assert_msg(
            strstr(
                st.msg,
                "READ PUBLIC KEY on public key id=01 in reader 'in-process card': card answered ") !=
                NULL,
            "message: %s", st.msg);
        ck_assert_msg(strstr(st.msg, sw_map[i].text) != NULL, "message: %s", st.msg);
        ck_assert_str_ne(iotsafe_sw_str(st.sw), "");
    }
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
    ck_assert_str_eq(iotsafe_rc_str(IOTSAFE_E_NO_APPLET), "IoT SAFE applet not found");
    ck_assert_str_eq(iotsafe_sw_str(0x6143), "response bytes available (GET RESPONSE)");
}
END_TEST

START_TEST(reset_recovery_once)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect_err(s, "81 84 00 00 02", IOTSAFE_E_CARD_RESET);
    script_expect_open(s); /* reconnect: channel and selection are gone */
    script_expect(s, "81 84 00 00 02", "1122 9000");
    uint8_t b[2];
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_OK);
    ck_assert_uint_eq(b[1], 0x22);
    script_done(s);

    /* removed during recovery as well: a clear error, no endless loop */
    script_expect_err(s, "81 84 00 00 02", IOTSAFE_E_CARD_REMOVED);
    script_expect(s, TV_OPEN_CMD, "01 9000");
    script_expect_err(s, TV_SELECT_CMD, IOTSAFE_E_CARD_RESET);
    ck_assert_int_eq(iotsafe_get_random(c, b, 2, &st), IOTSAFE_E_CARD_RESET);
    ck_assert_ptr_nonnull(strstr(st.msg, "lost again after reconnecting"));
    script_done(s);

    /* and the next call starts over cleanly */
    script_expect_open(s);
    script_expect(s, "81 84 00 00 01", "77 9000");
    ck_assert_int_eq(iotsafe_get_random(c, b, 1, &st), IOTSAFE_OK);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(trace_redacts_secrets)
{
    char path[] = "/tmp/iotsafe-trace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fd, 2), 0);

    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.trace = 1;
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, &cfg);
    script_expect(s, "81 46 00 00 06 84 01 04 85 01 05 00",
                  "707F5ECC0FF09A6CB9AD42715A8BD5552E590165D99542E5F5A66D827F601AE1 9000");
    script_expect(s, "81 4A 00 00 0C D1 02 5A5A D5 02 A5A5 91 02 00 01 00",
                  "7496380BEFB6780ED77C65067A77C92C0B3D0400D94C32CF0F9310336C71DDFE 9000");
    const uint8_t k4 = 4, k5 = 5;
    const iotsafe_ref priv = {.id = &k4, .id_len = 1}, pub = {.id = &k5, .id_len = 1};
    uint8_t z[32], prk[32];
    size_t zl = sizeof z, pl = sizeof prk;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_compute_dh(c, &priv, &pub, z, &zl, &st), IOTSAFE_OK);
    const uint8_t ikm[2] = {0x5A, 0x5A}, salt[2] = {0xA5, 0xA5};
    ck_assert_int_eq(
        iotsafe_compute_hkdf_extract(c, IOTSAFE_HASH_SHA256, ikm, 2, salt, 2, prk, &pl, &st),
        IOTSAFE_OK);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);

    char log[4096];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(log, 1, sizeof log - 1, f);
    log[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_msg(strstr(log, "iotsafe: > 00 70 00 00 01\n") != NULL, "trace: %s", log);
    ck_assert_msg(strstr(log, "iotsafe: < 01 90 00\n") != NULL, "trace: %s", log);
    ck_assert_msg(strstr(log, "iotsafe: > 81 46 00 00 06 84 01 04 85 01 05 00\n") != NULL,
                  "trace: %s", log);
    ck_assert_msg(strstr(log, "iotsafe: < [32 bytes redacted] 90 00\n") != NULL, "trace: %s", log);
    ck_assert_msg(strstr(log, "iotsafe: > 81 4A 00 00 0C [12 bytes redacted] 00\n") != NULL,
                  "trace: %s", log);
    ck_assert_msg(strstr(log, "70 7F") == NULL && strstr(log, "74 96") == NULL &&
                      strstr(log, "5A 5A") == NULL,
                  "secret in trace: %s", log);
}
END_TEST

START_TEST(bad_arguments)
{
    iotsafe_status st;
    iotsafe_card *c = NULL;
    ck_assert_int_eq(iotsafe_card_attach(NULL, NULL, &c, &st), IOTSAFE_E_INVALID_ARG);
    uint8_t b[4];
    ck_assert_int_eq(iotsafe_get_random(NULL, b, 4, &st), IOTSAFE_E_INVALID_ARG);
    script *s = script_new();
    script_expect_open(s);
    c = script_card(s, NULL);
    const iotsafe_ref none = {0};
    uint8_t id[21] = {0};
    const iotsafe_ref longid = {.id = id, .id_len = 21};
    uint8_t pt[65];
    size_t pl = sizeof pt;
    ck_assert_int_eq(iotsafe_read_public_key(c, &none, pt, &pl, &st), IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_read_public_key(c, &longid, pt, &pl, &st), IOTSAFE_E_INVALID_ARG);
    const iotsafe_ref ok = {.id = id, .id_len = 1};
    uint8_t dg[31] = {0}, rs[64];
    size_t rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_digest(c, &ok, IOTSAFE_HASH_SHA256, dg, 31, rs, &rl, &st),
                     IOTSAFE_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(st.msg, "32 bytes"));
    script_done(s); /* nothing was sent */
    iotsafe_card_free(NULL);
    iotsafe_card_discard(NULL);
    iotsafe_transport_close(NULL);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

static Suite *apdu_suite(void)
{
    Suite *s = suite_create("apdu");
    TCase *tc = tcase_create("apdu");
    tcase_add_test(tc, open_select_once);
    tcase_add_test(tc, get_response_chain);
    tcase_add_test(tc, get_response_bounded);
    tcase_add_test(tc, answer_longer_than_le);
    tcase_add_test(tc, wrong_le_resend);
    tcase_add_test(tc, cla_auto_fallback);
    tcase_add_test(tc, cla_fixed_styles);
    tcase_add_test(tc, channel_refused_falls_back_to_basic);
    tcase_add_test(tc, basic_channel_config_and_custom_aid);
    tcase_add_test(tc, high_channel_cla);
    tcase_add_test(tc, select_no_applet);
    tcase_add_test(tc, error_sw_mapping);
    tcase_add_test(tc, reset_recovery_once);
    tcase_add_test(tc, trace_redacts_secrets);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(apdu_suite());
}
