/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command API against the in-process simulator core on the standard
 * test card (deterministic ECDSA): the vectors of the protocol notes §13,
 * lookups by ID and label, attribute enforcement, and each quirk switch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "applet.h"
#include "testutil.h"

#define CARD_CONF TEST_DATA_DIR "/card.conf"
#define DEVCERT TEST_DATA_DIR "/devcert.pem"

#define TV6_PX "984225585D2285C138033D6140E3CEF8B91859704E53C313F8B636BA4F967649"
#define TV6_PY "9734144F46FD19A767A545287C4396B97B69DD38FAAEA8981ADC1A4FED9B401E"
#define TV6_Z "707F5ECC0FF09A6CB9AD42715A8BD5552E590165D99542E5F5A66D827F601AE1"
#define TV7_PRK "7496380BEFB6780ED77C65067A77C92C0B3D0400D94C32CF0F9310336C71DDFE"
#define TV9_SECRET "C0485B054863F6DFA458789768B9035C6CACB160DD1A01834811F5783309DB81"
#define TV9_SEED                                                                  \
    "657874656E646564206D617374657220736563726574" /* "extended master secret" */ \
    "CE15B44D68440B652624244DB8D2FB7DD601C759E9EB627FB10529AB0DB76049"
#define TV9_OUT                                                        \
    "A1F02A766DA04C8FD83A40E358267528F8D815C48E3DC353D55FE3861C350622" \
    "C78B48FE6F49F6E13E1B6B175CFE59FB"

typedef struct simcard {
    sim_applet *applet;
    iotsafe_card *card;
} simcard;

static simcard sim_open2(const char *ov1, const char *ov2)
{
    const char *ov[3] = {"deterministic=yes", ov1, ov2};
    size_t n = 1 + (ov1 != NULL) + (ov2 != NULL && ov1 != NULL);
    char err[256];
    simcard s;
    s.applet = sim_applet_new(CARD_CONF, NULL, 1, ov, n, err, sizeof err);
    ck_assert_msg(s.applet != NULL, "simulator: %s", err);
    sim_applet_power(s.applet, SIM_POWER_ON);
    iotsafe_transport *t;
    ck_assert_int_eq(iotsafe_func_transport_new(sim_applet_process, s.applet, &t), IOTSAFE_OK);
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_card_attach(NULL, t, &s.card, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "attach: %s", st.msg);
    return s;
}

static simcard sim_open(const char *ov)
{
    return sim_open2(ov, NULL);
}

static void sim_close(simcard *s)
{
    iotsafe_card_free(s->card);
    sim_applet_free(s->applet);
}

static const uint8_t ID1 = 1, ID2 = 2, ID4 = 4, ID5 = 5, ID6 = 6, ID7 = 7, ID8 = 8;
static const iotsafe_ref DEV = {.id = &ID1, .id_len = 1};

static void tv2_sign_exact(iotsafe_card *c, const iotsafe_ref *key, const char *what)
{
    uint8_t h[32], rs[64], want[64];
    hex2bin(TV_HASH, h, sizeof h);
    hex2bin(TV_R TV_S, want, sizeof want);
    size_t rl = sizeof rs;
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_sign_digest(c, key, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "%s: %s", what, st.msg);
    ck_assert_uint_eq(rl, 64);
    ck_assert_msg(memcmp(rs, want, 64) == 0, "%s: r||s differs from TV-2", what);
}

START_TEST(tv2_sign_two_apdus_and_tv5_verify)
{
    simcard s = sim_open(NULL);
    unsigned long before = iotsafe_card_apdu_count(s.card);
    tv2_sign_exact(s.card, &DEV, "by id");
    ck_assert_uint_eq(iotsafe_card_apdu_count(s.card) - before, 2);
    before = iotsafe_card_apdu_count(s.card);
    tv2_sign_exact(s.card, &DEV, "steady state");
    ck_assert_uint_eq(iotsafe_card_apdu_count(s.card) - before, 2);
    const iotsafe_ref lab = {.label = (const uint8_t *)"DEVKEY", .label_len = 6};
    tv2_sign_exact(s.card, &lab, "by label");

    uint8_t h[32], rs[64];
    hex2bin(TV_HASH, h, sizeof h);
    hex2bin(TV_R TV_S, rs, sizeof rs);
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_verify_digest(s.card, &DEV, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_OK);
    rs[63] ^= 1;
    ck_assert_int_eq(iotsafe_verify_digest(s.card, &DEV, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_E_SIG_MISMATCH);
    /* signing still works after a verify (separate sessions) */
    tv2_sign_exact(s.card, &DEV, "after verify");

    /* full-text mode: the card hashes "sample" itself, same RFC 6979 signature */
    uint8_t want[64];
    hex2bin(TV_R TV_S, want, sizeof want);
    size_t rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_message(s.card, &DEV, IOTSAFE_HASH_SHA256,
                                          (const uint8_t *)"sample", 6, rs, &rl, &st),
                     IOTSAFE_OK);
    ck_assert_mem_eq(rs, want, 64);
    /* a long message over several UPDATE blocks verifies against its digest */
    uint8_t msg[700];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7);
    rl = sizeof rs;
    ck_assert_int_eq(
        iotsafe_sign_message(s.card, &DEV, IOTSAFE_HASH_SHA256, msg, sizeof msg, rs, &rl, &st),
        IOTSAFE_OK);
    uint8_t d[32];
    ck_assert_int_eq(EVP_Q_digest(NULL, "SHA256", NULL, msg, sizeof msg, d, NULL), 1);
    ck_assert_int_eq(iotsafe_verify_digest(s.card, &DEV, IOTSAFE_HASH_SHA256, d, 32, rs, 64, &st),
                     IOTSAFE_OK);
    sim_close(&s);
}
END_TEST

START_TEST(tv4_public_key)
{
    simcard s = sim_open(NULL);
    uint8_t pt[65], want[65];
    hex2bin("04" TV_QX TV_QY, want, sizeof want);
    size_t pl = sizeof pt;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &DEV, pt, &pl, &st), IOTSAFE_OK);
    ck_assert_uint_eq(pl, 65);
    ck_assert_mem_eq(pt, want, 65);
    unsigned long before = iotsafe_card_apdu_count(s.card);
    pl = sizeof pt;
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &DEV, pt, &pl, &st), IOTSAFE_OK);
    ck_assert_uint_eq(iotsafe_card_apdu_count(s.card), before); /* cached */
    pl = 64;
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &DEV, pt, &pl, &st), IOTSAFE_E_BUFFER);
    sim_close(&s);
}
END_TEST

START_TEST(tv6_dh_and_tv7_hkdf)
{
    simcard s = sim_open(NULL);
    const iotsafe_ref priv = {.id = &ID4, .id_len = 1}, slot = {.id = &ID5, .id_len = 1};
    uint8_t z[32], want[32], peer[65];
    size_t zl = sizeof z;
    iotsafe_status st;
    /* empty peer slot */
    ck_assert_int_eq(iotsafe_compute_dh(s.card, &priv, &slot, z, &zl, &st), IOTSAFE_E_USAGE);
    ck_assert_uint_eq(st.sw, 0x6985);
    hex2bin("04" TV6_PX TV6_PY, peer, sizeof peer);
    hex2bin(TV6_Z, want, sizeof want);
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh_with_peer(s.card, &priv, &slot, peer, 65, z, &zl, &st),
                     IOTSAFE_OK);
    ck_assert_uint_eq(zl, 32);
    ck_assert_mem_eq(z, want, 32);
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh(s.card, &priv, &slot, z, &zl, &st), IOTSAFE_OK);
    ck_assert_mem_eq(z, want, 32);
    uint8_t back[65];
    size_t bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_mem_eq(back, peer, 65);

    uint8_t salt[32] = {0}, prk[32], wprk[32];
    size_t pl = sizeof prk;
    hex2bin(TV7_PRK, wprk, sizeof wprk);
    ck_assert_int_eq(
        iotsafe_compute_hkdf_extract(s.card, IOTSAFE_HASH_SHA256, z, 32, salt, 32, prk, &pl, &st),
        IOTSAFE_OK);
    ck_assert_uint_eq(pl, 32);
    ck_assert_mem_eq(prk, wprk, 32);
    /* no salt = HashLen zeros (RFC 5869) */
    pl = sizeof prk;
    ck_assert_int_eq(
        iotsafe_compute_hkdf_extract(s.card, IOTSAFE_HASH_SHA256, z, 32, NULL, 0, prk, &pl, &st),
        IOTSAFE_OK);
    ck_assert_mem_eq(prk, wprk, 32);

    /* a sign-only key cannot do key agreement */
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh(s.card, &DEV, &slot, z, &zl, &st), IOTSAFE_E_USAGE);
    ck_assert_msg(strstr(st.msg, "COMPUTE DH on private key id=01") != NULL, "%s", st.msg);
    sim_close(&s);
}
END_TEST

/* Counts the INS bytes the card sees, to check which commands an operation sends. */
typedef struct counting {
    sim_applet *applet;
    unsigned long ins[256];
} counting;

static int counting_process(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                            size_t *resp_len)
{
    counting *k = ctx;
    if (cmd_len >= 2)
        k->ins[cmd[1]]++;
    return sim_applet_process(k->applet, cmd, cmd_len, resp, resp_len);
}

static iotsafe_card *attach_fn(iotsafe_card_fn fn, void *ctx)
{
    iotsafe_transport *t;
    ck_assert_int_eq(iotsafe_func_transport_new(fn, ctx, &t), IOTSAFE_OK);
    iotsafe_card *c;
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_card_attach(NULL, t, &c, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "attach: %s", st.msg);
    return c;
}

static sim_applet *applet_new(void)
{
    char err[256];
    const char *ov[] = {"deterministic=yes"};
    sim_applet *a = sim_applet_new(CARD_CONF, NULL, 1, ov, 1, err, sizeof err);
    ck_assert_msg(a != NULL, "simulator: %s", err);
    sim_applet_power(a, SIM_POWER_ON);
    return a;
}

static unsigned long put_apdus(const counting *k)
{
    return k->ins[0x24] + k->ins[0xD8];
}

/* The peer slot is written only when the card holds another point (NVM wear). */
START_TEST(dh_peer_written_only_when_changed)
{
    counting k;
    memset(&k, 0, sizeof k);
    k.applet = applet_new();
    iotsafe_card *a = attach_fn(counting_process, &k);
    /* a second handle on the same card plays another process sharing the SIM */
    iotsafe_card *b = attach_fn(sim_applet_process, k.applet);
    const iotsafe_ref priv = {.id = &ID4, .id_len = 1}, slot = {.id = &ID5, .id_len = 1};
    uint8_t z[32], want[32], peer[65], other[65];
    hex2bin("04" TV6_PX TV6_PY, peer, sizeof peer);
    hex2bin("04" TV_QX TV_QY, other, sizeof other);
    hex2bin(TV6_Z, want, sizeof want);
    iotsafe_status st;
    size_t zl = sizeof z;

    /* empty slot: READ PUBLIC KEY fails, so the point is written */
    ck_assert_int_eq(iotsafe_compute_dh_with_peer(a, &priv, &slot, peer, 65, z, &zl, &st),
                     IOTSAFE_OK);
    ck_assert_mem_eq(z, want, 32);
    ck_assert_uint_eq(k.ins[0xD8], 1);

    /* same peer again: read back from the card, identical, no PUT PUBLIC KEY */
    memset(k.ins, 0, sizeof k.ins);
    unsigned long before = iotsafe_card_apdu_count(a);
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh_with_peer(a, &priv, &slot, peer, 65, z, &zl, &st),
                     IOTSAFE_OK);
    ck_assert_mem_eq(z, want, 32);
    ck_assert_uint_eq(put_apdus(&k), 0);
    ck_assert_uint_eq(k.ins[0xCD], 1);
    ck_assert_uint_eq(iotsafe_card_apdu_count(a) - before, 2);

    /* another process puts its own peer in the slot: a's cache says "peer" but the
       card holds "other", so a must write again (it reads the card, not its cache) */
    ck_assert_int_eq(iotsafe_put_public_key(b, &slot, other, 65, &st), IOTSAFE_OK);
    memset(k.ins, 0, sizeof k.ins);
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh_with_peer(a, &priv, &slot, peer, 65, z, &zl, &st),
                     IOTSAFE_OK);
    ck_assert_mem_eq(z, want, 32);
    ck_assert_uint_eq(k.ins[0xD8], 1);

    /* a different peer is written */
    memset(k.ins, 0, sizeof k.ins);
    zl = sizeof z;
    ck_assert_int_eq(iotsafe_compute_dh_with_peer(a, &priv, &slot, other, 65, z, &zl, &st),
                     IOTSAFE_OK);
    ck_assert_uint_eq(k.ins[0xD8], 1);
    ck_assert(memcmp(z, want, 32) != 0);
    uint8_t back[65];
    size_t bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(a, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_mem_eq(back, other, 65);

    iotsafe_card_free(b);
    iotsafe_card_free(a);
    sim_applet_free(k.applet);
}
END_TEST

/* iotsafe_card_flush_cache drops both the object list and the public keys. */
START_TEST(flush_sees_other_handles_changes)
{
    sim_applet *applet = applet_new();
    iotsafe_card *a = attach_fn(sim_applet_process, applet);
    iotsafe_card *b = attach_fn(sim_applet_process, applet);
    const iotsafe_ref slot = {.id = &ID5, .id_len = 1};
    uint8_t peer[65], other[65], back[65];
    hex2bin("04" TV6_PX TV6_PY, peer, sizeof peer);
    hex2bin("04" TV_QX TV_QY, other, sizeof other);
    iotsafe_status st;
    iotsafe_object o;

    ck_assert_int_eq(iotsafe_put_public_key(a, &slot, peer, 65, &st), IOTSAFE_OK);
    size_t bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(a, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_find_object(a, IOTSAFE_OBJ_PUBLIC_KEY, &slot, &o, &st), IOTSAFE_OK);
    unsigned long before = iotsafe_card_apdu_count(a);
    bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(a, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_find_object(a, IOTSAFE_OBJ_PUBLIC_KEY, &slot, &o, &st), IOTSAFE_OK);
    ck_assert_uint_eq(iotsafe_card_apdu_count(a), before); /* both cached */

    ck_assert_int_eq(iotsafe_put_public_key(b, &slot, other, 65, &st), IOTSAFE_OK);
    bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(a, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_mem_eq(back, peer, 65); /* stale: a cannot know without asking */

    iotsafe_card_flush_cache(a);
    before = iotsafe_card_apdu_count(a);
    bl = sizeof back;
    ck_assert_int_eq(iotsafe_read_public_key(a, &slot, back, &bl, &st), IOTSAFE_OK);
    ck_assert_mem_eq(back, other, 65);
    ck_assert_uint_eq(iotsafe_card_apdu_count(a) - before, 1);
    before = iotsafe_card_apdu_count(a);
    ck_assert_int_eq(iotsafe_find_object(a, IOTSAFE_OBJ_PUBLIC_KEY, &slot, &o, &st), IOTSAFE_OK);
    ck_assert_uint_gt(iotsafe_card_apdu_count(a), before); /* list read again */
    iotsafe_card_flush_cache(NULL);

    iotsafe_card_free(b);
    iotsafe_card_free(a);
    sim_applet_free(applet);
}
END_TEST

struct flush_thread {
    iotsafe_card *card;
    int failures;
};

static void *flusher(void *arg)
{
    struct flush_thread *f = arg;
    for (int i = 0; i < 300; i++)
        iotsafe_card_flush_cache(f->card);
    return NULL;
}

/* Flushing from one thread while another uses the caches (run under ASan/TSan). */
START_TEST(flush_concurrent_with_use)
{
    simcard s = sim_open(NULL);
    struct flush_thread f = {s.card, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, flusher, &f), 0);
    const iotsafe_ref lab = {.label = (const uint8_t *)"DEVKEY", .label_len = 6};
    for (int i = 0; i < 100; i++) {
        uint8_t pt[65];
        size_t pl = sizeof pt;
        iotsafe_status st;
        iotsafe_object o;
        if (iotsafe_read_public_key(s.card, &lab, pt, &pl, &st) != IOTSAFE_OK ||
            iotsafe_find_object(s.card, IOTSAFE_OBJ_PRIVATE_KEY, &lab, &o, &st) != IOTSAFE_OK ||
            o.id[0] != 1)
            f.failures++;
    }
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(f.failures, 0);
    sim_close(&s);
}
END_TEST

START_TEST(tv9_prf)
{
    simcard s = sim_open(NULL);
    uint8_t secret[32], seed[80], out[48], want[48];
    hex2bin(TV9_SECRET, secret, sizeof secret);
    size_t sl = hex2bin(TV9_SEED, seed, sizeof seed);
    hex2bin(TV9_OUT, want, sizeof want);
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_compute_prf(s.card, secret, 32, NULL, seed, sl, out, 48, &st),
                     IOTSAFE_OK);
    ck_assert_mem_eq(out, want, 48);
    /* mode 01 with the card's PSK equals mode 00 on the RFC 4279 PSK pre-master:
       len || zeros || len || psk */
    uint8_t psk[68], o1[40], o0[40];
    hex2bin("0020 0000000000000000000000000000000000000000000000000000000000000000"
            "0020 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
            psk, sizeof psk);
    const iotsafe_ref pskref = {.id = &ID8, .id_len = 1};
    ck_assert_int_eq(iotsafe_compute_prf(s.card, NULL, 0, &pskref, seed, sl, o1, 40, &st),
                     IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_compute_prf(s.card, psk, 68, NULL, seed, sl, o0, 40, &st), IOTSAFE_OK);
    ck_assert_mem_eq(o1, o0, 40);
    ck_assert_int_eq(iotsafe_compute_prf(s.card, secret, 32, &pskref, seed, sl, o1, 40, &st),
                     IOTSAFE_E_INVALID_ARG);
    sim_close(&s);
}
END_TEST

START_TEST(tv10_info_tv11_random)
{
    simcard s = sim_open(NULL);
    iotsafe_app_info ai;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_get_app_info(s.card, &ai, &st), IOTSAFE_OK);
    ck_assert_uint_eq(ai.max_private_keys, 8);
    ck_assert_uint_eq(ai.max_files, 4);
    ck_assert_uint_eq(ai.max_sessions, 4);
    ck_assert(ai.functions & IOTSAFE_FN_SIGN);
    ck_assert(ai.hashes & IOTSAFE_HASH_SHA256);
    uint8_t a[300], b[300];
    ck_assert_int_eq(iotsafe_get_random(s.card, a, 8, &st), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_get_random(s.card, a, 256, &st), IOTSAFE_OK);
    unsigned long before = iotsafe_card_apdu_count(s.card);
    ck_assert_int_eq(iotsafe_get_random(s.card, a, 300, &st), IOTSAFE_OK);
    ck_assert_uint_eq(iotsafe_card_apdu_count(s.card) - before, 2);
    ck_assert_int_eq(iotsafe_get_random(s.card, b, 300, &st), IOTSAFE_OK);
    ck_assert(memcmp(a, b, 300) != 0);
    sim_close(&s);
}
END_TEST

static void check_objects(iotsafe_card *c)
{
    iotsafe_object *objs;
    size_t n;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_list_objects(c, &objs, &n, &st), IOTSAFE_OK);
    size_t priv = 0, pub = 0, files = 0, secrets = 0;
    for (size_t i = 0; i < n; i++) {
        priv += objs[i].type == IOTSAFE_OBJ_PRIVATE_KEY;
        pub += objs[i].type == IOTSAFE_OBJ_PUBLIC_KEY;
        files += objs[i].type == IOTSAFE_OBJ_FILE;
        secrets += objs[i].type == IOTSAFE_OBJ_SECRET_KEY;
    }
    free(objs);
    ck_assert_uint_eq(priv, 5);
    ck_assert_uint_eq(pub, 6);
    ck_assert_uint_eq(files, 2);
    ck_assert_uint_eq(secrets, 1);

    iotsafe_object o, p;
    const iotsafe_ref bp = {.label = (const uint8_t *)"BPKEY", .label_len = 5};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &bp, &o, &st), IOTSAFE_OK);
    ck_assert_uint_eq(o.id[0], 6);
    ck_assert_int_eq(iotsafe_key_type_curve(o.key_type), IOTSAFE_CURVE_BP256R1);
    ck_assert_int_eq(iotsafe_find_public_for_private(c, &o, &p, &st), IOTSAFE_OK);
    ck_assert_uint_eq(p.id[0], 6);
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &DEV, &o, &st), IOTSAFE_OK);
    ck_assert_mem_eq(o.label, "DEVKEY", 6);
    ck_assert(o.functions & IOTSAFE_FN_SIGN);
    const iotsafe_ref peer = {.label = (const uint8_t *)"PEER", .label_len = 4};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PUBLIC_KEY, &peer, &o, &st), IOTSAFE_OK);
    ck_assert_uint_eq(o.state, 0);
    ck_assert(o.access & IOTSAFE_ACCESS_UPDATE);
    const uint8_t nope = 0x33;
    const iotsafe_ref missing = {.id = &nope, .id_len = 1};
    ck_assert_int_eq(iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &missing, &o, &st),
                     IOTSAFE_E_NOT_FOUND);
}

static void check_devcert(iotsafe_card *c)
{
    FILE *f = fopen(DEVCERT, "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    X509_free(x);
    ck_assert_int_gt(dl, 0);
    const iotsafe_ref cert = {.label = (const uint8_t *)"DEVCERT", .label_len = 7};
    uint8_t *data;
    size_t len;
    iotsafe_status st;
    ck_assert_msg(iotsafe_read_file(c, &cert, &data, &len, &st) == IOTSAFE_OK, "%s", st.msg);
    ck_assert_uint_eq(len, (size_t)dl);
    ck_assert_mem_eq(data, der, len);
    free(data);
    OPENSSL_free(der);
}

START_TEST(objects_files_lookup)
{
    simcard s = sim_open(NULL);
    check_objects(s.card);
    check_devcert(s.card);
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    sim_close(&s);

    /* odd read steps */
    char err[256];
    const char *ov[] = {"deterministic=yes"};
    sim_applet *a = sim_applet_new(CARD_CONF, NULL, 1, ov, 1, err, sizeof err);
    ck_assert_ptr_nonnull(a);
    sim_applet_power(a, SIM_POWER_ON);
    iotsafe_transport *t;
    iotsafe_card *c;
    iotsafe_status st;
    cfg.read_chunk = 100;
    ck_assert_int_eq(iotsafe_func_transport_new(sim_applet_process, a, &t), IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_card_attach(&cfg, t, &c, &st), IOTSAFE_OK);
    check_devcert(c);
    iotsafe_card_free(c);
    sim_applet_free(a);
}
END_TEST

START_TEST(usage_and_keygen)
{
    simcard s = sim_open(NULL);
    uint8_t h[32] = {0}, rs[64];
    size_t rl = sizeof rs;
    iotsafe_status st;
    const iotsafe_ref nosign = {.id = &ID7, .id_len = 1};
    /* list first so the message carries the label */
    iotsafe_object o;
    ck_assert_int_eq(iotsafe_find_object(s.card, IOTSAFE_OBJ_PRIVATE_KEY, &nosign, &o, &st),
                     IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_sign_digest(s.card, &nosign, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st),
                     IOTSAFE_E_USAGE);
    ck_assert_msg(
        strstr(
            st.msg,
            "COMPUTE SIGNATURE on private key id=07 (NOSIGN) in reader 'in-process card': card answered "
            "6985 (conditions of use not satisfied)") != NULL,
        "%s", st.msg);
    const uint8_t nope = 0x33;
    const iotsafe_ref missing = {.id = &nope, .id_len = 1};
    rl = sizeof rs;
    ck_assert_int_eq(
        iotsafe_sign_digest(s.card, &missing, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st),
        IOTSAFE_E_NOT_FOUND);
    /* the signing key still works after those refusals */
    tv2_sign_exact(s.card, &DEV, "after refusals");

    const iotsafe_ref gen = {.id = &ID2, .id_len = 1};
    uint8_t before[65], after[65];
    size_t bl = sizeof before, al = sizeof after;
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &gen, before, &bl, &st), IOTSAFE_OK);
    iotsafe_keygen_result kr;
    ck_assert_int_eq(iotsafe_generate_key_pair(s.card, &gen, &kr, &st), IOTSAFE_OK);
    ck_assert_uint_eq(kr.point_len, 65);
    ck_assert_uint_eq(kr.priv_id_len, 1);
    ck_assert_uint_eq(kr.pub_id[0], 2);
    ck_assert(memcmp(kr.point, before, 65) != 0);
    ck_assert_int_eq(iotsafe_read_public_key(s.card, &gen, after, &al, &st), IOTSAFE_OK);
    ck_assert_mem_eq(after, kr.point, 65);
    /* a new signature verifies with the new key on the card */
    rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_digest(s.card, &gen, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st),
                     IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_verify_digest(s.card, &gen, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st),
                     IOTSAFE_OK);
    /* DEVKEY has no key generation function */
    ck_assert_int_eq(iotsafe_generate_key_pair(s.card, &DEV, &kr, &st), IOTSAFE_E_USAGE);

    /* brainpool sign + verify */
    const iotsafe_ref bp = {.id = &ID6, .id_len = 1};
    rl = sizeof rs;
    ck_assert_int_eq(iotsafe_sign_digest(s.card, &bp, IOTSAFE_HASH_SHA256, h, 32, rs, &rl, &st),
                     IOTSAFE_OK);
    ck_assert_int_eq(iotsafe_verify_digest(s.card, &bp, IOTSAFE_HASH_SHA256, h, 32, rs, rl, &st),
                     IOTSAFE_OK);
    sim_close(&s);
}
END_TEST

static const char *const quirks[][2] = {
    {"sig-length=1", NULL},
    {"sig-format=der", NULL},
    {"t0=yes", NULL},
    {"session-policy=strict", NULL},
    {"cla=interindustry", NULL},
    {"cla=proprietary", NULL},
    {"list-page=64", NULL},
    {"read-file-pad=yes", NULL},
    {"read-file-bad-offset=6981", NULL},
    {"implicit-channel=no", NULL},
    {"t0=yes", "sig-format=der"},
};

START_TEST(quirk_switches)
{
    simcard s = sim_open2(quirks[_i][0], quirks[_i][1]);
    tv2_sign_exact(s.card, &DEV, quirks[_i][0]);
    tv2_sign_exact(s.card, &DEV, quirks[_i][0]);
    check_objects(s.card);
    check_devcert(s.card);
    uint8_t h[32], rs[64];
    hex2bin(TV_HASH, h, sizeof h);
    hex2bin(TV_R TV_S, rs, sizeof rs);
    iotsafe_status st;
    ck_assert_msg(iotsafe_verify_digest(s.card, &DEV, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st) ==
                      IOTSAFE_OK,
                  "%s: %s", quirks[_i][0], st.msg);
    uint8_t r[300];
    ck_assert_int_eq(iotsafe_get_random(s.card, r, 300, &st), IOTSAFE_OK);
    tv2_sign_exact(s.card, &DEV, quirks[_i][0]);
    sim_close(&s);
}
END_TEST

/*
 * A card whose key pairs' public keys are writable, ahead of the free slots:
 * SIGNER pairs by label and ID, AGREE by label only (its public key has
 * another ID).
 */
static const char PEER_CARD[] =
    "[applet]\n"
    "aid = A0000005590010\n"
    "[keypair SIGNER]\n"
    "private-id = 01\npublic-id = 01\ncurve = P-256\n"
    "functions = sign\npublic-access = read, update\nkey = generate\n"
    "[keypair AGREE]\n"
    "private-id = 02\npublic-id = 12\ncurve = P-256\n"
    "functions = key-agreement\npublic-access = read, update\n"
    "key = generate\n"
    "[public-key RO]\n"
    "id = 03\ncurve = P-256\naccess = read\nvalue = empty\n"
    "[public-key BPSLOT]\n"
    "id = 04\ncurve = brainpoolP256r1\naccess = read, update\nvalue = empty\n"
    "[public-key PEER]\n"
    "id = 05\ncurve = P-256\naccess = read, update\nvalue = empty\n";

static void peer_slot_is(iotsafe_card *c, iotsafe_curve curve, uint8_t id, uint8_t want)
{
    iotsafe_object o;
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_find_peer_slot(c, curve, id != 0 ? &id : NULL, id != 0, &o, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "%02X: %s", id, st.msg);
    ck_assert_uint_eq(o.id_len, 1);
    ck_assert_uint_eq(o.id[0], want);
}

static void peer_slot_fails(iotsafe_card *c, iotsafe_curve curve, uint8_t id, iotsafe_rc want,
                            const char *msg)
{
    iotsafe_object o;
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_find_peer_slot(c, curve, id != 0 ? &id : NULL, id != 0, &o, &st);
    ck_assert_msg(rc == want, "%02X: %s", id, st.msg);
    ck_assert_msg(strcmp(st.msg, msg) == 0, "%02X: %s", id, st.msg);
}

#define NO_SLOT(c)                                  \
    "no public key object with update access on " c \
    " to receive the ECDH peer key on the card in reader 'in-process card' (see dh-peer-slot)"
#define CANNOT_TAKE(id, c)                 \
    "dh-peer-slot " id " cannot take a " c \
    " peer key (it needs update access, the same curve, and must not be a key pair's public key)"

/* The peer slot: never a key pair's public key, whatever its access; the configured one checked. */
START_TEST(peer_slot_choice)
{
    char path[] = "/tmp/iotsafe-peer-card-XXXXXX", err[256];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, PEER_CARD, sizeof PEER_CARD - 1), (ssize_t)(sizeof PEER_CARD - 1));
    close(fd);
    const char *ov[] = {"deterministic=yes"};
    sim_applet *a = sim_applet_new(path, NULL, 1, ov, 1, err, sizeof err);
    unlink(path);
    ck_assert_msg(a != NULL, "simulator: %s", err);
    sim_applet_power(a, SIM_POWER_ON);
    iotsafe_card *c = attach_fn(sim_applet_process, a);

    /* automatic: past SIGNER's and AGREE's writable public keys, the read-only and the BP slot */
    peer_slot_is(c, IOTSAFE_CURVE_P256, 0, 0x05);
    peer_slot_is(c, IOTSAFE_CURVE_BP256R1, 0, 0x04);
    /* configured: only a slot that fits */
    peer_slot_is(c, IOTSAFE_CURVE_P256, 0x05, 0x05);
    peer_slot_fails(c, IOTSAFE_CURVE_P256, 0x01, IOTSAFE_E_USAGE, CANNOT_TAKE("01", "prime256v1"));
    peer_slot_fails(c, IOTSAFE_CURVE_P256, 0x12, IOTSAFE_E_USAGE, CANNOT_TAKE("12", "prime256v1"));
    peer_slot_fails(c, IOTSAFE_CURVE_P256, 0x03, IOTSAFE_E_USAGE, CANNOT_TAKE("03", "prime256v1"));
    peer_slot_fails(c, IOTSAFE_CURVE_P256, 0x04, IOTSAFE_E_USAGE, CANNOT_TAKE("04", "prime256v1"));
    peer_slot_fails(c, IOTSAFE_CURVE_BP256R1, 0x05, IOTSAFE_E_USAGE,
                    CANNOT_TAKE("05", "brainpoolP256r1"));
    peer_slot_fails(c, IOTSAFE_CURVE_P256, 0x33, IOTSAFE_E_NOT_FOUND,
                    "dh-peer-slot 33: no public key object with this ID on the card in reader "
                    "'in-process card'");
    iotsafe_object o;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_find_peer_slot(c, IOTSAFE_CURVE_NONE, NULL, 0, &o, &st),
                     IOTSAFE_E_INVALID_ARG);
    uint8_t long_id[IOTSAFE_ID_MAX + 1] = {0};
    ck_assert_int_eq(
        iotsafe_find_peer_slot(c, IOTSAFE_CURVE_P256, long_id, sizeof long_id, &o, &st),
        IOTSAFE_E_INVALID_ARG);
    iotsafe_card_free(c);
    sim_applet_free(a);

    /* the standard card: PEER for P-256, nothing for brainpoolP256r1 (BPKEY's is read-only) */
    simcard s = sim_open(NULL);
    peer_slot_is(s.card, IOTSAFE_CURVE_P256, 0, 0x05);
    peer_slot_fails(s.card, IOTSAFE_CURVE_BP256R1, 0, IOTSAFE_E_NOT_FOUND,
                    NO_SLOT("brainpoolP256r1"));
    sim_close(&s);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("commands_sim");
    TCase *tc = tcase_create("commands");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, tv2_sign_two_apdus_and_tv5_verify);
    tcase_add_test(tc, tv4_public_key);
    tcase_add_test(tc, tv6_dh_and_tv7_hkdf);
    tcase_add_test(tc, dh_peer_written_only_when_changed);
    tcase_add_test(tc, flush_sees_other_handles_changes);
    tcase_add_test(tc, flush_concurrent_with_use);
    tcase_add_test(tc, tv9_prf);
    tcase_add_test(tc, tv10_info_tv11_random);
    tcase_add_test(tc, objects_files_lookup);
    tcase_add_test(tc, usage_and_keygen);
    tcase_add_test(tc, peer_slot_choice);
    tcase_add_loop_test(tc, quirk_switches, 0, (int)(sizeof quirks / sizeof quirks[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sim_suite());
}
