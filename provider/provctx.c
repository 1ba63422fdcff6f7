/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of open card handles, and fork handling. Nothing here touches a
 * card until the first key operation asks for a handle.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "debug.h"
#include "error.h"
#include "provctx.h"

/*
 * One open handle. users counts the operations running on it; a retired
 * handle (its connection failed) is out of the lookup and is freed when its
 * last user leaves, so daemons do not pile up dead PC/SC contexts.
 */
struct iprov_card {
    char *selector; /* "" = first reader with the applet */
    iotsafe_card *card;
    unsigned users;
    int retired;
};

static void free_handles(IPROV_CTX *ctx, int discard)
{
    for (size_t i = 0; i < ctx->ncards; i++) {
        if (discard)
            iotsafe_card_discard(ctx->cards[i].card);
        else
            iotsafe_card_free(ctx->cards[i].card);
        free(ctx->cards[i].selector);
    }
    free(ctx->cards);
    ctx->cards = NULL;
    ctx->ncards = 0;
}

void iprov_ctx_free(IPROV_CTX *ctx)
{
    if (ctx == NULL)
        return;
    /* In a forked child the handles belong to the parent's PC/SC context. */
    free_handles(ctx, getpid() != atomic_load(&ctx->pid));
    pthread_mutex_destroy(&ctx->lock);
    OSSL_LIB_CTX_free(ctx->libctx);
    iotsafe_options_clear(&ctx->cfg.opts);
    iprov_debug_close(ctx);
    free(ctx);
}

/*
 * After fork() the child holds copies of the parent's handles (its PC/SC
 * context and sockets) and of ctx->lock in whatever state it had: a parent
 * thread busy in card_acquire at the time of the fork leaves it locked for
 * good. So the pid is compared BEFORE locking, and the child re-initialises
 * the mutex: right after fork() the child has one thread, so no thread can
 * own or wait for that copy. The inherited handles are dropped without I/O
 * and reopened on demand. A child that already runs several threads when it
 * first uses the provider has them agree through the pid: the thread that
 * swaps it to -pid does the reset, the others wait until it is done.
 * (pthread_atfork is no option: a provider can be unloaded, its handlers not.)
 */
static void check_fork(IPROV_CTX *ctx)
{
    pid_t now = getpid();
    pid_t seen = atomic_load(&ctx->pid);
    while (seen != now) {
        if (seen != -now && atomic_compare_exchange_strong(&ctx->pid, &seen, -now)) {
            pthread_mutex_init(&ctx->lock, NULL);
            free_handles(ctx, 1);
            ctx->keyref_memos = NULL; /* they live on parent threads' stacks */
            atomic_store(&ctx->pid, now);
            return;
        }
        sched_yield();
        seen = atomic_load(&ctx->pid);
    }
}

/* A user reference on the live handle for reader, opened on first use. */
static iotsafe_rc card_acquire(IPROV_CTX *ctx, const char *reader, iotsafe_card **out,
                               iotsafe_status *st)
{
    const iotsafe_options *opts = &ctx->cfg.opts;
    const char *sel = reader != NULL ? reader : opts->reader != NULL ? opts->reader : "";
    if (opts->modem != NULL)
        sel = ""; /* one modem, one card: reader selectors do not apply */
    iotsafe_card *card = NULL;
    iotsafe_rc rc;

    check_fork(ctx);
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->ncards; i++) {
        if (!ctx->cards[i].retired && strcmp(ctx->cards[i].selector, sel) == 0) {
            ctx->cards[i].users++;
            *out = ctx->cards[i].card;
            pthread_mutex_unlock(&ctx->lock);
            return IOTSAFE_OK;
        }
    }
    iprov_debug_settings(ctx); /* once, at the first card use */
    /* Opening under the lock keeps two threads from racing to open the same reader. */
    rc = iotsafe_options_open_card(opts, sel[0] != '\0' ? sel : NULL, ctx->log, &card, st);
    if (rc == IOTSAFE_OK) {
        struct iprov_card *n = realloc(ctx->cards, (ctx->ncards + 1) * sizeof(*n));
        char *s = strdup(sel);
        if (n == NULL || s == NULL) {
            if (n != NULL)
                ctx->cards = n;
            free(s);
            iotsafe_card_free(card);
            pthread_mutex_unlock(&ctx->lock);
            return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "out of memory");
        }
        ctx->cards = n;
        ctx->cards[ctx->ncards] = (struct iprov_card){s, card, 1, 0};
        ctx->ncards++;
        *out = card;
        IPROV_DEBUG(ctx, "opened the card in reader '%s'; shared state: %s",
                    iotsafe_card_reader(card), iotsafe_card_shared_state(card));
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/*
 * Drop the user reference taken by card_acquire. retire: the connection
 * failed, so the handle leaves the lookup (the next user opens a fresh one).
 * A retired handle is freed by its last user: other threads may still be
 * inside a call on it until then.
 */
static void card_release(IPROV_CTX *ctx, iotsafe_card *card, int retire)
{
    iotsafe_card *dead = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->ncards; i++) {
        struct iprov_card *e = &ctx->cards[i];
        if (e->card != card)
            continue;
        if (retire)
            e->retired = 1;
        if (e->users > 0)
            e->users--;
        if (e->retired && e->users == 0) {
            dead = e->card;
            free(e->selector);
            ctx->cards[i] = ctx->cards[--ctx->ncards];
        }
        break;
    }
    pthread_mutex_unlock(&ctx->lock);
    /* Outside the lock: closing may wait for a daemon that is slow to answer. */
    iotsafe_card_free(dead);
}

void iprov_flush_caches(IPROV_CTX *ctx)
{
    if (ctx == NULL)
        return;
    check_fork(ctx);
    pthread_mutex_lock(&ctx->lock);
    /* Retired handles are never used again: only live ones can serve stale data. */
    for (size_t i = 0; i < ctx->ncards; i++)
        if (!ctx->cards[i].retired)
            iotsafe_card_flush_cache(ctx->cards[i].card);
    pthread_mutex_unlock(&ctx->lock);
}

static int is_connection_failure(iotsafe_rc rc)
{
    return rc == IOTSAFE_E_NO_SERVICE || rc == IOTSAFE_E_NO_READER || rc == IOTSAFE_E_NO_CARD ||
           rc == IOTSAFE_E_CARD_REMOVED || rc == IOTSAFE_E_CARD_RESET || rc == IOTSAFE_E_TRANSPORT;
}

iotsafe_rc iprov_card_run(IPROV_CTX *ctx, const char *reader, iprov_card_op *op, void *arg,
                          iotsafe_status *st)
{
    /* every entry point checks first; this is the last line of defence */
    if (ctx->bad_config[0] != '\0')
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "%s; the IoT SAFE provider is unusable until this is fixed",
                                  ctx->bad_config);
    iotsafe_card *card = NULL;
    iotsafe_rc rc = card_acquire(ctx, reader, &card, st);
    if (rc != IOTSAFE_OK)
        return rc;
    rc = op(card, arg, st);
    /* a dead handle is retired: the next operation opens a fresh one */
    card_release(ctx, card, rc != IOTSAFE_OK && is_connection_failure(rc));
    return rc;
}
