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
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest_sign.h"
#include "now.h"
#include "store_load.h"

/* Seconds per signature over count signatures of a 1 KiB message. */
static double time_signs(EVP_PKEY *pkey, int count)
{
    unsigned char msg[1024] = {0};
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        msg[0] = (unsigned char)i;
        if (!digest_sign(pkey, NULL, msg, sizeof(msg)))
            return -1;
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
    EVP_PKEY *card = store_load_pkey(uri);
    double first_load = now_s() - t0;
    if (card == NULL) {
        fprintf(stderr, "bench_evp: cannot load %s\n", uri);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    t0 = now_s();
    EVP_PKEY *again = store_load_pkey(uri);
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
    printf("%-40s %12.3f %10.1f\n", "software P-256 (default provider)", t_soft * 1e3,
           1.0 / t_soft);
    printf("card / software time ratio: %.1fx\n", t_card / t_soft);
    EVP_PKEY_free(card);
    EVP_PKEY_free(soft);
    return 0;
}
