/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sharing one card: P processes x T threads sign with the card key through
 * the provider (EVP_DigestSign) for D seconds. Prints the signatures per
 * second of the whole, and the longest stall of any process (the longest time
 * one process went without completing a signature, start included) and of
 * any thread. Asserts nothing.
 *
 * usage: bench_fair [-p PROCS] [-t THREADS] [-d SECONDS] [-k KEY_URI]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>

#include "digest_sign.h"
#include "now.h"
#include "store_load.h"

#define MAX_PROCS 64

typedef struct proc_result {
    long signs, errors;
    double proc_stall, thread_stall; /* seconds */
} proc_result;

typedef struct shared {
    pthread_mutex_t lock; /* guards last_done across the process's threads */
    EVP_PKEY *key;
    double t0, until, last_done, proc_stall;
} shared;

typedef struct worker {
    shared *sh;
    long signs, errors;
    double stall;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    static const unsigned char msg[] = "fairness";
    double last = sh->t0;
    while (now_s() < sh->until) {
        int ok = digest_sign(sh->key, NULL, msg, sizeof msg - 1);
        double t = now_s();
        if (!ok) {
            w->errors++;
            ERR_clear_error();
            continue;
        }
        w->signs++;
        if (t - last > w->stall)
            w->stall = t - last;
        last = t;
        pthread_mutex_lock(&sh->lock);
        if (t - sh->last_done > sh->proc_stall)
            sh->proc_stall = t - sh->last_done;
        sh->last_done = t;
        pthread_mutex_unlock(&sh->lock);
    }
    /* the time since the last signature counts too (a thread starved to the end) */
    if (sh->until - last > w->stall)
        w->stall = sh->until - last;
    return NULL;
}

static void child(const char *uri, int threads, double start, double secs, proc_result *out)
{
    shared sh = {.key = store_load_pkey(uri)};
    if (sh.key == NULL) {
        ERR_print_errors_fp(stderr);
        out->errors = -1;
        return;
    }
    pthread_mutex_init(&sh.lock, NULL);
    while (now_s() < start) /* every process starts together */
        usleep(1000);
    sh.t0 = sh.last_done = now_s();
    sh.until = sh.t0 + secs;
    worker w[64];
    pthread_t th[64];
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.sh = &sh};
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        out->signs += w[i].signs;
        out->errors += w[i].errors;
        if (w[i].stall > out->thread_stall)
            out->thread_stall = w[i].stall;
    }
    if (sh.until - sh.last_done > sh.proc_stall)
        sh.proc_stall = sh.until - sh.last_done;
    out->proc_stall = sh.proc_stall;
    EVP_PKEY_free(sh.key);
}

int main(int argc, char **argv)
{
    int procs = 4, threads = 8, o;
    double secs = 10;
    const char *uri = "iotsafe:label=DEVKEY;type=private";
    while ((o = getopt(argc, argv, "p:t:d:k:")) != -1) {
        switch (o) {
        case 'p':
            procs = atoi(optarg);
            break;
        case 't':
            threads = atoi(optarg);
            break;
        case 'd':
            secs = atof(optarg);
            break;
        case 'k':
            uri = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench_fair [-p PROCS] [-t THREADS] [-d SECONDS] [-k URI]\n");
            return 2;
        }
    }
    if (procs < 1 || procs > MAX_PROCS || threads < 1 || threads > 64 || secs <= 0)
        return 2;
    proc_result *res = mmap(NULL, sizeof(proc_result) * MAX_PROCS, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        return 1;
    memset(res, 0, sizeof(proc_result) * MAX_PROCS);
    double start = now_s() + 1.5; /* time for every process to load the key */
    for (int i = 0; i < procs; i++) {
        pid_t p = fork();
        if (p == 0) {
            child(uri, threads, start, secs, &res[i]);
            exit(0); /* exit handlers close the process's channel */
        }
    }
    while (wait(NULL) > 0) {
    }
    long signs = 0, errors = 0;
    double pmax = 0, tmax = 0;
    for (int i = 0; i < procs; i++) {
        signs += res[i].signs;
        errors += res[i].errors;
        if (res[i].proc_stall > pmax)
            pmax = res[i].proc_stall;
        if (res[i].thread_stall > tmax)
            tmax = res[i].thread_stall;
        printf("  process %d: %ld signatures, longest stall %.3f s\n", i, res[i].signs,
               res[i].proc_stall);
    }
    printf("%d processes x %d threads, %.0f s: %.1f signatures/s, errors %ld, longest stall: "
           "process %.3f s, thread %.3f s\n",
           procs, threads, secs, (double)signs / secs, errors, pmax, tmax);
    return 0;
}
