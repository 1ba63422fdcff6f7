/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e2e helper: a program that holds a card key when it ends, the way daemons
 * and tools do without tearing OpenSSL's providers down.
 *
 *   key_holder URI MODE [N]
 *
 * Loads the key (OSSL_STORE), signs once, then per MODE:
 *   exit     exit(0) with OPENSSL_INIT_NO_ATEXIT: no provider teardown at all
 *   kill     SIGKILL itself: no exit handler runs
 *   fork     fork a child that signs and exit()s, then sign again in the
 *            parent (the child must not have closed the parent's channel), exit(0)
 *   sign     sign N times (default 1) and print "signed N" (for deadline tests)
 *   hold     print "holding", then wait until stdin closes, exit(0)
 * Prints "signed" after the first signature; errors go to stderr (exit 1).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>

#include "digest_sign.h"
#include "store_load.h"

/*
 * Ending with the key and OpenSSL's state still allocated is this program's
 * purpose: tell LeakSanitizer (sanitizer pass) not to report it.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return 1;
}

static int sign(EVP_PKEY *k)
{
    static const unsigned char msg[] = "key holder";
    int ok = digest_sign(k, NULL, msg, sizeof msg - 1);
    if (!ok)
        ERR_print_errors_fp(stderr);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: key_holder URI exit|kill|fork|sign|hold [N]\n");
        return 2;
    }
    const char *mode = argv[2];
    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL);
    EVP_PKEY *k = store_load_pkey(argv[1]);
    if (k == NULL) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    if (strcmp(mode, "sign") == 0) {
        long n = argc > 3 ? strtol(argv[3], NULL, 10) : 1, done = 0;
        while (done < n && sign(k))
            done++;
        printf("signed %ld\n", done);
        return done == n ? 0 : 1;
    }
    if (!sign(k))
        return 1;
    printf("signed\n");
    fflush(stdout);
    if (strcmp(mode, "exit") == 0)
        exit(0);
    if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(mode, "hold") == 0) {
        char buf[64];
        printf("holding\n");
        fflush(stdout);
        while (fgets(buf, sizeof buf, stdin) != NULL) {
        }
        exit(0);
    }
    if (strcmp(mode, "fork") == 0) {
        pid_t p = fork();
        if (p == 0)
            exit(sign(k) ? 0 : 1);
        int status = 0;
        waitpid(p, &status, 0);
        int ok = sign(k);
        printf("child %s, parent %s\n",
               WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "signed" : "failed",
               ok ? "signed" : "failed");
        exit(ok ? 0 : 1);
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
