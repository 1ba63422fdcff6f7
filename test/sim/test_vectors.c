/* SPDX-License-Identifier: Apache-2.0 */
/* The protocol notes' test vectors TV-1..TV-11, byte for byte where the vector is exact. */
#include <string.h>

#include <openssl/evp.h>

#include "simtest.h"

#define HASH "AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF"
#define R "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define S "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
#define QX "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
#define QY "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
#define PX "984225585D2285C138033D6140E3CEF8B91859704E53C313F8B636BA4F967649"
#define PY "9734144F46FD19A767A545287C4396B97B69DD38FAAEA8981ADC1A4FED9B401E"
#define Z "707F5ECC0FF09A6CB9AD42715A8BD5552E590165D99542E5F5A66D827F601AE1"

static void teardown(void)
{
    t_cleanup();
}

START_TEST(tv1_open_select)
{
    sim_applet *a = t_new(t_card_conf(), NULL);
    t_expect(a, "00 70 00 00 01", "01 90 00");
    t_expect(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", "90 00");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv2_sign_mode03_rfc6979)
{
    sim_applet *a = t_ready("deterministic=yes", NULL);
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2B 80 01 22 9E 20" HASH "00", "33 00 40" R S "9000");
    t_expect(a, "81 2A 01 01", "9000");
    t_expect(a, "81 2A 01 01 00", "9000"); /* AT+CSIM 5-byte form of the close */
    sim_applet_free(a);
}
END_TEST

START_TEST(tv2_der_form_and_steady_state)
{
    sim_applet *a = t_ready("deterministic=yes", "sig-format=der", NULL);
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2B 80 01 22 9E 20" HASH "00", "33 00 48 3046022100" R "022100" S "9000");
    /* steady state: INIT again on the same session (replace policy), UPDATE: 2 APDUs */
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2B 80 01 22 9E 20" HASH "00", "33 00 48 3046022100" R "022100" S "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv3_t0_get_response)
{
    sim_applet *a = t_ready("deterministic=yes", "t0=yes", NULL);
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2B 80 01 22 9E 20" HASH "00", "6143");
    t_expect(a, "81 C0 00 00 43", "330040" R S "9000");
    t_expect(a, "81 C0 00 00 43", "6985"); /* nothing pending any more */
    sim_applet_free(a);
}
END_TEST

START_TEST(tv4_read_public_key)
{
    sim_applet *a = t_ready(NULL);
    t_expect(a, "81 CD 00 00 03 85 01 01 00", "34 45 49 43 86 41 04" QX QY "9000");
    t_expect(a, "81 CD 00 00 03 85 01 01", "34 45 49 43 86 41 04" QX QY "9000"); /* no Le */
    t_expect(a, "81 CD 00 00 08 75 06 444556 4B4559 00", "34 45 49 43 86 41 04" QX QY "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv5_verify)
{
    sim_applet *a = t_ready(NULL);
    t_expect(a, "81 2C 00 02 0D 85 01 01 A1 01 03 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2D 80 02 65 9E 20" HASH "33 00 40" R S, "9000");
    t_expect(a,
             "81 2D 80 02 65 9E 20" HASH "33 00 40" R
             "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA9",
             "6D01");
    /* 1-byte length form and DER value are accepted too */
    t_expect(a, "81 2D 80 02 64 9E 20" HASH "33 40" R S, "9000");
    t_expect(a, "81 2D 80 02 6C 9E 20" HASH "33 48 3046022100" R "022100" S, "9000");
    t_expect(a, "81 2C 01 02", "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv6_put_key_and_dh)
{
    sim_applet *a = t_ready(NULL);
    t_expect(a, "81 46 00 00 06 84 01 04 85 01 05 00", "6985");
    t_expect(a, "81 24 00 03 03 85 01 05", "9000");
    t_expect(a, "81 D8 80 03 47 34 45 49 43 86 41 04" PX PY, "9000");
    t_expect(a, "81 24 01 03", "9000");
    t_expect(a, "81 46 00 00 06 84 01 04 85 01 05 00", Z "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv7_hkdf_extract)
{
    sim_applet *a = t_ready(NULL);
    t_expect(a,
             "81 4A 00 00 48 D1 20" Z
             "D5 20 0000000000000000000000000000000000000000000000000000000000000000 91 02 00 01",
             "7496380BEFB6780ED77C65067A77C92C0B3D0400D94C32CF0F9310336C71DDFE 9000");
    sim_applet_free(a);
}
END_TEST

/* TV-8 uses its own fixture: DEVKEY with SHA-256 only and a 600-byte file DEVCERT. */
START_TEST(tv8_object_list)
{
    char conf[4096], data[1201];
    for (int i = 0; i < 600; i++)
        snprintf(data + 2 * i, 3, "%02X", i & 0xFF);
    snprintf(
        conf, sizeof conf,
        "[keypair DEVKEY]\nprivate-id = 01\npublic-id = 01\nfunctions = sign\nhashes = sha256\n"
        "key = C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721\n"
        "[file DEVCERT]\nid = 02\nusage = x509\ndata = %s\n",
        data);
    sim_applet *a = t_new(t_write("tv8.conf", conf), NULL);
    t_expect(a, "00 70 00 00 01", "01 9000");
    t_expect(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", "9000");
    t_expect(
        a, "81 CB 01 00 00",
        "C1 21 74 06 444556 4B4559 84 01 01 60 01 00 4A 01 01 4B 01 13 4E 01 01 61 01 01 92 01 04 91 02 00 01"
        "C2 21 75 06 444556 4B4559 85 01 01 60 01 01 4A 01 01 4B 01 13 4E 01 01 61 01 01 92 01 04 91 02 00 01"
        "C3 19 73 07 44455643455254 83 01 02 60 01 01 4A 01 01 21 01 02 20 02 02 58 9000");
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 B0 00 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 256);
    ck_assert_uint_eq(out[255], 0xFF);
    ck_assert_uint_eq(t_send(a, "81 B0 01 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 256);
    ck_assert_uint_eq(t_send(a, "81 B0 02 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 88);
    ck_assert_uint_eq(out[87], (599 & 0xFF));
    t_expect(a, "81 B0 02 58 03 83 01 02 00", "6A86");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv9_prf_mode00)
{
    sim_applet *a = t_ready(NULL);
    t_expect(
        a,
        "81 48 00 00 5D D1 20 C0485B054863F6DFA458789768B9035C6CACB160DD1A01834811F5783309DB81"
        " D2 36 657874656E646564206D617374657220736563726574"
        " CE15B44D68440B652624244DB8D2FB7DD601C759E9EB627FB10529AB0DB76049 D3 01 30 00",
        "A1F02A766DA04C8FD83A40E358267528F8D815C48E3DC353D55FE3861C350622C78B48FE6F49F6E13E1B6B175CFE59FB 9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(tv10_application_info)
{
    const char *conf = t_write(
        "tv10.conf", "[applet]\nmax-files = 4\nmax-private-keys = 4\nmax-public-keys = 4\n"
                     "max-secret-keys = 2\nmax-sessions = 4\n"
                     "proprietary-id = IOTSAFE-TEST-0123456789ABCDEFGHI\n");
    sim_applet *a = t_new(conf, NULL);
    t_expect(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", "9000"); /* implicit channel open */
    t_expect(
        a, "81 CB 00 00 44",
        "10 01 01 11 20 494F54534146452D544553542D30313233343536373839414243444546474849"
        "B1 01 04 B2 01 04 B3 01 04 B4 01 02 90 01 0F 91 02 00 07 92 01 04 93 01 01 94 01 03 B7 01 04 9000");
    t_expect(a, "81 CB 00 00 20", "6C44"); /* exact Le that does not match */
    sim_applet_free(a);
}
END_TEST

START_TEST(tv11_get_random)
{
    sim_applet *a = t_ready(NULL);
    uint8_t out[300], out2[300];
    size_t n, n2;
    ck_assert_uint_eq(t_send(a, "81 84 00 00 08", out, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 256);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 00", out2, &n2), 0x9000);
    ck_assert(memcmp(out, out2, 256) != 0);
    sim_applet_free(a);
}
END_TEST

/* TV-2's signature with SHA-256 through modes 01 (card hashes "sample") and 02 (IV + last block). */
START_TEST(sign_modes_01_02)
{
    sim_applet *a = t_ready("deterministic=yes", NULL);
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 01 91 02 00 01 92 01 04", "9000");
    t_expect(a, "81 2B 80 01 08 9B 06 73616D706C65 00", "33 00 40" R S "9000");
    /* multi-block: THM style (one 9B with the full BER length, untagged continuation) */
    t_expect(a, "81 2B 00 01 05 9B 06 73616D", "9000");
    t_expect(a, "81 2B 80 01 03 706C65 00", "33 00 40" R S "9000");
    /* THP style: every block re-tagged */
    t_expect(a, "81 2B 00 01 04 9B 02 7361", "9000");
    t_expect(a, "81 2B 80 01 06 9B 04 6D706C65 00", "33 00 40" R S "9000");
    /* mode 02: nothing hashed yet, chaining value = SHA-256 IV */
    t_expect(a, "81 2A 00 01 0D 84 01 01 A1 01 02 91 02 00 01 92 01 04", "9000");
    t_expect(a,
             "81 2B 80 01 30 9A 06 73616D706C65"
             " 9C 20 6A09E667BB67AE853C6EF372A54FF53A510E527F9B05688C1F83D9AB5BE0CD19"
             " 9D 04 00000000 00",
             "33 00 40" R S "9000");
    sim_applet_free(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim-vectors");
    TCase *tc = tcase_create("tv");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, tv1_open_select);
    tcase_add_test(tc, tv2_sign_mode03_rfc6979);
    tcase_add_test(tc, tv2_der_form_and_steady_state);
    tcase_add_test(tc, tv3_t0_get_response);
    tcase_add_test(tc, tv4_read_public_key);
    tcase_add_test(tc, tv5_verify);
    tcase_add_test(tc, tv6_put_key_and_dh);
    tcase_add_test(tc, tv7_hkdf_extract);
    tcase_add_test(tc, tv8_object_list);
    tcase_add_test(tc, tv9_prf_mode00);
    tcase_add_test(tc, tv10_application_info);
    tcase_add_test(tc, tv11_get_random);
    tcase_add_test(tc, sign_modes_01_02);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
