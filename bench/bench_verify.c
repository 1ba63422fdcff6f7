/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cost of verify-before-release: EVP_DigestSign with the card key in
 * three library contexts of one process, each with its own instance of the
 * provider: two with verification on (A and A', the A/A control: their
 * ratio shows the noise of the run) and one with verify-signatures = no
 * (B). Rounds interleave the three so drift hits all alike. Figures only.
 *
 * usage: bench_verify [-n COUNT] [-r ROUNDS] [-u URI]
 *        (PROVIDER_DIR is where iotsafe.so lives; pcscd and the card as for bench_evp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "digest_sign.h"
#include "now.h"
#include "store_load.h"

#ifndef PROVIDER_DIR
#error "PROVIDER_DIR must name the directory of iotsafe.so"
#endif

typedef struct arm {
    const char *name;
    const char *verify; /* value of IOTSAFE_VERIFY_SIGNATURES while the provider loads */
    OSSL_LIB_CTX *lib;
    EVP_PKEY *key;
    double total;
} arm;

static int arm_up(arm *a, const char *uri)
{
    setenv("IOTSAFE_VERIFY_SIGNATURES", a->verify, 1); /* read once, at provider init */
    a->lib = OSSL_LIB_CTX_new();
    if (a->lib == NULL || !OSSL_PROVIDER_set_default_search_path(a->lib, PROVIDER_DIR) ||
        OSSL_PROVIDER_load(a->lib, "default") == NULL ||
        OSSL_PROVIDER_load(a->lib, "iotsafe") == NULL)
        return 0;
    a->key = store_load_pkey_ex(uri, a->lib);
    return a->key != NULL;
}

/* count signatures of a 1 KiB message; seconds, or -1 */
static double signs(arm *a, int count)
{
    unsigned char msg[1024] = {0};
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        msg[0] = (unsigned char)i;
        if (!digest_sign(a->key, a->lib, msg, sizeof(msg)))
            return -1;
    }
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    int count = 100, rounds = 5, opt;
    const char *uri = "iotsafe:label=DEVKEY;type=private";
    arm arms[3] = {{"A  verify on", "yes", NULL, NULL, 0},
                   {"A' verify on (A/A control)", "yes", NULL, NULL, 0},
                   {"B  verify-signatures = no", "no", NULL, NULL, 0}};
    while ((opt = getopt(argc, argv, "n:r:u:")) != -1) {
        if (opt == 'n')
            count = atoi(optarg);
        else if (opt == 'r')
            rounds = atoi(optarg);
        else if (opt == 'u')
            uri = optarg;
        else {
            fprintf(stderr, "usage: %s [-n COUNT] [-r ROUNDS] [-u URI]\n", argv[0]);
            return 2;
        }
    }
    if (count <= 0)
        count = 1;
    if (rounds <= 0)
        rounds = 1;
    for (int i = 0; i < 3; i++) {
        if (!arm_up(&arms[i], uri)) {
            fprintf(stderr, "bench_verify: cannot set up %s\n", arms[i].name);
            ERR_print_errors_fp(stderr);
            return 1;
        }
    }
    unsetenv("IOTSAFE_VERIFY_SIGNATURES");
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < 3; j++) {
            arm *a = &arms[(r + j) % 3]; /* rotate the order every round */
            double t = signs(a, count);
            if (t < 0) {
                fprintf(stderr, "bench_verify: signing failed (%s)\n", a->name);
                ERR_print_errors_fp(stderr);
                return 1;
            }
            a->total += t;
        }
    }
    const double n = (double)count * rounds;
    printf("%-32s %10s %10s\n", "EVP_DigestSign, card key", "ms/sig", "sig/s");
    for (int i = 0; i < 3; i++)
        printf("%-32s %10.3f %10.1f\n", arms[i].name, arms[i].total / n * 1e3, n / arms[i].total);
    printf("A'/A (control, noise of this run): %.3f\n", arms[1].total / arms[0].total);
    printf("A/B (cost of verify-before-release): %.3f, %.1f us per signature\n",
           arms[0].total / arms[2].total, (arms[0].total - arms[2].total) / n * 1e6);
    for (int i = 0; i < 3; i++) {
        EVP_PKEY_free(arms[i].key);
        OSSL_LIB_CTX_free(arms[i].lib);
    }
    return 0;
}
