/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an application sees: EVP_DigestSign with the card key loaded through
 * OSSL_STORE (our provider) against the same curve in software (default
 * provider). Also times key loading, first and cached. Figures only.
 *
 * usage: bench_evp [-n COUNT] [-u URI]    (OPENSSL_CONF must activate iotsafe)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static EVP_PKEY *load_key(const char *uri)
{
    OSSL_STORE_CTX *sc = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
    EVP_PKEY *pkey = NULL;
    if (sc == NULL)
        return NULL;
    OSSL_STORE_expect(sc, OSSL_STORE_INFO_PKEY);
    while (pkey == NULL && !OSSL_STORE_eof(sc)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(sc);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            pkey = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(sc);
    return pkey;
}

/* Seconds per signature over count signatures of a 1 KiB message. */
static double time_signs(EVP_PKEY *pkey, int count)
{
    unsigned char msg[1024] = {0}, sig[128];
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t siglen = sizeof(sig);
        msg[0] = (unsigned char)i;
        if (md == NULL || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) != 1
            || EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1) {
            EVP_MD_CTX_free(md);
            return -1;
        }
        EVP_MD_CTX_free(md);
    }
    return (now_s() - t0) / count;
}

int main(int argc, char **argv)
{
    int count = 300, opt;
    const char *uri = "iotsafe:label=DEVKEY;type=private";
    while ((opt = getopt(argc, argv, "n:u:")) != -1) {
        if (opt == 'n')
            count = atoi(optarg);
        else if (opt == 'u')
            uri = optarg;
        else {
            fprintf(stderr, "usage: %s [-n COUNT] [-u URI]\n", argv[0]);
            return 2;
        }
    }
    if (count <= 0)
        count = 1;

    double t0 = now_s();
    EVP_PKEY *card = load_key(uri);
    double first_load = now_s() - t0;
    if (card == NULL) {
        fprintf(stderr, "bench_evp: cannot load %s\n", uri);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    t0 = now_s();
    EVP_PKEY *again = load_key(uri);
    double second_load = now_s() - t0;
    EVP_PKEY_free(again);

    EVP_PKEY *soft = EVP_EC_gen("P-256");
    double t_card = time_signs(card, count);
    double t_soft = soft != NULL ? time_signs(soft, count) : -1;
    if (t_card < 0 || t_soft < 0) {
        fprintf(stderr, "bench_evp: signing failed\n");
        ERR_print_errors_fp(stderr);
        EVP_PKEY_free(card);
        EVP_PKEY_free(soft);
        return 1;
    }
    printf("key load through OSSL_STORE: first %.3f ms, again in the same process %.3f ms\n",
           first_load * 1e3, second_load * 1e3);
    printf("%-40s %12s %10s\n", "EVP_DigestSign (SHA-256, 1 KiB)", "ms/sig", "sig/s");
    printf("%-40s %12.3f %10.1f\n", "card key (iotsafe provider)", t_card * 1e3, 1.0 / t_card);
    printf("%-40s %12.3f %10.1f\n", "software P-256 (default provider)", t_soft * 1e3, 1.0 / t_soft);
    printf("card / software time ratio: %.1fx\n", t_card / t_soft);
    EVP_PKEY_free(card);
    EVP_PKEY_free(soft);
    return 0;
}
