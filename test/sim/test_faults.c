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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return t_run(suite());
}
