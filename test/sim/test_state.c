/* SPDX-License-Identifier: Apache-2.0 */
/* Provisioning parser, state file persistence and volatile keys. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "simtest.h"

#define QX "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
#define QY "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"

static void teardown(void)
{
    t_cleanup();
}

static const void *has(const uint8_t *p, size_t n, const void *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(p + i, needle, len) == 0)
            return p + i;
    return NULL;
}

static void select_applet(sim_applet *a)
{
    t_sw(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", 0x9000);
}

static void read_pub(sim_applet *a, const char *id, uint8_t out[71])
{
    char cmd[64];
    size_t n;
    snprintf(cmd, sizeof cmd, "81 CD 00 00 03 85 01 %s", id);
    ck_assert_uint_eq(t_send(a, cmd, out, &n), 0x9000);
    ck_assert_uint_eq(n, 71);
}

START_TEST(generated_key_survives_restart)
{
    char state[512];
    snprintf(state, sizeof state, "%s/card.state", t_dir());
    sim_applet *a = t_new_state(t_card_conf(), state, 0, NULL); /* missing: provision */
    select_applet(a);
    uint8_t before[71], gen[200], after[71], bp[71];
    size_t n;
    read_pub(a, "02", before);
    read_pub(a, "06", bp);
    ck_assert_uint_eq(t_send(a, "81 B9 00 00 03 84 01 02", gen, &n), 0x9000);
    read_pub(a, "02", after);
    ck_assert(memcmp(before, after, 71) != 0);
    ck_assert(memcmp(gen + 6, after, 71) == 0);
    /* the peer slot filled by PUT PUBLIC KEY persists too */
    t_sw(a, "81 24 00 00 03 85 01 05", 0x9000);
    t_sw(a, "81 D8 80 00 47 34 45 49 43 86 41 04 " QX QY, 0x9000);
    sim_applet_free(a);

    struct stat st;
    ck_assert_int_eq(stat(state, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600); /* holds private keys */

    a = t_new_state(t_card_conf(), state, 0, NULL);
    select_applet(a);
    uint8_t again[71], bp2[71], peer[71];
    read_pub(a, "02", again);
    read_pub(a, "06", bp2);
    read_pub(a, "05", peer);
    ck_assert(memcmp(after, again, 71) == 0);
    ck_assert(memcmp(bp, bp2, 71) == 0); /* provisioned "generate" keys are kept as well */
    ck_assert(memcmp(peer + 7, "\x60\xFE\xD4\xBA", 4) == 0);
    /* the restored private key still signs for the restored public key */
    t_sw(a, "81 2A 00 01 0D 84 01 02 A1 01 03 91 02 00 01 92 01 04", 0x9000);
    uint8_t sig[100];
    ck_assert_uint_eq(
        t_send(
            a,
            "81 2B 80 01 22 9E 20 AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF",
            sig, &n),
        0x9000);
    char cmd[400], hs[140];
    t_hex(sig + 3, 64, hs);
    t_sw(a, "81 2C 00 02 0D 85 01 02 A1 01 03 91 02 00 01 92 01 04", 0x9000);
    snprintf(
        cmd, sizeof cmd,
        "81 2D 80 02 65 9E 20 AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF 33 00 40 %s",
        hs);
    t_sw(a, cmd, 0x9000);
    sim_applet_free(a);

    /* --fresh re-provisions: the peer slot is empty again, GENKEY is a new key */
    a = t_new_state(t_card_conf(), state, 1, NULL);
    select_applet(a);
    t_sw(a, "81 CD 00 00 03 85 01 05", 0x6985);
    read_pub(a, "02", again);
    ck_assert(memcmp(after, again, 71) != 0);
    sim_applet_free(a);
}
END_TEST

START_TEST(state_file_errors)
{
    char err[512];
    const char *bad[] = {
        "[private-key]\nid = 01\n", /* missing fields */
        "[thing]\n",                /* unknown section */
        "[file]\nid = 01\naccess = 01\nstate = 01\nusage = 01\nvalue = 0Z\n",
        "[public-key]\nid = 01\naccess = 01\nstate = 01\ntype = 13\nfunctions = 01\nusage = 01\n"
        "sig-algs = 04\nhashes = 0001\nka-algs = 00\nvalue = 04" QX "00" QY "\n", /* bad point */
        "id = 01\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *state = t_write("bad.state", bad[i]);
        ck_assert_ptr_null(sim_applet_new(t_card_conf(), state, 0, NULL, 0, err, sizeof err));
        ck_assert_msg(strstr(err, "bad.state:") != NULL, "case %zu: %s", i, err);
    }
    /* a state file round-trips through the parser */
    sim_applet *a = t_new(t_card_conf(), NULL);
    sim_applet_free(a);
    char path[512];
    snprintf(path, sizeof path, "%s/state", t_dir());
    a = t_new_state(t_card_conf(), path, 0, NULL);
    select_applet(a);
    uint8_t pub[71];
    read_pub(a, "01", pub);
    ck_assert(memcmp(pub + 7, "\x60\xFE\xD4\xBA", 4) == 0);
    sim_applet_free(a);
}
END_TEST

START_TEST(volatile_keys)
{
    const char *conf = t_write(
        "v.conf",
        "[keypair EPH]\nprivate-id = 04\npublic-id = 04\nfunctions = key-agreement, keygen\n"
        "key = generate\nvolatile = yes\n"
        "[keypair EPH2]\nprivate-id = 06\npublic-id = 06\ncurve = brainpoolP256r1\nfunctions = sign\n"
        "key = generate\nvolatile = yes\n"
        "[public-key PEER]\nid = 05\nvalue = 04" QX QY "\n");
    char state[512];
    snprintf(state, sizeof state, "%s/v.state", t_dir());
    sim_applet *a = t_new_state(conf, state, 1, NULL);
    select_applet(a);
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 CB C1 00 03 84 01 04", out, &n), 0x9000);
    ck_assert(has(out, n, "\x4B\x01\x14", 3) != NULL); /* volatile P-256 */
    ck_assert_uint_eq(t_send(a, "81 CB C1 00 03 84 01 06", out, &n), 0x9000);
    ck_assert(has(out, n, "\x4B\x01\x24", 3) != NULL); /* volatile brainpool */
    t_sw(a, "81 46 00 00 06 84 01 04 85 01 05", 0x9000);
    sim_applet_power(a, SIM_RESET);
    select_applet(a);
    t_sw(a, "81 46 00 00 06 84 01 04 85 01 05", 0x6985);
    t_sw(a, "81 CD 00 00 03 85 01 04", 0x6985);
    ck_assert_uint_eq(t_send(a, "81 CB C1 00 03 84 01 04", out, &n), 0x9000);
    ck_assert(has(out, n, "\x4A\x01\x00", 3) != NULL); /* state: empty */
    t_sw(a, "81 2A 00 01 0D 84 01 06 A1 01 03 91 02 00 01 92 01 04", 0x6985);
    /* regenerate the ephemeral pair and use it again */
    t_sw(a, "81 B9 00 00 03 84 01 04", 0x9000);
    t_sw(a, "81 46 00 00 06 84 01 04 85 01 05", 0x9000);
    sim_applet_free(a);
    /* a restart is a power cycle: volatile keys come back empty */
    a = t_new_state(conf, state, 0, NULL);
    select_applet(a);
    t_sw(a, "81 46 00 00 06 84 01 04 85 01 05", 0x6985);
    sim_applet_free(a);
}
END_TEST

START_TEST(pem_key_and_labels)
{
    char conf[1024];
    snprintf(conf, sizeof conf,
             "# comment\n; another\n[applet]\n  version = 2  \n\n"
             "[keypair A key with spaces]\nprivate-id = 0A0B\npublic-id = 3034\nkey = %s\n",
             t_data("devkey-soft.pem"));
    sim_applet *a = t_new(t_write("p.conf", conf), NULL);
    select_applet(a);
    t_expect(a, "81 CD 00 00 13 75 11 41206B6579207769746820737061636573 00",
             "34 45 49 43 86 41 04" QX QY "9000");
    t_expect(a, "81 CD 00 00 04 85 02 30 34", "34 45 49 43 86 41 04" QX QY "9000");
    uint8_t out[100];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 CB 00 00 00", out, &n), 0x9000);
    ck_assert_uint_eq(out[2], 2);
    sim_applet_free(a);
}
END_TEST

/* Each bad provisioning text must fail with "FILE:LINE:" naming the offending line. */
START_TEST(provisioning_errors)
{
    static const struct {
        const char *text;
        int line;
        const char *what;
    } cases[] = {
        {"[applet]\ncla = maybe\n", 2, "maybe"},
        {"[applet]\nnosuch = 1\n", 2, "nosuch"},
        {"[applet]\n[applet]\n", 2, "second"},
        {"[gizmo X]\n", 1, "gizmo"},
        {"key = 1\n", 1, "outside"},
        {"[file F\n", 1, "]"},
        {"[file F]\nid\n", 2, "key = value"},
        {"[file F]\nid =\n", 2, "empty"},
        {"[file F]\nid = 01\nid = 02\ndata = 00\n", 3, "duplicate"},
        {"[file F]\nid = 0G\ndata = 00\n", 2, "hex"},
        {"[file F]\nid = 01\n", 1, "content"},
        {"[file F]\nid = 01\ncontent = /nonexistent/x.pem\n", 3, "cannot read"},
        {"[file F]\nid = 01\ndata = 00\ncolour = red\n", 4, "colour"},
        {"[file F]\nid = 01\ndata = 00\n[file G]\nid = 01\ndata = 00\n", 4, "duplicate"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\n", 1, "key"},
        {"[keypair]\nprivate-id = 01\npublic-id = 01\nkey = generate\n", 1, "label"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\ncurve = P-384\nkey = generate\n", 4,
         "P-384"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nkey = 0000000000000000000000000000000000000000000000000000000000000000\n",
         4, "range"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nkey = ABCD\n", 4, "32 bytes"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nkey = nokey.pem\n", 4, "nokey.pem"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nfunctions = sign, fly\nkey = generate\n", 4,
         "fly"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nhashes = md5\nkey = generate\n", 4, "md5"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nvolatile = perhaps\nkey = generate\n", 4,
         "yes or no"},
        {"[keypair K]\nprivate-id = 01\npublic-id = 01\nusage = tls11\nkey = generate\n", 4,
         "tls11"},
        {"[public-key P]\nid = 05\nvalue = 0401\n", 3, "point"},
        {"[secret S]\nid = 08\nvalue = \n", 3, "empty"},
        {"[secret S]\nid = 08\n", 1, "value"},
        {"[keypair LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL]\n"
         "private-id = 01\npublic-id = 01\nkey = generate\n",
         1, "label"},
        {"[applet]\nmax-files = 1\n[file A]\nid = 01\ndata = 00\n[file B]\nid = 02\ndata = 00\n", 0,
         "max-files"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512], want[64];
        const char *path = t_write("bad.conf", cases[i].text);
        sim_applet *a = sim_applet_new(path, NULL, 1, NULL, 0, err, sizeof err);
        ck_assert_msg(a == NULL, "case %zu accepted", i);
        if (cases[i].line)
            snprintf(want, sizeof want, "bad.conf:%d:", cases[i].line);
        else
            snprintf(want, sizeof want, "bad.conf:");
        ck_assert_msg(strstr(err, want) != NULL, "case %zu: '%s' lacks '%s'", i, err, want);
        ck_assert_msg(strstr(err, cases[i].what) != NULL, "case %zu: '%s' lacks '%s'", i, err,
                      cases[i].what);
    }
    char err[256];
    ck_assert_ptr_null(sim_applet_new("/nonexistent.conf", NULL, 1, NULL, 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.conf"));
    /* binary junk */
    const char *junk = t_write("junk.conf", "[applet]\n\x01\x02\x03\n");
    ck_assert_ptr_null(sim_applet_new(junk, NULL, 1, NULL, 0, err, sizeof err));
}
END_TEST

START_TEST(demo_card_parses)
{
    sim_applet *a = t_new(t_data("../../conf/demo-card.conf"), NULL);
    select_applet(a);
    uint8_t out[300];
    size_t n;
    ck_assert_uint_eq(t_send(a, "81 CB 01 00 00", out, &n), 0x9000);
    ck_assert(has(out, n, "CLIENT", 6) != NULL);
    t_sw(a, "81 B9 00 00 03 84 01 01", 0x9000);
    t_sw(a, "81 B9 00 00 03 84 01 04", 0x9000);
    sim_applet_free(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim-state");
    TCase *tc = tcase_create("state");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, generated_key_survives_restart);
    tcase_add_test(tc, state_file_errors);
    tcase_add_test(tc, volatile_keys);
    tcase_add_test(tc, pem_key_and_labels);
    tcase_add_test(tc, provisioning_errors);
    tcase_add_test(tc, demo_card_parses);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
