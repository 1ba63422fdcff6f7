/* SPDX-License-Identifier: Apache-2.0 */
/* Every quirk switch of the simulator, on and off. */
#include <stdio.h>
#include <string.h>

#include "now.h"
#include "simtest.h"

#define HASH "AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF"
#define R "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define S "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
#define INIT "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04"
#define UPDATE "81 2B 80 01 22 9E 20" HASH "00"

static void teardown(void)
{
    t_cleanup();
}

/* Size of DEVCERT from GET DATA C3 (tag 20, big-endian): the test PKI may be regenerated. */
static size_t devcert_size(sim_applet *a)
{
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 CB C3 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_ge(n, 4);
    ck_assert_uint_eq(out[n - 4], 0x20);
    return (size_t)out[n - 2] << 8 | out[n - 1];
}

static void offset_cmd(char *cmd, size_t cap, size_t off, const char *le)
{
    snprintf(cmd, cap, "81 B0 %02X %02X 03 83 01 02 %s", (unsigned)(off >> 8),
             (unsigned)(off & 0xFF), le);
}

START_TEST(cla_modes)
{
    sim_applet *a = t_ready("cla=proprietary", NULL);
    t_sw(a, "01 CB 00 00 00", 0x6E00);
    t_sw(a, "81 CB 00 00 00", 0x9000);
    t_sw(a, "01 84 00 00 08", 0x6E00);
    sim_applet_free(a);
    t_cleanup();
    a = t_ready("cla=interindustry", NULL);
    t_sw(a, "81 CB 00 00 00", 0x6E00);
    t_sw(a, "01 CB 00 00 00", 0x9000);
    sim_applet_free(a);
    t_cleanup();
    a = t_ready(NULL); /* any */
    t_sw(a, "81 CB 00 00 00", 0x9000);
    t_sw(a, "01 CB 00 00 00", 0x9000);
    /* SELECT and MANAGE CHANNEL are ISO commands: interindustry class only */
    t_sw(a, "81 A4 04 00 07 A0 00 00 05 59 00 10", 0x6E00);
    t_sw(a, "80 70 00 00 01", 0x6E00);
    /* unknown class bytes */
    t_sw(a, "A0 CB 00 00 00", 0x6E00);
    t_sw(a, "0C CB 00 00 00", 0x6E00);
    sim_applet_free(a);
}
END_TEST

START_TEST(sig_length_one_byte)
{
    sim_applet *a = t_ready("deterministic=yes", "sig-length=1", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "33 40" R S "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(sig_der_one_byte)
{
    sim_applet *a = t_ready("deterministic=yes", "sig-length=1", "sig-format=der", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "33 48 3046022100" R "022100" S "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(t0_partial_get_response)
{
    sim_applet *a = t_ready("t0=yes", NULL);
    t_expect(a, "81 CD 00 00 03 85 01 01", "6147");
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 C0 00 00 10", out, &n), 0x6137); /* 16 of 71, 55 left */
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(out[0], 0x34);
    t_sw(a, "81 C0 00 00 40", 0x6C37);                               /* too long: right Le */
    ck_assert_uint_eq(t_send(a, "01 C0 00 00 37", out, &n), 0x9000); /* 0N works too */
    ck_assert_uint_eq(n, 0x37);
    /* case 2 commands answer directly, as on T=0 with a correct P3 */
    ck_assert_uint_eq(t_send(a, "81 84 00 00 08", out, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    /* another command drops a pending answer */
    t_expect(a, "81 CD 00 00 03 85 01 01", "6147");
    t_sw(a, "81 84 00 00 04", 0x9000);
    t_sw(a, "81 C0 00 00 00", 0x6985);
    sim_applet_free(a);
}
END_TEST

START_TEST(session_policy)
{
    sim_applet *a = t_ready("session-policy=strict", NULL);
    t_sw(a, INIT, 0x9000);
    t_sw(a, INIT, 0x6985);
    t_sw(a, "81 2A 01 01", 0x9000);
    t_sw(a, INIT, 0x9000);
    t_sw(a, UPDATE, 0x9000);
    t_sw(a, INIT, 0x6985); /* the session stays open after a signature */
    sim_applet_free(a);
    t_cleanup();
    a = t_ready("session-policy=replace", NULL);
    t_sw(a, INIT, 0x9000);
    t_sw(a, INIT, 0x9000);
    t_sw(a, UPDATE, 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(read_file_pad_and_bad_offset)
{
    sim_applet *a = t_ready("read-file-pad=yes", "read-file-bad-offset=6981", NULL);
    uint8_t out[300], tail[16];
    size_t n, tn, size = devcert_size(a), rest = size - 256;
    char cmd[64];
    ck_assert_uint_gt(size, 256);
    ck_assert_uint_lt(size, 512);
    /* second chunk: the rest of the file, then zeros up to Ne = 256 */
    ck_assert_uint_eq(t_send(a, "81 B0 01 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 256);
    offset_cmd(cmd, sizeof cmd, size - 8, "08");
    ck_assert_uint_eq(t_send(a, cmd, tail, &tn), 0x9000);
    ck_assert_uint_eq(tn, 8);
    ck_assert(memcmp(out + rest - 8, tail, 8) == 0);
    for (size_t i = rest; i < 256; i++)
        ck_assert_uint_eq(out[i], 0);
    ck_assert_uint_eq(t_send(a, "81 B0 01 00 03 83 01 02 10", out, &n), 0x9000);
    ck_assert_uint_eq(n, 16);
    offset_cmd(cmd, sizeof cmd, size, "00");
    t_sw(a, cmd, 0x6981);
    sim_applet_free(a);
    t_cleanup();
    a = t_ready(NULL);
    ck_assert_uint_eq(t_send(a, "81 B0 01 00 03 83 01 02 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, rest);
    ck_assert_uint_eq(t_send(a, "81 B0 01 00 03 83 01 02", out, &n), 0x9000); /* no Le = 256 */
    ck_assert_uint_eq(n, rest);
    ck_assert_uint_eq(t_send(a, "81 B0 00 10 03 83 01 02 32", out, &n), 0x9000); /* Le 50 */
    ck_assert_uint_eq(n, 50);
    t_sw(a, cmd, 0x6A86);
    t_sw(a, "81 B0 FF FF 03 83 01 02 00", 0x6A86);
    /* by label */
    ck_assert_uint_eq(t_send(a, "81 B0 00 00 08 73 06 434143455254 00", out, &n), 0x9000);
    ck_assert_uint_eq(out[0], 0x30);
    sim_applet_free(a);
}
END_TEST

START_TEST(list_paging)
{
    sim_applet *a = t_ready("list-page=100", NULL);
    uint8_t out[300], all[2048];
    size_t n, total = 0;
    uint16_t sw = t_send(a, "81 CB 01 00 00", out, &n);
    int pages = 1;
    ck_assert_uint_eq(sw, 0x6300);
    ck_assert_uint_le(n, 100);
    memcpy(all, out, n);
    total = n;
    while (sw == 0x6300) {
        sw = t_send(a, "81 CB 01 01 00", out, &n);
        ck_assert(sw == 0x6300 || sw == 0x9000);
        ck_assert_uint_le(n, 100);
        ck_assert_uint_gt(n, 0);
        memcpy(all + total, out, n);
        total += n;
        pages++;
    }
    ck_assert_int_gt(pages, 3);
    /* each page holds whole structures: walk them, order C1.. C2.. C4.. C3.. */
    static const uint8_t order[] = {0xC1, 0xC2, 0xC4, 0xC3};
    size_t off = 0, g = 0, count = 0;
    while (off < total) {
        while (g < 4 && all[off] != order[g])
            g++;
        ck_assert_uint_lt(g, 4);
        off += 2 + all[off + 1];
        count++;
    }
    ck_assert_uint_eq(off, total);
    ck_assert_uint_eq(count, 5 + 6 + 1 + 2); /* private, public, secret, files */
    t_sw(a, "81 CB 01 01 00", 0x6985);       /* no paging in progress */
    t_sw(a, "81 CB 01 02 00", 0x6A86);
    sim_applet_free(a);
    t_cleanup();
    /* default: up to 256 bytes per page */
    a = t_ready(NULL);
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", out, &n), 0x6300);
    ck_assert_uint_gt(n, 200);
    ck_assert_uint_eq(t_send(a, "81 CB 01 01 00", out, &n), 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(implicit_channel)
{
    sim_applet *a = t_new(t_card_conf(), "implicit-channel=no", NULL);
    t_sw(a, "02 A4 04 00 07 A0 00 00 05 59 00 10", 0x6881);
    t_sw(a, "00 70 00 02 00", 0x9000); /* open channel 2 explicitly */
    t_sw(a, "02 A4 04 00 07 A0 00 00 05 59 00 10", 0x9000);
    t_sw(a, "82 CB 00 00 00", 0x9000);
    sim_applet_free(a);
    t_cleanup();
    a = t_new(t_card_conf(), "channels=19", NULL);
    t_sw(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", 0x9000); /* WOLF style */
    t_sw(a, "81 CB 00 00 00", 0x9000);
    /* further-class CLA for channels 4-19 */
    t_sw(a, "4F A4 04 00 07 A0 00 00 05 59 00 10", 0x9000);
    t_sw(a, "CF CB 00 00 00", 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(aids)
{
    sim_applet *a = t_new(t_card_conf(), NULL);
    t_sw(a, "01 A4 04 00 07 A0 00 00 02 48 04 00", 0x9000);
    t_sw(a, "02 A4 04 00 0F A0 00 00 00 30 53 F1 24 01 77 01 01 49 53 41", 0x9000);
    t_sw(a, "03 A4 04 00 07 A0 00 00 05 59 00 11", 0x6A82);
    t_sw(a, "83 CB 00 00 00", 0x6881); /* channel 3 is not open */
    t_sw(a, "00 70 00 03 00", 0x9000);
    t_sw(a, "83 CB 00 00 00", 0x6D00); /* open, but nothing selected on it */
    sim_applet_free(a);
    t_cleanup();
    a = t_new(t_card_conf(), "aid=A0000002480400", NULL);
    t_sw(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", 0x6A82);
    t_sw(a, "01 A4 04 00 07 A0 00 00 02 48 04 00", 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(max_sessions)
{
    sim_applet *a = t_ready("max-sessions=2", NULL);
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 CB 00 00 00", out, &n), 0x9000);
    ck_assert_uint_eq(out[n - 1], 2); /* B7 */
    t_sw(a, "81 2A 00 00 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", 0x9000);
    t_sw(a, "81 2A 00 02 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", 0x9000);
    t_sw(a, "81 2A 00 03 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04", 0x6A86);
    t_sw(a, "81 2B 80 03 22 9E 20" HASH "00", 0x6A86);
    sim_applet_free(a);
}
END_TEST

START_TEST(latency)
{
    sim_applet *a = t_ready("latency-sign=300", "latency-keygen=200", "latency-default=0", NULL);
    double t = now_s();
    t_sw(a, INIT, 0x9000);
    ck_assert_double_lt(now_s() - t, 0.2);
    t = now_s();
    t_sw(a, UPDATE, 0x9000);
    ck_assert_double_ge(now_s() - t, 0.3);
    t = now_s();
    t_sw(a, "81 B9 00 00 03 84 01 02", 0x9000);
    ck_assert_double_ge(now_s() - t, 0.2);
    t = now_s();
    t_sw(a, "81 84 00 00 08", 0x9000);
    ck_assert_double_lt(now_s() - t, 0.2);
    sim_applet_free(a);
}
END_TEST

START_TEST(deterministic_off_random_k)
{
    sim_applet *a = t_ready(NULL);
    uint8_t s1[100], s2[100];
    size_t n1, n2;
    t_sw(a, INIT, 0x9000);
    ck_assert_uint_eq(t_send(a, UPDATE, s1, &n1), 0x9000);
    ck_assert_uint_eq(t_send(a, UPDATE, s2, &n2), 0x9000);
    ck_assert_uint_eq(n1, 67);
    ck_assert(memcmp(s1, s2, n1) != 0);
    /* still a valid signature: verify on the card */
    char cmd[400], hex[200];
    t_hex(s1 + 3, 64, hex);
    t_sw(a, "81 2C 00 02 0D 85 01 01 A1 01 03 91 02 00 01 92 01 04", 0x9000);
    snprintf(cmd, sizeof cmd, "81 2D 80 02 65 9E 20 %s 33 00 40 %s", HASH, hex);
    t_sw(a, cmd, 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(bad_override)
{
    const char *ov[] = {"nosuch=1"};
    char err[256];
    ck_assert_ptr_null(sim_applet_new(t_card_conf(), NULL, 1, ov, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "nosuch"));
    const char *ov2[] = {"cla=weird"};
    ck_assert_ptr_null(sim_applet_new(t_card_conf(), NULL, 1, ov2, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "weird"));
    const char *ov3[] = {"t0"};
    ck_assert_ptr_null(sim_applet_new(t_card_conf(), NULL, 1, ov3, 1, err, sizeof err));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim-quirks");
    TCase *tc = tcase_create("quirks");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, cla_modes);
    tcase_add_test(tc, sig_length_one_byte);
    tcase_add_test(tc, sig_der_one_byte);
    tcase_add_test(tc, t0_partial_get_response);
    tcase_add_test(tc, session_policy);
    tcase_add_test(tc, read_file_pad_and_bad_offset);
    tcase_add_test(tc, list_paging);
    tcase_add_test(tc, implicit_channel);
    tcase_add_test(tc, aids);
    tcase_add_test(tc, max_sessions);
    tcase_add_test(tc, latency);
    tcase_add_test(tc, deterministic_off_random_k);
    tcase_add_test(tc, bad_override);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
