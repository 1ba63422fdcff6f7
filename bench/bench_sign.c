/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signature throughput through the real pcscd: our steady-state sequence
 * (INIT + UPDATE on a kept channel) against the per-operation sequence most
 * host libraries send (open channel, SELECT, close session, INIT, UPDATE,
 * close session, close channel). Prints figures and the ratio; asserts nothing.
 *
 * usage: bench_sign [-n COUNT] [-r READER]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iotsafe/iotsafe.h"
#include "now.h"

/* Send one APDU on the raw transport, following 61xx once (T=0-style cards). */
static int raw(iotsafe_transport *t, const uint8_t *cmd, size_t len, uint16_t *sw)
{
    uint8_t resp[300];
    size_t rlen = sizeof(resp);
    iotsafe_status st;
    if (t->ops->transmit(t, cmd, len, resp, &rlen, &st) != IOTSAFE_OK || rlen < 2)
        return -1;
    *sw = (uint16_t)(resp[rlen - 2] << 8 | resp[rlen - 1]);
    if (resp[rlen - 2] == 0x61) {
        uint8_t gr[5] = {cmd[0], 0xC0, 0x00, 0x00, resp[rlen - 1]};
        rlen = sizeof(resp);
        if (t->ops->transmit(t, gr, sizeof(gr), resp, &rlen, &st) != IOTSAFE_OK || rlen < 2)
            return -1;
        *sw = (uint16_t)(resp[rlen - 2] << 8 | resp[rlen - 1]);
    }
    return 0;
}

/* One signature the way per-operation libraries do it; returns APDUs sent or -1. */
static int naive_sign(iotsafe_transport *t, const uint8_t digest[32])
{
    static const uint8_t open_ch[] = {0x00, 0x70, 0x00, 0x00, 0x01};
    uint8_t resp[16];
    size_t rlen = sizeof(resp);
    iotsafe_status st;
    int n = 0;
    uint16_t sw;

    if (t->ops->transmit(t, open_ch, sizeof(open_ch), resp, &rlen, &st) != IOTSAFE_OK || rlen != 3)
        return -1;
    n++;
    uint8_t ch = resp[0];
    uint8_t cla = (uint8_t)(0x80 | ch);
    uint8_t sel[12] = {ch, 0xA4, 0x04, 0x00, 0x07};
    memcpy(sel + 5, IOTSAFE_AID_GSMA, 7);
    uint8_t close_s[4] = {cla, 0x2A, 0x01, 0x01};
    uint8_t init[18] = {cla,  0x2A, 0x00, 0x01, 0x0D, 0x84, 0x01, 0x01, 0xA1,
                        0x01, 0x03, 0x91, 0x02, 0x00, 0x01, 0x92, 0x01, 0x04};
    uint8_t upd[5 + 34 + 1] = {cla, 0x2B, 0x80, 0x01, 0x22, 0x9E, 0x20};
    memcpy(upd + 7, digest, 32);
    upd[sizeof(upd) - 1] = 0x00;
    uint8_t close_ch[5] = {0x00, 0x70, 0x80, ch, 0x00};

    if (raw(t, sel, sizeof(sel), &sw) || sw != 0x9000)
        return -1;
    n++;
    if (raw(t, close_s, sizeof(close_s), &sw))
        return -1;
    n++;
    if (raw(t, init, sizeof(init), &sw) || sw != 0x9000)
        return -1;
    n++;
    if (raw(t, upd, sizeof(upd), &sw) || sw != 0x9000)
        return -1;
    n++;
    if (raw(t, close_s, sizeof(close_s), &sw))
        return -1;
    n++;
    if (raw(t, close_ch, sizeof(close_ch), &sw))
        return -1;
    n++;
    return n;
}

int main(int argc, char **argv)
{
    int count = 500, opt;
    const char *reader = NULL;
    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            count = atoi(optarg);
        else if (opt == 'r')
            reader = optarg;
        else {
            fprintf(stderr, "usage: %s [-n COUNT] [-r READER]\n", argv[0]);
            return 2;
        }
    }
    if (count <= 0)
        count = 1;

    iotsafe_status st;
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    iotsafe_card *card = NULL;
    if (iotsafe_card_open(&cfg, reader, &card, &st) != IOTSAFE_OK) {
        fprintf(stderr, "bench_sign: %s\n", st.msg);
        return 1;
    }
    const uint8_t id[1] = {0x01};
    iotsafe_ref key = {.id = id, .id_len = 1};
    uint8_t digest[32], rs[IOTSAFE_RS_MAX];
    memset(digest, 0xA5, sizeof(digest));

    /* warm-up: the first signature pays for the object list and session setup */
    size_t rs_len = sizeof(rs);
    if (iotsafe_sign_digest(card, &key, IOTSAFE_HASH_SHA256, digest, 32, rs, &rs_len, &st)) {
        fprintf(stderr, "bench_sign: %s\n", st.msg);
        iotsafe_card_free(card);
        return 1;
    }
    unsigned long a0 = iotsafe_card_apdu_count(card);
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        rs_len = sizeof(rs);
        digest[0] = (uint8_t)i;
        if (iotsafe_sign_digest(card, &key, IOTSAFE_HASH_SHA256, digest, 32, rs, &rs_len, &st)) {
            fprintf(stderr, "bench_sign: %s\n", st.msg);
            iotsafe_card_free(card);
            return 1;
        }
    }
    double ours = (now_s() - t0) / count;
    double ours_apdus = (double)(iotsafe_card_apdu_count(card) - a0) / count;
    const char *reader_name = iotsafe_card_reader(card);
    char name[256];
    snprintf(name, sizeof(name), "%s", reader_name ? reader_name : "");
    iotsafe_card_free(card);

    iotsafe_transport *t = NULL;
    if (iotsafe_pcsc_open(name, &t, &st) != IOTSAFE_OK) {
        fprintf(stderr, "bench_sign: %s\n", st.msg);
        return 1;
    }
    int naive_apdus = 0;
    t0 = now_s();
    for (int i = 0; i < count; i++) {
        digest[0] = (uint8_t)i;
        t->ops->begin(t, &st);
        naive_apdus = naive_sign(t, digest);
        t->ops->end(t, &st);
        if (naive_apdus < 0) {
            fprintf(stderr, "bench_sign: per-operation sequence failed\n");
            iotsafe_transport_close(t);
            return 1;
        }
    }
    double naive = (now_s() - t0) / count;
    iotsafe_transport_close(t);

    printf("signatures: %d per sequence, reader \"%s\"\n", count, name);
    printf("%-36s %10s %12s %10s\n", "sequence", "APDUs/sig", "ms/sig", "sig/s");
    printf("%-36s %10.2f %12.3f %10.1f\n", "libiotsafe steady state", ours_apdus, ours * 1e3,
           1.0 / ours);
    printf("%-36s %10d %12.3f %10.1f\n", "per-operation channel+SELECT", naive_apdus, naive * 1e3,
           1.0 / naive);
    printf("speed-up: %.2fx\n", naive / ours);
    return 0;
}
