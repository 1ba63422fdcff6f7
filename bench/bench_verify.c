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
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#ifndef PROVIDER_DIR
#error "PROVIDER_DIR must name the directory of iotsafe.so"
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
    OSSL_STORE_CTX *sc = OSSL_STORE_open_ex(uri, a->lib, NULL, NULL, NULL, NULL, NULL, NULL);
    if (sc == NULL)
        return 0;
    OSSL_STORE_expect(sc, OSSL_STORE_INFO_PKEY);
    while (a->key == NULL && !OSSL_STORE_eof(sc)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(sc);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            a->key = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(sc);
    return a->key != NULL;
}

/* count signatures of a 1 KiB message; seconds, or -1 */
static double signs(arm *a, int count)
{
    unsigned char msg[1024] = {0}, sig[128];
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t siglen = sizeof(sig);
        msg[0] = (unsigned char)i;
        if (md == NULL ||
            EVP_DigestSignInit_ex(md, NULL, "SHA256", a->lib, NULL, a->key, NULL) != 1 ||
            EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1) {
            EVP_MD_CTX_free(md);
            return -1;
        }
        EVP_MD_CTX_free(md);
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
        printf("%-32s %10.3f %10.1f\n", arms[i].name, arms[i].total / n * 1e3,
               n / arms[i].total);
    printf("A'/A (control, noise of this run): %.3f\n", arms[1].total / arms[0].total);
    printf("A/B (cost of verify-before-release): %.3f, %.1f us per signature\n",
           arms[0].total / arms[2].total, (arms[0].total - arms[2].total) / n * 1e6);
    for (int i = 0; i < 3; i++) {
        EVP_PKEY_free(arms[i].key);
        OSSL_LIB_CTX_free(arms[i].lib);
    }
    return 0;
}
