/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e2e helper: a long-running process using the provider (like a TLS server
 * or an MQTT client), driven one command per line on stdin so a test script
 * can change the card, the daemon or the key between steps. One reply line
 * per command on stdout (flushed); OpenSSL errors go to stderr.
 *
 *   load SPEC   load a private key: an iotsafe: URI (OSSL_STORE) or a PEM
 *               key file (PEM_read_bio_PrivateKey, as curl and mosquitto do)
 *               -> "loaded <public point in hex>" | "load FAILED"
 *   sign        sign with the loaded key, verify with a default-provider copy
 *               of its public key -> "sign ok" | "sign FAILED"
 *   fds         -> "fds N": open file descriptors of this process
 *   quit        exit 0
 * Unknown commands answer "bad command". (OPENSSL_CONF activates the provider.)
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "digest_sign.h"
#include "store_load.h"

#define POINT_MAX 133

static EVP_PKEY *load_file(const char *path)
{
    BIO *in = BIO_new_file(path, "r");
    EVP_PKEY *k = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    return k;
}

static int cmd_load(const char *spec, EVP_PKEY **key)
{
    unsigned char pt[POINT_MAX];
    size_t n = 0;
    EVP_PKEY *k = strncmp(spec, "iotsafe:", 8) == 0 ? store_load_pkey(spec) : load_file(spec);
    if (k == NULL ||
        !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n)) {
        ERR_print_errors_fp(stderr);
        EVP_PKEY_free(k);
        printf("load FAILED\n");
        return 0;
    }
    EVP_PKEY_free(*key);
    *key = k;
    printf("loaded ");
    for (size_t i = 0; i < n; i++)
        printf("%02x", pt[i]);
    printf("\n");
    return 1;
}

static int cmd_sign(EVP_PKEY *key)
{
    static const unsigned char msg[] = "card_session";
    int ok = digest_sign_verify(key, msg, sizeof(msg));
    if (!ok)
        ERR_print_errors_fp(stderr);
    printf("sign %s\n", ok ? "ok" : "FAILED");
    return ok;
}

/* Entries of /proc/self/fd, minus the one opendir holds while counting. */
static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (d == NULL)
        return -1;
    for (const struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

int main(void)
{
    char line[4096];
    EVP_PKEY *key = NULL;

    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "load ", 5) == 0)
            cmd_load(line + 5, &key);
        else if (strcmp(line, "sign") == 0)
            cmd_sign(key);
        else if (strcmp(line, "fds") == 0)
            printf("fds %ld\n", count_fds());
        else if (strcmp(line, "quit") == 0)
            break;
        else
            printf("bad command\n");
        fflush(stdout);
        ERR_clear_error();
    }
    EVP_PKEY_free(key);
    return 0;
}
