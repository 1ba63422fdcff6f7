/* SPDX-License-Identifier: Apache-2.0 */
/* Object list parsing (TV-8), paging, lookups by ID and label, app info (TV-10). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define TV8_C1 \
    "C1 21 74 06 444556 4B4559 84 01 01 60 01 00 4A 01 01 4B 01 13 4E 01 01 61 01 01 92 01 04 91 02 00 01"
#define TV8_C2 \
    "C2 21 75 06 444556 4B4559 85 01 01 60 01 01 4A 01 01 4B 01 13 4E 01 01 61 01 01 92 01 04 91 02 00 01"
#define TV8_C3 "C3 19 73 07 44455643455254 83 01 02 60 01 01 4A 01 01 21 01 02 20 02 02 58"

static iotsafe_rc parse(const char *hex, iotsafe_object **objs, size_t *n, iotsafe_status *st)
{
    uint8_t buf[1024];
    size_t len = hex2bin(hex, buf, sizeof buf);
    *objs = NULL;
    *n = 0;
    return iotsafe_parse_object_list(buf, len, objs, n, st);
}

START_TEST(tv8_vector)
{
    iotsafe_object *o;
    size_t n;
    iotsafe_status st;
    ck_assert_int_eq(parse(TV8_C1 TV8_C2 TV8_C3, &o, &n, &st), IOTSAFE_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(o[0].type, IOTSAFE_OBJ_PRIVATE_KEY);
    ck_assert_uint_eq(o[0].id_len, 1);
    ck_assert_uint_eq(o[0].id[0], 1);
    ck_assert_uint_eq(o[0].label_len, 6);
    ck_assert_mem_eq(o[0].label, "DEVKEY", 6);
    ck_assert_uint_eq(o[0].access, 0);
    ck_assert_uint_eq(o[0].state, 1);
    ck_assert_uint_eq(o[0].key_type, IOTSAFE_KEYTYPE_P256);
    ck_assert_uint_eq(o[0].usage, IOTSAFE_USAGE_GENERAL);
    ck_assert_uint_eq(o[0].functions, IOTSAFE_FN_SIGN);
    ck_assert_uint_eq(o[0].sig_algs, IOTSAFE_SIGALG_ECDSA);
    ck_assert_uint_eq(o[0].hashes, IOTSAFE_HASH_SHA256);
    ck_assert(o[0].present & IOTSAFE_HAS_LABEL);
    ck_assert(o[0].present & IOTSAFE_HAS_HASHES);
    ck_assert(!(o[0].present & IOTSAFE_HAS_FILE_SIZE));
    ck_assert_int_eq(o[1].type, IOTSAFE_OBJ_PUBLIC_KEY);
    ck_assert_uint_eq(o[1].access, IOTSAFE_ACCESS_READ);
    ck_assert_int_eq(o[2].type, IOTSAFE_OBJ_FILE);
    ck_assert_mem_eq(o[2].label, "DEVCERT", 7);
    ck_assert_uint_eq(o[2].id[0], 2);
    ck_assert_uint_eq(o[2].file_usage, IOTSAFE_FILE_X509);
    ck_assert_uint_eq(o[2].file_size, 600);
    ck_assert(o[2].present & IOTSAFE_HAS_FILE_SIZE);
    ck_assert_int_eq(iotsafe_curve_name(iotsafe_key_type_curve(o[0].key_type))[0], 'p');
    /* appending to an existing array */
    uint8_t more[40];
    size_t ml = hex2bin(TV8_C3, more, sizeof more);
    ck_assert_int_eq(iotsafe_parse_object_list(more, ml, &o, &n, &st), IOTSAFE_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(o[3].type, IOTSAFE_OBJ_FILE);
    free(o);
}
END_TEST

START_TEST(any_order_and_several_per_structure)
{
    iotsafe_object *o;
    size_t n;
    iotsafe_status st;
    /* files first; two private keys in one C1, the second with its ID before its label;
       a third without label; a secret key */
    ck_assert_int_eq(parse(TV8_C3 "C1 2A 74 02 4B31 84 01 01 60 01 00 4A 01 01 4B 01 13 61 01 01"
                                  "     84 01 02 74 02 4B32 4A 01 00 4B 01 23 61 01 06"
                                  "     84 02 0707 4A 01 01"
                                  "C4 0E 76 03 505348 86 01 08 4B 01 A0 61 01 08"
                                  "AA 01 00", /* unknown top-level TLV: skipped */
                           &o, &n, &st),
                     IOTSAFE_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(o[0].type, IOTSAFE_OBJ_FILE);
    ck_assert_mem_eq(o[1].label, "K1", 2);
    ck_assert_uint_eq(o[1].id[0], 1);
    ck_assert_mem_eq(o[2].label, "K2", 2);
    ck_assert_uint_eq(o[2].id[0], 2);
    ck_assert_uint_eq(o[2].state, 0);
    ck_assert_uint_eq(o[2].key_type, IOTSAFE_KEYTYPE_BP256);
    ck_assert_uint_eq(o[2].functions, IOTSAFE_FN_KEYGEN | IOTSAFE_FN_KEY_AGREEMENT);
    ck_assert_uint_eq(o[3].id_len, 2);
    ck_assert_uint_eq(o[3].label_len, 0);
    ck_assert_int_eq(o[4].type, IOTSAFE_OBJ_SECRET_KEY);
    ck_assert_uint_eq(o[4].id[0], 8);
    ck_assert_uint_eq(o[4].key_type, IOTSAFE_KEYTYPE_HMAC);
    free(o);
}
END_TEST

START_TEST(malformed_lists)
{
    static const char *const bad[] = {
        "C1 05 74 03 414243",      /* no ID */
        "C1 05 60 01 00 84 01",    /* attribute first, then truncated */
        "C1 06 84 01 01 60 01",    /* truncated attribute */
        "C1 22 84 01 01 60 01 00", /* structure longer than input */
        "C1 06 84 01 01 4B 02 13", /* 4B of 2 bytes */
        "C1 02 84 00",             /* empty ID */
        "C1 17 84 15 000102030405060708090A0B0C0D0E0F1011121314", /* 21-byte ID */
        "C3 07 83 01 02 20 00 4A 01",                             /* empty size */
        "C1 05 60 01 00 4A 01",
        "C1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        iotsafe_object *o = NULL;
        size_t n = 0;
        iotsafe_status st;
        ck_assert_msg(parse(bad[i], &o, &n, &st) == IOTSAFE_E_MALFORMED, "accepted: %s", bad[i]);
        ck_assert_ptr_null(o);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_nonnull(strstr(st.msg, "object list"));
    }
    /* 61-byte label */
    char label[300] = "C1 42 74 3D";
    for (int i = 0; i < 61; i++)
        strcat(label, "41");
    strcat(label, "84 01 01");
    iotsafe_object *o = NULL;
    size_t n = 0;
    iotsafe_status st;
    ck_assert_int_eq(parse(label, &o, &n, &st), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(parse("", &o, &n, &st), IOTSAFE_OK);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(paging_and_lookup)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 CB 01 00 00", TV8_C1 TV8_C2 "6300");
    script_expect(s, "81 CB 01 01 00", TV8_C3 "9000");
    iotsafe_object *objs;
    size_t n;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_list_objects(c, &objs, &n, &st), IOTSAFE_OK);
    ck_assert_uint_eq(n, 3);
    free(objs);
    unsigned long before = iotsafe_card_apdu_count(c);

    const uint8_t id1 = 1, id2 = 2, id9 = 9;
    iotsafe_object o, pub;
    const iotsafe_ref by_id = {.id = &id1, .id_len = 1};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &by_id, &o, &st), IOTSAFE_OK);
    ck_assert_mem_eq(o.label, "DEVKEY", 6);
    const iotsafe_ref by_label = {.label = (const uint8_t *)"DEVCERT", .label_len = 7};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_FILE, &by_label, &o, &st), IOTSAFE_OK);
    ck_assert_uint_eq(o.id[0], 2);
    ck_assert_uint_eq(o.file_size, 600);
    const iotsafe_ref file_as_key = {.id = &id2, .id_len = 1};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &file_as_key, &o, &st),
                     IOTSAFE_E_NOT_FOUND);
    const iotsafe_ref missing = {.id = &id9, .id_len = 1};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &missing, &o, &st),
                     IOTSAFE_E_NOT_FOUND);
    ck_assert_msg(strstr(st.msg, "no private key id=09") != NULL, "%s", st.msg);
    const iotsafe_ref missing_label = {.label = (const uint8_t *)"NOPE", .label_len = 4};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PUBLIC_KEY, &missing_label, &o, &st),
                     IOTSAFE_E_NOT_FOUND);
    ck_assert_msg(strstr(st.msg, "label=NOPE") != NULL, "%s", st.msg);

    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &by_id, &o, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_find_public_for_private(c, &o, &pub, &st), IOTSAFE_OK);
    ck_assert_int_eq(pub.type, IOTSAFE_OBJ_PUBLIC_KEY);
    ck_assert_uint_eq(pub.id[0], 1);
    /* cached: no APDU for any lookup */
    ck_assert_uint_eq(iotsafe_card_apdu_count(c), before);
    script_done(s);

    /* flush: the next lookup reads the card again */
    iotsafe_card_flush_cache(c);
    script_expect(s, "81 CB 01 00 00", TV8_C2 "9000");
    ck_assert_int_eq(iotsafe_find_public_for_private(c, &o, &pub, &st), IOTSAFE_OK);
    ck_assert_uint_eq(pub.id[0], 1); /* by label */
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(list_errors)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 CB 01 00 00", "C1 05 84 01 01 60 9000");
    iotsafe_object *objs;
    size_t n;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_list_objects(c, &objs, &n, &st), IOTSAFE_E_MALFORMED);
    script_expect(s, "81 CB 01 00 00", "6A86");
    ck_assert_int_eq(iotsafe_list_objects(c, &objs, &n, &st), IOTSAFE_E_SW);
    ck_assert_msg(
        strstr(st.msg, "GET DATA (object list) in reader 'in-process card': card answered 6A86") !=
            NULL,
        "%s", st.msg);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

/* The file the READ FILE cases read: id 02. */
static const uint8_t file_id = 2;
static const iotsafe_ref file = {.id = &file_id, .id_len = 1};

/* READ FILE stops on a broken object list; only "no list on this card" falls back. */
START_TEST(read_file_list_errors_stop)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    uint8_t *data = NULL;
    size_t len = 0;
    iotsafe_status st;
    /* no READ FILE may follow any of these: the script would see an unexpected APDU */
    script_expect(s, "81 CB 01 00 00", "C1 05 84 01 01 60 9000");
    ck_assert_int_eq(iotsafe_read_file(c, &file, &data, &len, &st), IOTSAFE_E_MALFORMED);
    ck_assert_ptr_null(data);
    ck_assert_msg(strstr(st.msg, "object list") != NULL, "%s", st.msg);
    script_expect(s, "81 CB 01 00 00", "6F00");
    ck_assert_int_eq(iotsafe_read_file(c, &file, &data, &len, &st), IOTSAFE_E_SW);
    ck_assert_uint_eq(st.sw, 0x6F00);
    script_expect_err(s, "81 CB 01 00 00", IOTSAFE_E_TRANSPORT);
    ck_assert_int_eq(iotsafe_read_file(c, &file, &data, &len, &st), IOTSAFE_E_TRANSPORT);
    /* the same without a status to look at */
    script_expect(s, "81 CB 01 00 00", "6F00");
    ck_assert_int_eq(iotsafe_read_file(c, &file, &data, &len, NULL), IOTSAFE_E_SW);
    /* a file absent from a good list is not read either */
    script_expect(s, "81 CB 01 00 00", "C3 06 83 01 03 20 01 10 9000");
    ck_assert_int_eq(iotsafe_read_file(c, &file, &data, &len, &st), IOTSAFE_E_NOT_FOUND);
    ck_assert_ptr_null(data);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

static const char *const no_list_sw[] = {"6D00", "6A81", "6A86", "6A88"};

START_TEST(read_file_without_list)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    uint8_t *data = NULL;
    size_t len = 0;
    iotsafe_status st;
    script_expect(s, "81 CB 01 00 00", no_list_sw[_i]);
    /* size unknown: one full step, a short answer ends the file, DER length cuts padding */
    script_expect(s, "81 B0 00 00 03 83 01 02 00", "30 03 02 01 05 00 00 9000");
    iotsafe_rc rc = iotsafe_read_file(c, &file, &data, &len, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "%s: %s", no_list_sw[_i], st.msg);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(data, "\x30\x03\x02\x01\x05", 5);
    free(data);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(tv10_app_info)
{
    script *s = script_new();
    script_expect_open(s);
    iotsafe_card *c = script_card(s, NULL);
    script_expect(s, "81 CB 00 00 44",
                  "10 01 01 11 20 49534D2D494F5453414645000000000000000000000000000000000000000000"
                  "B1 01 04 B2 01 04 B3 01 04 B4 01 02 90 01 0F 91 02 00 07 92 01 04 93 01 01"
                  "94 01 03 B7 01 04 9000");
    iotsafe_app_info ai;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_app_info(c, &ai, &st), IOTSAFE_OK);
    ck_assert_uint_eq(ai.version, 1);
    ck_assert_uint_eq(ai.proprietary_len, 32);
    ck_assert_uint_eq(ai.max_files, 4);
    ck_assert_uint_eq(ai.max_secret_keys, 2);
    ck_assert_uint_eq(ai.functions, 0x0F);
    ck_assert_uint_eq(ai.hashes, 7);
    ck_assert_uint_eq(ai.sig_algs, 4);
    ck_assert_uint_eq(ai.key_agreement, 1);
    ck_assert_uint_eq(ai.kdf_algs, 3);
    ck_assert_uint_eq(ai.max_sessions, 4);
    script_expect(s, "81 CB 00 00 44",
                  "11 21 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20 9000");
    ck_assert_int_eq(iotsafe_get_app_info(c, &ai, &st), IOTSAFE_E_MALFORMED);
    script_done(s);
    iotsafe_card_discard(c);
    script_free(s);
}
END_TEST

START_TEST(ref_strings)
{
    char buf[2 * IOTSAFE_LABEL_MAX + 16];
    const uint8_t id[2] = {0x30, 0x34};
    const iotsafe_ref r1 = {.id = id, .id_len = 2};
    ck_assert_str_eq(iotsafe_ref_str(&r1, buf, sizeof buf), "id=3034");
    const iotsafe_ref r2 = {.label = (const uint8_t *)"DEV KEY%\n", .label_len = 9};
    ck_assert_str_eq(iotsafe_ref_str(&r2, buf, sizeof buf), "label=DEV KEY%\\x0a");
    /* an object as every message names it: kind, ID, label escaped (and cut past 63 bytes) */
    char d[IOTSAFE_OBJECT_STR_MAX];
    iotsafe_object o = {.type = IOTSAFE_OBJ_PRIVATE_KEY, .id = {0x01}, .id_len = 1};
    ck_assert_str_eq(iotsafe_object_str(&o, d, sizeof d), "private key id=01");
    memcpy(o.label, "DEVKEY", 6);
    o.label_len = 6;
    ck_assert_str_eq(iotsafe_object_str(&o, d, sizeof d), "private key id=01 (DEVKEY)");
    o.type = IOTSAFE_OBJ_PUBLIC_KEY;
    memcpy(o.label, "\x1b[2J\n\xe2\x80\xae", 8);
    o.label_len = 8;
    ck_assert_str_eq(iotsafe_object_str(&o, d, sizeof d),
                     "public key id=01 (\\x1b[2J\\x0a\\xe2\\x80\\xae)");
    o.type = IOTSAFE_OBJ_FILE;
    memset(o.label, 0x1b, IOTSAFE_LABEL_MAX);
    o.label_len = IOTSAFE_LABEL_MAX;
    ck_assert_str_eq(iotsafe_object_str(&o, d, sizeof d),
                     "file id=01 (\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b\\x1b"
                     "...(+48 bytes))");
    ck_assert_str_eq(iotsafe_object_str(NULL, d, sizeof d), "no object");
    ck_assert_uint_eq(iotsafe_hash_len(IOTSAFE_HASH_SHA384), 48);
    ck_assert_str_eq(iotsafe_hash_name(IOTSAFE_HASH_SHA512), "SHA512");
    ck_assert_str_eq(iotsafe_curve_name(iotsafe_key_type_curve(0x24)), "brainpoolP256r1");
    ck_assert_int_eq(iotsafe_key_type_curve(0x03), IOTSAFE_CURVE_NONE);
}
END_TEST

static Suite *objects_suite(void)
{
    Suite *s = suite_create("objects");
    TCase *tc = tcase_create("objects");
    tcase_add_test(tc, tv8_vector);
    tcase_add_test(tc, any_order_and_several_per_structure);
    tcase_add_test(tc, malformed_lists);
    tcase_add_test(tc, paging_and_lookup);
    tcase_add_test(tc, list_errors);
    tcase_add_test(tc, read_file_list_errors_stop);
    tcase_add_loop_test(tc, read_file_without_list, 0,
                        (int)(sizeof no_list_sw / sizeof no_list_sw[0]));
    tcase_add_test(tc, tv10_app_info);
    tcase_add_test(tc, ref_strings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(objects_suite());
}
