/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e2e helper: load a key file the way curl 7.88 and mosquitto do
 * (PEM_read_bio_PrivateKey / SSL_CTX_use_PrivateKey + check_private_key),
 * sign with it, and optionally sign again in a forked child (the provider
 * must reopen its card handle there) and in the parent afterwards.
 *
 *   keyfile_check [--fork] [--fork-busy N] [--repeat N] [--threads N] KEYFILE [CERTFILE]
 *
 * --repeat N signs N times in the parent (APDU counting in traces);
 * --threads N signs from N threads at once, 4 times each, with one EVP_PKEY;
 * --fork-busy N forks N children while another thread of the parent keeps
 * signing (the provider's locks may be held at the moment of fork); each
 * child must sign within 20 s, then the parent stops the thread and signs.
 * Exit: 0 ok, 2 key not loaded, 3 key/cert mismatch, 4 signing failed,
 * 1 usage. OpenSSL errors are printed on stderr.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "digest_sign.h"

/* Sign with the card key, verify with a default-provider copy of the public key. */
static int sign_and_verify(EVP_PKEY *key, const char *who)
{
    static const unsigned char msg[] = "keyfile_check";
    int ok = digest_sign_verify(key, msg, sizeof(msg));
    printf("%s: signature %s\n", who, ok ? "ok" : "FAILED");
    if (!ok)
        ERR_print_errors_fp(stderr);
    return ok;
}

static void *thread_main(void *arg)
{
    static int failed_marker;
    for (int i = 0; i < 4; i++)
        if (!sign_and_verify(arg, "thread"))
            return &failed_marker;
    return NULL;
}

/* All threads share the key (and so the provider's one card handle). */
static int run_threads(EVP_PKEY *key, int n)
{
    pthread_t tids[64];
    int ok = 1, started = 0;
    for (; started < n; started++)
        if (pthread_create(&tids[started], NULL, thread_main, key) != 0) {
            ok = 0;
            break;
        }
    for (int i = 0; i < started; i++) {
        void *res = NULL;
        if (pthread_join(tids[i], &res) != 0 || res != NULL)
            ok = 0;
    }
    printf("threads: %s\n", ok ? "all signatures ok" : "FAILED");
    return ok;
}

/* The busy parent thread: signs a digest in a loop until told to stop. */
struct busy {
    EVP_PKEY *key;
    atomic_int stop;
    atomic_int in_sign; /* 1 while inside EVP_PKEY_sign */
    atomic_int done;    /* signatures made */
    atomic_int failed;
};

static void *busy_main(void *arg)
{
    struct busy *b = arg;
    unsigned char dgst[32] = {1}, sig[256];
    /* Initialised once: the loop itself calls nothing in libcrypto that locks. */
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, b->key, NULL);
    if (c == NULL || EVP_PKEY_sign_init(c) != 1) {
        atomic_store(&b->failed, 1);
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    while (!atomic_load(&b->stop)) {
        size_t n = sizeof(sig);
        const struct timespec pause = {0, 10 * 1000 * 1000};
        atomic_store(&b->in_sign, 1);
        if (EVP_PKEY_sign(c, sig, &n, dgst, sizeof(dgst)) != 1) {
            atomic_store(&b->failed, 1);
            break;
        }
        atomic_store(&b->in_sign, 0);
        atomic_fetch_add(&b->done, 1);
        /*
         * Back-to-back PC/SC transactions would starve the child: pcscd makes
         * its SCardConnect wait until no transaction is held.
         */
        nanosleep(&pause, NULL);
    }
    EVP_PKEY_CTX_free(c);
    return NULL;
}

/* Fork n children while a second thread signs; every child must sign. */
static int fork_busy(EVP_PKEY *key, int n)
{
    struct busy b = {.key = key};
    pthread_t tid;
    int ok = 1, children = 0;

    atomic_init(&b.stop, 0);
    atomic_init(&b.done, 0);
    atomic_init(&b.failed, 0);
    atomic_init(&b.in_sign, 0);
    if (pthread_create(&tid, NULL, busy_main, &b) != 0)
        return 0;
    for (int i = 0; i < n && ok; i++) {
        int status = 0, seen = atomic_load(&b.done);
        pid_t pid;
        /*
         * Fork the moment the thread enters a signature: it is then taking
         * the provider's lock for the card handle, or holding the handle.
         */
        while (atomic_load(&b.done) == seen && !atomic_load(&b.failed))
            sched_yield();
        while (!atomic_load(&b.in_sign) && !atomic_load(&b.failed))
            ;
        if (atomic_load(&b.failed))
            break;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            alarm(20); /* a deadlock in the child ends as a failure, not a hang */
            _exit(sign_and_verify(key, "busy-fork child") ? 0 : 4);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            printf("busy-fork child %d failed (status %d)\n", i, status);
            ok = 0;
        } else {
            children++;
        }
    }
    atomic_store(&b.stop, 1);
    pthread_join(tid, NULL);
    if (atomic_load(&b.failed))
        ok = 0;
    printf("fork while busy: %d children signed, the busy thread made %d signatures%s\n", children,
           atomic_load(&b.done), ok ? "" : " (FAILED)");
    return ok;
}

int main(int argc, char **argv)
{
    int do_fork = 0, repeat = 1, threads = 0, busy_forks = 0, argi = 1, rc = 0;
    EVP_PKEY *key;
    BIO *in;

    for (; argi < argc; argi++) {
        if (strcmp(argv[argi], "--fork") == 0) {
            do_fork = 1;
        } else if (strcmp(argv[argi], "--repeat") == 0 && argi + 1 < argc) {
            repeat = atoi(argv[++argi]);
            if (repeat < 1 || repeat > 1000)
                repeat = -1;
        } else if (strcmp(argv[argi], "--fork-busy") == 0 && argi + 1 < argc) {
            busy_forks = atoi(argv[++argi]);
            if (busy_forks < 1 || busy_forks > 100)
                repeat = -1;
        } else if (strcmp(argv[argi], "--threads") == 0 && argi + 1 < argc) {
            threads = atoi(argv[++argi]);
            if (threads < 1 || threads > 64)
                repeat = -1;
        } else {
            break;
        }
    }
    if (argc - argi < 1 || argc - argi > 2 || repeat < 1) {
        fprintf(stderr, "usage: keyfile_check [--fork] [--fork-busy N] [--repeat N] [--threads N] "
                        "KEYFILE [CERTFILE]\n");
        return 1;
    }
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL);
    in = BIO_new_file(argv[argi], "r");
    key = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    if (key == NULL) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    printf("key loaded: %s\n", EVP_PKEY_get0_description(key));
    if (argc - argi == 2) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (ctx == NULL ||
            SSL_CTX_use_certificate_file(ctx, argv[argi + 1], SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
            ERR_print_errors_fp(stderr);
            SSL_CTX_free(ctx);
            EVP_PKEY_free(key);
            return 3;
        }
        printf("certificate matches the key\n");
        SSL_CTX_free(ctx);
    }
    for (int i = 0; i < repeat; i++)
        if (!sign_and_verify(key, "parent"))
            rc = 4;
    if (threads > 0 && rc == 0 && !run_threads(key, threads))
        rc = 4;
    if (busy_forks > 0 && rc == 0) {
        if (!fork_busy(key, busy_forks))
            rc = 4;
        else if (!sign_and_verify(key, "parent after busy forks"))
            rc = 4;
    }
    if (do_fork && rc == 0) {
        int status = 0;
        pid_t pid;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            int ok = sign_and_verify(key, "child");
            EVP_PKEY_free(key);
            fflush(stdout);
            _exit(ok ? 0 : 4);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            rc = 4;
        if (!sign_and_verify(key, "parent after fork"))
            rc = 4;
    }
    EVP_PKEY_free(key);
    return rc;
}
