/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPUTE SIGNATURE / VERIFY against scripted answers: TV-2 in exactly two
 * APDUs, every tag-33 form, T=0 style 61xx, the strict-session fallback,
 * full-text multi-block mode and TV-5 verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define INIT_01 "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04"
#define UPDATE_TV2 "81 2B 80 01 22 9E 20" TV_HASH "00"
#define CLOSE_01 "81 2A 01 01"

static const uint8_t id1 = 1;
static const iotsafe_ref key1 = {.id = &id1, .id_len = 1};

static void expect_rs(const uint8_t *rs, size_t rl)
{
    uint8_t want[64];
    hex2bin(TV_R TV_S, want, sizeof want);
    ck_assert_uint_eq(rl, 64);
    ck_assert_mem_eq(rs, want, 64);
}

static iotsafe_rc sign_tv2(iotsafe_card *c, uint8_t *rs, size_t *rl, iotsafe_status *st)
{
    uint8_t h[32];
    hex2bin(TV_HASH, h, sizeof h);
    *rl = 64;
    return iotsafe_sign_digest(c, &key1, IOTSAFE_HASH_SHA256, h, 32, rs, rl, st);
}

START_TEST(tv2_two_apdus_all_forms)
{
    static const char *const answers[] = {
        "33 00 40" TV_R TV_S "9000", "33 40" TV_R TV_S "9000", "33 81 40" TV_R TV_S "9000",
        "33 48" TV_DER "9000",       "33 00 48" TV_DER "9000",
    };
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        script_expect(s, INIT_01, "9000");
        script_expect(s, UPDATE_TV2, answers[i]);
        unsigned long before = iotsafe_card_apdu_count(c);
        uint8_t rs[64];
        size_t rl;
        iotsafe_status st;
        ck_assert_msg(sign_tv2(c, rs, &rl, &st) == IOTSAFE_OK, "form %zu: %s", i, st.msg);
        expect_rs(rs, rl);
        ck_assert_uint_eq(iotsafe_card_apdu_count(c) - before, 2);
        script_done(s);
    }
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(tv3_get_response)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, INIT_01, "9000");
    script_expect(s, UPDATE_TV2, "6143");
    script_expect(s, "81 C0 00 00 43", "33 00 40" TV_R TV_S "9000");
    uint8_t rs[64];
    size_t rl;
    iotsafe_status st;
    ck_assert_int_eq(sign_tv2(c, rs, &rl, &st), IOTSAFE_OK);
    expect_rs(rs, rl);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(malformed_signatures)
{
    static const char *const answers[] = {
        "9000",                      /* nothing */
        "34 40" TV_R TV_S "9000",    /* wrong tag */
        "33 00 40" TV_R "9000",      /* truncated */
        "33 40" TV_R TV_S "00 9000", /* trailing byte */
        "33 3F" TV_R
        "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEE 9000", /* odd */
        "33 08 3006020101020101 00 9000", /* DER with trailing junk inside 33 */
        "33 07 30050201010201 9000",      /* truncated DER */
    };
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        script_expect(s, INIT_01, "9000");
        script_expect(s, UPDATE_TV2, answers[i]);
        uint8_t rs[64];
        size_t rl;
        iotsafe_status st;
        ck_assert_msg(sign_tv2(c, rs, &rl, &st) == IOTSAFE_E_MALFORMED, "answer %zu accepted", i);
        ck_assert_msg(strstr(st.msg, "COMPUTE SIGNATURE on private key id=01") != NULL, "%s",
                      st.msg);
    }
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(strict_session_fallback)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    /* session 1 is still open and this card refuses to replace it */
    script_expect(s, INIT_01, "6985");
    script_expect(s, CLOSE_01, "9000");
    script_expect(s, INIT_01, "9000");
    script_expect(s, UPDATE_TV2, "33 00 40" TV_R TV_S "9000");
    script_expect(s, CLOSE_01, "9000");
    uint8_t rs[64];
    size_t rl;
    iotsafe_status st;
    ck_assert_int_eq(sign_tv2(c, rs, &rl, &st), IOTSAFE_OK);
    expect_rs(rs, rl);
    script_done(s);
    /* from now on: INIT, UPDATE, close */
    script_expect(s, INIT_01, "9000");
    script_expect(s, UPDATE_TV2, "33 00 40" TV_R TV_S "9000");
    script_expect(s, CLOSE_01, "9000");
    unsigned long before = iotsafe_card_apdu_count(c);
    ck_assert_int_eq(sign_tv2(c, rs, &rl, &st), IOTSAFE_OK);
    ck_assert_uint_eq(iotsafe_card_apdu_count(c) - before, 3);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(usage_refused)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    /* prime the object list so the message can carry the label */
    script_expect(s, "81 CB 01 00 00", "C1 0E 74 06 4E4F5349474E 84 01 07 61 01 04 9000");
    iotsafe_object *objs;
    size_t n;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_list_objects(c, &objs, &n, &st), IOTSAFE_OK);
    free(objs);
    script_expect(s, "81 2A 00 01 0D 84 01 07 A1 01 03 91 02 00 01 92 01 04", "6985");
    script_expect(s, CLOSE_01, "9000");
    script_expect(s, "81 2A 00 01 0D 84 01 07 A1 01 03 91 02 00 01 92 01 04", "6985");
    const uint8_t id7 = 7;
    const iotsafe_ref nosign = {.id = &id7, .id_len = 1};
    uint8_t h[32] = {0}, rs[64];
    size_t rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_digest(c, &nosign, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st),
                     IOTSAFE_E_USAGE);
    ck_assert_str_eq(
        st.msg,
        "COMPUTE SIGNATURE on private key id=07 (NOSIGN) in reader 'in-process card': card answered "
        "6985 (conditions of use not satisfied)");
    ck_assert_uint_eq(st.sw, 0x6985);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(by_label_and_other_hashes)
{
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.sign_session = 5;
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, &cfg);
    char init[200], upd[300];
    strcpy(init, "81 2A 00 05 12 74 06 444556 4B4559 A1 01 03 91 02 00 02 92 01 04");
    strcpy(upd, "81 2B 80 05 32 9E 30");
    for (int i = 0; i < 48; i++)
        strcat(upd, "AB");
    strcat(upd, "00");
    script_expect(s, init, "9000");
    script_expect(s, upd, "33 00 40" TV_R TV_S "9000");
    const iotsafe_ref lab = {.label = (const uint8_t *)"DEVKEY", .label_len = 6};
    uint8_t h[48], rs[64];
    memset(h, 0xAB, sizeof h);
    size_t rl = sizeof rs;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_sign_digest(c, &lab, IOTSAFE_HASH_SHA384, h, 48, rs, &rl, &st),
                     IOTSAFE_OK);
    expect_rs(rs, rl);
    /* caller buffer too small for the card's r||s */
    script_expect(s, init, "9000");
    script_expect(s, upd, "33 00 40" TV_R TV_S "9000");
    rl = 63;
    ck_assert_int_eq(iotsafe_sign_digest(c, &lab, IOTSAFE_HASH_SHA384, h, 48, rs, &rl, &st),
                     IOTSAFE_E_BUFFER);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(full_text_multi_block)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    char b1[1200] = "81 2B 00 01 FF 9B 81 FC", b2[400] = "81 2B 80 01 32 9B 30";
    for (size_t i = 0; i < 252; i++)
        sprintf(b1 + strlen(b1), "%02X", msg[i]);
    for (size_t i = 252; i < 300; i++)
        sprintf(b2 + strlen(b2), "%02X", msg[i]);
    strcat(b2, "00");
    script_expect(s, "81 2A 00 01 0D 84 01 01 A1 01 01 91 02 00 01 92 01 04", "9000");
    script_expect(s, b1, "9000");
    script_expect(s, b2, "33 00 40" TV_R TV_S "9000");
    uint8_t rs[64];
    size_t rl = sizeof rs;
    iotsafe_status st;
    ck_assert_int_eq(
        iotsafe_sign_message(c, &key1, IOTSAFE_HASH_SHA256, msg, sizeof msg, rs, &rl, &st),
        IOTSAFE_OK);
    expect_rs(rs, rl);
    /* short message: one block */
    script_expect(s, "81 2A 00 01 0D 84 01 01 A1 01 01 91 02 00 01 92 01 04", "9000");
    script_expect(s, "81 2B 80 01 08 9B 06 73616D706C65 00", "33 40" TV_R TV_S "9000");
    rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_message(c, &key1, IOTSAFE_HASH_SHA256, (const uint8_t *)"sample",
                                          6, rs, &rl, &st),
                     IOTSAFE_OK);
    expect_rs(rs, rl);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(tv5_verify)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    const char *init = "81 2C 00 02 0D 85 01 01 A1 01 03 91 02 00 01 92 01 04";
    const char *upd = "81 2D 80 02 65 9E 20" TV_HASH "33 00 40" TV_R TV_S;
    script_expect(s, init, "9000");
    script_expect(s, upd, "9000");
    script_expect(s, "81 2C 01 02", "9000");
    uint8_t h[32], rs[64];
    hex2bin(TV_HASH, h, sizeof h);
    hex2bin(TV_R TV_S, rs, sizeof rs);
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_verify_digest(c, &key1, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_OK);
    script_expect(s, init, "9000");
    script_expect(s, upd, "6D01");
    script_expect(s, "81 2C 01 02", "9000");
    ck_assert_int_eq(iotsafe_verify_digest(c, &key1, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_E_SIG_MISMATCH);
    ck_assert_ptr_nonnull(strstr(st.msg, "VERIFY SIGNATURE on public key id=01"));
    script_done(s);
    /* after the card answered "33 40", VERIFY uses that form */
    script_expect(s, INIT_01, "9000");
    script_expect(s, UPDATE_TV2, "33 40" TV_R TV_S "9000");
    size_t rl;
    ck_assert_int_eq(sign_tv2(c, rs, &rl, &st), IOTSAFE_OK);
    script_expect(s, init, "9000");
    script_expect(s, "81 2D 80 02 64 9E 20" TV_HASH "33 40" TV_R TV_S, "9000");
    script_expect(s, "81 2C 01 02", "9000");
    ck_assert_int_eq(iotsafe_verify_digest(c, &key1, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_OK);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

static Suite *sign_suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("sign");
    tcase_add_test(tc, tv2_two_apdus_all_forms);
    tcase_add_test(tc, tv3_get_response);
    tcase_add_test(tc, malformed_signatures);
    tcase_add_test(tc, strict_session_fallback);
    tcase_add_test(tc, usage_refused);
    tcase_add_test(tc, by_label_and_other_hashes);
    tcase_add_test(tc, full_text_multi_block);
    tcase_add_test(tc, tv5_verify);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sign_suite());
}
