/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An application of OpenSSL 3.4+'s message-signing API with a card key:
 *   sign_message URI ALGORITHM PROPQ oneshot|stream MESSAGE-FILE SIGNATURE-FILE
 * loads the key by URI (OSSL_STORE), fetches ALGORITHM ("ECDSA-SHA256"...)
 * with PROPQ, and signs the file's bytes with EVP_PKEY_sign_message_init and
 * either one EVP_PKEY_sign or EVP_PKEY_sign_message_update (in 100-byte
 * pieces) + _final. Exit 0 on success, 77 where the API does not exist, 1 on
 * failure (OpenSSL's error queue on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/store.h>

#include "store_load.h"

#if OPENSSL_VERSION_NUMBER >= 0x30400000L
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(65536);
    *len = 0;
    if (f == NULL || buf == NULL) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    EVP_PKEY *pkey = NULL;
    EVP_SIGNATURE *alg = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *msg = NULL, *sig = NULL;
    size_t msglen = 0, siglen = 0;
    int rc = 1, stream;
    FILE *out;

    if (argc != 7) {
        fprintf(stderr, "usage: %s URI ALGORITHM PROPQ oneshot|stream MESSAGE SIGNATURE\n",
                argv[0]);
        return 2;
    }
    stream = strcmp(argv[4], "stream") == 0;
    if ((pkey = store_load_pkey(argv[1])) == NULL || (msg = read_file(argv[5], &msglen)) == NULL ||
        (alg = EVP_SIGNATURE_fetch(NULL, argv[2], argv[3][0] != '\0' ? argv[3] : NULL)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
        EVP_PKEY_sign_message_init(ctx, alg, NULL) <= 0)
        goto done;
    if (stream) {
        for (size_t off = 0; off < msglen; off += 100)
            if (EVP_PKEY_sign_message_update(ctx, msg + off,
                                             msglen - off < 100 ? msglen - off : 100) <= 0)
                goto done;
        if (EVP_PKEY_sign_message_final(ctx, NULL, &siglen) <= 0 ||
            (sig = malloc(siglen)) == NULL || EVP_PKEY_sign_message_final(ctx, sig, &siglen) <= 0)
            goto done;
    } else if (EVP_PKEY_sign(ctx, NULL, &siglen, msg, msglen) <= 0 ||
               (sig = malloc(siglen)) == NULL ||
               EVP_PKEY_sign(ctx, sig, &siglen, msg, msglen) <= 0) {
        goto done;
    }
    if ((out = fopen(argv[6], "wb")) == NULL)
        goto done;
    rc = fwrite(sig, 1, siglen, out) == siglen ? 0 : 1;
    if (fclose(out) != 0)
        rc = 1;
done:
    if (rc != 0)
        ERR_print_errors_fp(stderr);
    free(sig);
    free(msg);
    EVP_PKEY_CTX_free(ctx);
    EVP_SIGNATURE_free(alg);
    EVP_PKEY_free(pkey);
    return rc;
}
#else
int main(void)
{
    fprintf(stderr, "EVP_PKEY_sign_message_init needs OpenSSL 3.4 or later\n");
    return 77;
}
#endif
