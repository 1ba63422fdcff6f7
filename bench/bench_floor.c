/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor of a card signature, measured beside the provider's figures:
 * two pcscd round trips (one trivial APDU through pcscd + vpcd, timed) plus
 * the simulator's own time for COMPUTE SIGNATURE INIT + UPDATE (the applet
 * core run in this process on a scratch copy of the card, no PC/SC).
 * Prints "roundtrip <s>", "simsign <s>", "floor <s>" and, beside it, what
 * one SCardBeginTransaction + SCardEndTransaction pair costs ("transaction").
 * Each figure is the mean of the fastest of 20 batches (n/20 operations
 * each): the cost itself, not whatever else the machine was doing.
 *
 * usage: bench_floor -C CARD_CONF -S SCRATCH_STATE [-n N] [-s key=value]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include "applet.h"
#include "iotsafe/iotsafe.h"
#include "now.h"

#define BATCHES 20

/*
 * Seconds per SCardTransmit of a GET RESPONSE with nothing pending (the card
 * answers at once), and per SCardBeginTransaction + SCardEndTransaction pair
 * (pcscd only, no card I/O) in *txn.
 */
static double roundtrip(int n, double *txn)
{
    static const uint8_t get_response[] = {0x00, 0xC0, 0x00, 0x00, 0x00};
    char *readers = NULL;
    size_t count = 0;
    iotsafe_transport *t = NULL;
    iotsafe_status st;
    if (iotsafe_pcsc_list_readers(&readers, &count, &st) != IOTSAFE_OK ||
        iotsafe_pcsc_open(readers, &t, &st) != IOTSAFE_OK) {
        fprintf(stderr, "bench_floor: %s\n", st.msg);
        free(readers);
        return -1;
    }
    free(readers);
    double per = 1e9, t0;
    *txn = 1e9;
    for (int b = 0; b < BATCHES; b++) {
        t0 = now_s();
        for (int i = 0; i < n / BATCHES; i++) {
            uint8_t resp[260];
            size_t rlen = sizeof(resp);
            if (t->ops->transmit(t, get_response, sizeof(get_response), resp, &rlen, &st) !=
                IOTSAFE_OK) {
                fprintf(stderr, "bench_floor: %s\n", st.msg);
                iotsafe_transport_close(t);
                return -1;
            }
        }
        per = fmin(per, (now_s() - t0) / (n / BATCHES));
        t0 = now_s();
        for (int i = 0; i < n / BATCHES; i++) {
            if (t->ops->begin(t, &st) != IOTSAFE_OK || t->ops->end(t, &st) != IOTSAFE_OK) {
                fprintf(stderr, "bench_floor: %s\n", st.msg);
                iotsafe_transport_close(t);
                return -1;
            }
        }
        *txn = fmin(*txn, (now_s() - t0) / (n / BATCHES));
    }
    iotsafe_transport_close(t);
    return per;
}

/* Seconds per INIT + UPDATE answered by the applet core in this process. */
static double simsign(const char *conf, const char *state, const char *const *sets, size_t nsets,
                      int n)
{
    static const uint8_t id01[] = {0x01};
    const iotsafe_ref ref = {.id = id01, .id_len = 1};
    char err[256];
    uint8_t digest[32] = {0}, rs[64];
    iotsafe_transport *t = NULL;
    iotsafe_card *card = NULL;
    iotsafe_status st;
    sim_applet *a = sim_applet_new(conf, state, 1, sets, nsets, err, sizeof(err));
    if (a == NULL) {
        fprintf(stderr, "bench_floor: %s\n", err);
        return -1;
    }
    if (iotsafe_func_transport_new(sim_applet_process, a, &t) != IOTSAFE_OK ||
        iotsafe_card_attach(NULL, t, &card, &st) != IOTSAFE_OK) {
        fprintf(stderr, "bench_floor: cannot attach the applet core\n");
        sim_applet_free(a);
        return -1;
    }
    double per = 1e9;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (int i = 0; i < n / BATCHES; i++) {
            size_t rs_len = sizeof(rs);
            digest[0] = (uint8_t)i;
            if (iotsafe_sign_digest(card, &ref, IOTSAFE_HASH_SHA256, digest, sizeof(digest), rs,
                                    &rs_len, &st) != IOTSAFE_OK) {
                fprintf(stderr, "bench_floor: %s\n", st.msg);
                iotsafe_card_free(card);
                sim_applet_free(a);
                return -1;
            }
        }
        per = fmin(per, (now_s() - t0) / (n / BATCHES));
    }
    iotsafe_card_free(card);
    sim_applet_free(a);
    return per;
}

int main(int argc, char **argv)
{
    const char *conf = NULL, *state = NULL;
    const char *sets[16];
    size_t nsets = 0;
    int n = 300, opt;
    while ((opt = getopt(argc, argv, "C:S:n:s:")) != -1) {
        if (opt == 'C')
            conf = optarg;
        else if (opt == 'S')
            state = optarg;
        else if (opt == 'n')
            n = atoi(optarg);
        else if (opt == 's' && nsets < sizeof(sets) / sizeof(sets[0]))
            sets[nsets++] = optarg;
        else
            return 2;
    }
    if (conf == NULL || state == NULL || n < BATCHES) {
        fprintf(stderr, "usage: %s -C CARD_CONF -S SCRATCH_STATE [-n N] [-s key=value]...\n",
                argv[0]);
        return 2;
    }
    double txn = 0, rt = roundtrip(n, &txn), sg = simsign(conf, state, sets, nsets, n);
    if (rt < 0 || sg < 0)
        return 1;
    printf("roundtrip %.6f\nsimsign %.6f\nfloor %.6f\ntransaction %.6f\n", rt, sg, 2 * rt + sg,
           txn);
    return 0;
}
