/* SPDX-License-Identifier: Apache-2.0 */
/* The fault=KIND option: each kind garbles exactly its answer, in the documented way. */
#include <stdio.h>
#include <string.h>

#include "simtest.h"

#define HASH "AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF"
#define R "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define S "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
#define INIT "81 2A 00 01 0D 84 01 01 A1 01 03 91 02 00 01 92 01 04"
#define UPDATE "81 2B 80 01 22 9E 20" HASH "00"
#define READ_PUB_01 "81 CD 00 00 03 85 01 01"

static void teardown(void)
{
    t_cleanup();
}

/*
 * Walk the object structures (1-byte tag, 1-byte length) of one list page.
 * Returns 1 if they tile the page exactly, 0 if the last one's length runs
 * past the end; *count gets the number of complete structures.
 */
static int list_tiles(const uint8_t *p, size_t n, size_t *count)
{
    size_t off = 0;
    *count = 0;
    while (off < n) {
        if (off + 2 > n || off + 2 + p[off + 1] > n)
            return 0;
        off += 2 + p[off + 1];
        (*count)++;
    }
    return 1;
}

START_TEST(truncated_list)
{
    uint8_t good[300], bad[300];
    size_t ng, nb, cg, cb;
    sim_applet *a = t_ready(NULL);
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", good, &ng), 0x6300);
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=truncated-list", NULL);
    /* same paging (SW and next page), but the page ends inside its last structure */
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", bad, &nb), 0x6300);
    ck_assert(list_tiles(good, ng, &cg));
    ck_assert(!list_tiles(bad, nb, &cb));
    ck_assert_uint_eq(cb, cg - 1);
    ck_assert_uint_lt(nb, ng);
    ck_assert_mem_eq(bad, good, nb); /* a prefix of the real answer: only cut, not altered */
    /* the last page is cut too */
    ck_assert_uint_eq(t_send(a, "81 CB 01 01 00", bad, &nb), 0x9000);
    ck_assert(!list_tiles(bad, nb, &cb));
    /* single-object GET DATA is left alone */
    ck_assert_uint_eq(t_send(a, "81 CB C1 00 03 84 01 01 00", bad, &nb), 0x9000);
    ck_assert(list_tiles(bad, nb, &cb));
    ck_assert_uint_eq(cb, 1);
    sim_applet_free(a);
}
END_TEST

START_TEST(truncated_list_paged)
{
    uint8_t out[300];
    size_t n, c;
    uint16_t sw;
    int pages = 0;
    sim_applet *a = t_ready("fault=truncated-list", "list-page=100", NULL);
    sw = t_send(a, "81 CB 01 00 00", out, &n);
    for (;;) {
        pages++;
        ck_assert(!list_tiles(out, n, &c));
        if (sw != 0x6300)
            break;
        sw = t_send(a, "81 CB 01 01 00", out, &n);
    }
    ck_assert_uint_eq(sw, 0x9000);
    ck_assert_int_gt(pages, 3);
    sim_applet_free(a);
}
END_TEST

START_TEST(bad_pubkey)
{
    uint8_t good[100], bad[100];
    size_t ng, nb;
    sim_applet *a = t_ready(NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, good, &ng), 0x9000);
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=bad-pubkey", NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, bad, &nb), 0x9000);
    ck_assert_uint_eq(ng, 71);
    ck_assert_uint_eq(nb, ng);
    /* 34 45 49 43 86 42: the point claims 66 bytes, 65 follow */
    ck_assert_uint_eq(good[5], 0x41);
    ck_assert_uint_eq(bad[5], 0x42);
    ck_assert_mem_eq(bad, good, 5);
    ck_assert_mem_eq(bad + 6, good + 6, ng - 6);
    /* other answers are unaffected */
    t_sw(a, INIT, 0x9000);
    t_sw(a, UPDATE, 0x9000);
    sim_applet_free(a);
}
END_TEST

START_TEST(bad_signature)
{
    sim_applet *a = t_ready("deterministic=yes", "fault=bad-signature", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "33 00 48" R S "9000"); /* 72 announced, 64 sent */
    sim_applet_free(a);
    t_cleanup();
    a = t_ready("deterministic=yes", "sig-length=1", "sig-format=der", "fault=bad-signature", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "33 50 3046022100" R "022100" S "9000");
    sim_applet_free(a);
}
END_TEST

START_TEST(short_random)
{
    uint8_t out[300];
    size_t n;
    sim_applet *a = t_ready("fault=short-random", NULL);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 08", out, &n), 0x9000);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 00", out, &n), 0x9000);
    ck_assert_uint_eq(n, 128);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 01", out, &n), 0x9000);
    ck_assert_uint_eq(n, 0);
    sim_applet_free(a);
}
END_TEST

START_TEST(several_and_none)
{
    uint8_t out[300];
    size_t n;
    sim_applet *a = t_ready("fault=bad-pubkey,short-random", NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, out, &n), 0x9000);
    ck_assert_uint_eq(out[5], 0x42);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 08", out, &n), 0x9000);
    ck_assert_uint_eq(n, 4);
    sim_applet_free(a);
    t_cleanup();
    /* a later setting replaces the set; "none" clears it */
    a = t_ready("fault=bad-pubkey short-random", "fault=none", NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, out, &n), 0x9000);
    ck_assert_uint_eq(out[5], 0x41);
    ck_assert_uint_eq(t_send(a, "81 84 00 00 08", out, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    sim_applet_free(a);
}
END_TEST

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"
#define P256_N "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"

/* A card that lies: well-formed signature answers with wrong values. */
START_TEST(signature_values)
{
    static const char *const cases[][2] = {
        {"fault=sig-r-zero", "33 00 40" ZEROS S "9000"},
        {"fault=sig-s-zero", "33 00 40" R ZEROS "9000"},
        {"fault=sig-r-order", "33 00 40" P256_N S "9000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_applet *a = t_ready("deterministic=yes", cases[i][0], NULL);
        t_expect(a, INIT, "9000");
        t_expect(a, UPDATE, cases[i][1]);
        sim_applet_free(a);
        t_cleanup();
    }
    uint8_t out[300];
    size_t n;
    sim_applet *a = t_ready("deterministic=yes", "fault=sig-short", NULL);
    t_expect(a, INIT, "9000");
    ck_assert_uint_eq(t_send(a, UPDATE, out, &n), 0x9000);
    ck_assert_uint_eq(n, 3 + 62);
    ck_assert_uint_eq(out[2], 62);
    sim_applet_free(a);
    t_cleanup();
    a = t_ready("deterministic=yes", "fault=sig-long", NULL);
    t_expect(a, INIT, "9000");
    ck_assert_uint_eq(t_send(a, UPDATE, out, &n), 0x9000);
    ck_assert_uint_eq(n, 3 + 200);
    ck_assert_uint_eq(out[1] << 8 | out[2], 200);
    sim_applet_free(a);
    t_cleanup();
    /* random r||s: right length, not the real signature */
    a = t_ready("deterministic=yes", "fault=sig-random", NULL);
    t_expect(a, INIT, "9000");
    ck_assert_uint_eq(t_send(a, UPDATE, out, &n), 0x9000);
    ck_assert_uint_eq(n, 3 + 64);
    char hex[2 * 64 + 1];
    t_hex(out + 3, 64, hex);
    ck_assert_str_ne(hex, R S);
    sim_applet_free(a);
}
END_TEST

/* Answer shapes only a broken card or reader produces, on COMPUTE SIGNATURE UPDATE. */
START_TEST(answer_shapes)
{
    uint8_t cmd[64], resp[600];
    size_t cl, rl;
    sim_applet *a = t_ready("fault=answer-257", NULL);
    t_expect(a, INIT, "9000");
    cl = t_unhex(UPDATE, cmd, sizeof cmd);
    rl = sizeof resp;
    ck_assert_int_eq(sim_applet_process(a, cmd, cl, resp, &rl), 0);
    ck_assert_uint_eq(rl, 257 + 2);
    ck_assert_uint_eq(resp[rl - 2] << 8 | resp[rl - 1], 0x9000);
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=answer-one-byte", NULL);
    t_expect(a, INIT, "9000");
    rl = sizeof resp;
    ck_assert_int_eq(sim_applet_process(a, cmd, cl, resp, &rl), 0);
    ck_assert_uint_eq(rl, 1);
    t_sw(a, INIT, 0x9000); /* other commands answer normally */
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=endless-61xx", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "6101");
    for (int i = 0; i < 40; i++)
        ck_assert_uint_eq(t_sw(a, "81 C0 00 00 01", 0x6101), 1);
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=answer-over-1k", NULL);
    t_expect(a, INIT, "9000");
    t_expect(a, UPDATE, "6100");
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(t_sw(a, "81 C0 00 00 00", 0x6100), 256);
    sim_applet_free(a);
}
END_TEST

/* ECDH results and public keys with wrong values. */
START_TEST(dh_and_pubkey_values)
{
    uint8_t out[300];
    size_t n;
    sim_applet *a = t_ready("fault=pubkey-short", NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, out, &n), 0x9000);
    ck_assert_uint_eq(n, 6 + 33);
    ck_assert_uint_eq(out[1], n - 2);
    ck_assert_uint_eq(out[5], 33);
    sim_applet_free(a);
    t_cleanup();
    uint8_t good[300];
    size_t ng;
    a = t_ready(NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, good, &ng), 0x9000);
    sim_applet_free(a);
    t_cleanup();
    a = t_ready("fault=pubkey-off-curve", NULL);
    ck_assert_uint_eq(t_send(a, READ_PUB_01, out, &n), 0x9000);
    ck_assert_uint_eq(n, ng);
    ck_assert_mem_eq(out, good, n - 1);
    ck_assert_uint_eq(out[n - 1], good[n - 1] ^ 1);
    sim_applet_free(a);
}
END_TEST

/* Offset of the value of tag 4B in one object structure (Cx LL {1-byte tag, 1-byte length}...), or 0. */
static size_t key_type_at(const uint8_t *p, size_t n)
{
    for (size_t off = 2; n >= 2 && off + 2 <= n && off + 2 + p[off + 1] <= n; off += 2 + p[off + 1])
        if (p[off] == 0x4B && p[off + 1] == 1)
            return off + 2;
    return 0;
}

/* key-type-unknown: every EC key's 4B reads 7F in GET DATA; nothing else changes. */
START_TEST(key_type_unknown)
{
    static const char *const gets[] = {"81 CB C1 00 03 84 01 01 00", "81 CB C2 00 03 85 01 06 00",
                                       "81 CB C4 00 03 86 01 08 00", "81 CB C3 00 03 83 01 02 00"};
    static const uint8_t lie[] = {0x7F, 0x7F, 0xA0,
                                  0}; /* private, public (brainpool), secret, file */
    uint8_t good[4][100], bad[4][100], lg[300], lb[300];
    size_t ng[4], nb[4], nlg, nlb;
    sim_applet *a = t_ready(NULL);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(t_send(a, gets[i], good[i], &ng[i]), 0x9000);
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", lg, &nlg), 0x6300);
    sim_applet_free(a);
    t_cleanup();

    a = t_ready("fault=key-type-unknown", NULL);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(t_send(a, gets[i], bad[i], &nb[i]), 0x9000);
        ck_assert_uint_eq(nb[i], ng[i]);
        size_t at = key_type_at(good[i], ng[i]);
        ck_assert_uint_eq(at, key_type_at(bad[i], nb[i]));
        if (lie[i] == 0) { /* a file has no key type */
            ck_assert_uint_eq(at, 0);
            ck_assert_mem_eq(bad[i], good[i], ng[i]);
            continue;
        }
        ck_assert_uint_ne(at, 0);
        ck_assert_uint_eq(bad[i][at], lie[i]);
        ck_assert_mem_eq(bad[i], good[i], at);
        ck_assert_mem_eq(bad[i] + at + 1, good[i] + at + 1, ng[i] - at - 1);
    }
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", lb, &nlb), 0x6300);
    ck_assert_uint_eq(nlb, nlg);
    ck_assert_uint_eq(key_type_at(lb, nlb), key_type_at(lg, nlg)); /* the first object: DEVKEY */
    ck_assert_uint_eq(lb[key_type_at(lb, nlb)], 0x7F);
    /* the key still signs */
    t_sw(a, INIT, 0x9000);
    t_sw(a, UPDATE, 0x9000);
    sim_applet_free(a);
}
END_TEST

/* sig-short and sig-long never start with 30, which a host reads as DER: same verdict every run. */
START_TEST(short_long_never_der)
{
    static const char *const kinds[] = {"fault=sig-short", "fault=sig-long"};
    for (size_t k = 0; k < 2; k++) {
        uint8_t out[300];
        size_t n;
        sim_applet *a = t_ready(kinds[k], NULL); /* random nonces: a new r each time */
        for (int i = 0; i < 2000; i++) {
            t_expect(a, INIT, "9000");
            ck_assert_uint_eq(t_send(a, UPDATE, out, &n), 0x9000);
            ck_assert_msg(out[3] != 0x30, "%s: signature %d starts with 30", kinds[k], i);
        }
        sim_applet_free(a);
        t_cleanup();
    }
}
END_TEST

static void expect_rejected(const char *override, const char *needle)
{
    const char *ov[] = {override};
    char err[256] = "";
    ck_assert_ptr_null(sim_applet_new(t_card_conf(), NULL, 1, ov, 1, err, sizeof err));
    ck_assert_msg(strstr(err, needle) != NULL, "'%s': error '%s' lacks '%s'", override, err,
                  needle);
}

START_TEST(bad_values)
{
    expect_rejected("fault=weird", "weird");
    expect_rejected("fault=weird", "truncated-list");
    expect_rejected("fault=bad-pubkey,nope", "nope");
    expect_rejected("fault=", "fault");
    expect_rejected("fault=,", "fault");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim-faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, truncated_list);
    tcase_add_test(tc, truncated_list_paged);
    tcase_add_test(tc, bad_pubkey);
    tcase_add_test(tc, bad_signature);
    tcase_add_test(tc, short_random);
    tcase_add_test(tc, several_and_none);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, signature_values);
    tcase_add_test(tc, answer_shapes);
    tcase_add_test(tc, dh_and_pubkey_values);
    tcase_add_test(tc, key_type_unknown);
    suite_add_tcase(s, tc);
    /* 4000 ECDSA signatures: seconds of work, more under the sanitizers than libcheck's 4 s */
    TCase *many = tcase_create("many signatures");
    tcase_add_checked_fixture(many, NULL, teardown);
    tcase_set_timeout(many, 120);
    tcase_add_test(many, short_long_never_der);
    suite_add_tcase(s, many);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
