/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provider configuration and the table of open card handles. Nothing here
 * touches a card until the first key operation asks for a handle.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/params.h>

#include "hex.h"
#include "iotsafe/escape.h"
#include "provider.h"

/*
 * One open handle. users counts the operations running on it; a retired
 * handle (its connection failed) is out of the lookup and is freed when its
 * last user leaves, so daemons do not pile up dead PC/SC contexts.
 */
struct iotsafe_prov_card {
    char *selector; /* "" = first reader with the applet */
    iotsafe_card *card;
    unsigned users;
    int retired;
};

/* Config keys in the provider's openssl.cnf section and the env vars that override them. */
enum {
    CFG_READER,
    CFG_AID,
    CFG_CLA,
    CFG_CHANNEL,
    CFG_TRACE,
    CFG_RAND,
    CFG_DH_PEER_SLOT,
    CFG_MODEM,
    CFG_MODEM_MODE,
    CFG_VERIFY_SIGNATURES,
    CFG_TIMEOUT,
    CFG_CHANNEL_EXHAUSTED,
    CFG_N
};
static const struct {
    const char *key;
    const char *env;
    const char *expect; /* the valid values, for the message about a bad one */
} cfg_names[CFG_N] = {
    [CFG_READER] = {"reader", "IOTSAFE_READER", "a reader name"},
    [CFG_AID] = {"aid", "IOTSAFE_AID", "5 to 16 bytes in hex"},
    [CFG_CLA] = {"cla", "IOTSAFE_CLA", "auto, proprietary or interindustry"},
    [CFG_CHANNEL] = {"channel", "IOTSAFE_CHANNEL", "logical or basic"},
    [CFG_TRACE] = {"trace", "IOTSAFE_TRACE", "yes or no"},
    [CFG_RAND] = {"rand", "IOTSAFE_RAND", "yes or no"},
    [CFG_DH_PEER_SLOT] = {"dh-peer-slot", "IOTSAFE_DH_PEER_SLOT", "an object ID of 1 to 20 bytes in hex"},
    [CFG_MODEM] = {"modem", "IOTSAFE_MODEM", "a serial device"},
    [CFG_MODEM_MODE] = {"modem-mode", "IOTSAFE_MODEM_MODE", "csim or cgla"},
    [CFG_VERIFY_SIGNATURES] = {"verify-signatures", "IOTSAFE_VERIFY_SIGNATURES", "yes or no"},
    [CFG_TIMEOUT] = {"timeout", "IOTSAFE_TIMEOUT", "seconds, 0.1 to 3600"},
    [CFG_CHANNEL_EXHAUSTED] = {"channel-exhausted", "IOTSAFE_CHANNEL_EXHAUSTED", "auto, fail or basic"},
};

/* Seconds, decimals allowed ("2", "0.5"), 0.1 to 3600 -> ms. */
static int parse_seconds(const char *s, unsigned long *ms)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    double v = strtod(s, &end);
    if (*end != '\0' || !(v >= 0.1 && v <= 3600.0))
        return -1;
    *ms = (unsigned long)(v * 1000.0 + 0.5);
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
        strcmp(s, "on") == 0)
        *out = 1;
    else if (strcmp(s, "0") == 0 || strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
             strcmp(s, "off") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

/* Copy of a string setting; 0 when out of memory (the one fatal case). */
static int set_string(IOTSAFE_PROV_CTX *ctx, char **dst, const char *v, const char *what)
{
    free(*dst);
    *dst = strdup(v);
    if (*dst == NULL) {
        IPROV_ERR(ctx, IOTSAFE_R_MALLOC, "copying the %s", what);
        return 0;
    }
    return 1;
}

/* 1: applied; -1: bad value (nothing changed); 0: out of memory. */
static int apply(IOTSAFE_PROV_CTX *ctx, int which, const char *v)
{
    iotsafe_prov_cfg *cfg = &ctx->cfg;
    uint8_t buf[IOTSAFE_AID_MAX];
    size_t n = 0;
    int b;
    switch (which) {
    case CFG_READER:
        return set_string(ctx, &cfg->reader, v, "reader name");
    case CFG_AID:
        if (iotsafe_hex_parse(v, " :", buf, sizeof(buf), &n) < 0 || n < 5)
            return -1;
        memcpy(cfg->aid, buf, n);
        cfg->aid_len = n;
        return 1;
    case CFG_CLA:
        if (strcmp(v, "auto") == 0)
            cfg->cla = IOTSAFE_CLA_AUTO;
        else if (strcmp(v, "proprietary") == 0)
            cfg->cla = IOTSAFE_CLA_PROPRIETARY;
        else if (strcmp(v, "interindustry") == 0)
            cfg->cla = IOTSAFE_CLA_INTERINDUSTRY;
        else
            return -1;
        return 1;
    case CFG_CHANNEL:
        if (strcmp(v, "logical") == 0)
            cfg->basic_channel = 0;
        else if (strcmp(v, "basic") == 0)
            cfg->basic_channel = 1;
        else
            return -1;
        return 1;
    case CFG_TRACE:
    case CFG_RAND:
    case CFG_VERIFY_SIGNATURES:
        if (parse_bool(v, &b) < 0)
            return -1;
        *(which == CFG_TRACE  ? &cfg->trace
          : which == CFG_RAND ? &cfg->rand
                              : &cfg->verify_signatures) = b;
        return 1;
    case CFG_DH_PEER_SLOT: {
        uint8_t id[IOTSAFE_ID_MAX];
        if (iotsafe_hex_parse(v, " :", id, sizeof(id), &n) < 0 || n == 0)
            return -1;
        memcpy(cfg->dh_peer_slot, id, n);
        cfg->dh_peer_slot_len = n;
        return 1;
    }
    case CFG_MODEM:
        return set_string(ctx, &cfg->modem, v, "modem device name");
    case CFG_MODEM_MODE:
        if (strcmp(v, "csim") == 0)
            cfg->modem_mode = IOTSAFE_AT_CSIM;
        else if (strcmp(v, "cgla") == 0)
            cfg->modem_mode = IOTSAFE_AT_CGLA;
        else
            return -1;
        return 1;
    case CFG_TIMEOUT:
        if (parse_seconds(v, &cfg->timeout_ms) < 0)
            return -1;
        return 1;
    case CFG_CHANNEL_EXHAUSTED:
        if (strcmp(v, "auto") == 0)
            cfg->on_exhausted = IOTSAFE_EXHAUSTED_AUTO;
        else if (strcmp(v, "fail") == 0)
            cfg->on_exhausted = IOTSAFE_EXHAUSTED_FAIL;
        else if (strcmp(v, "basic") == 0)
            cfg->on_exhausted = IOTSAFE_EXHAUSTED_BASIC;
        else
            return -1;
        return 1;
    default:
        return -1;
    }
}

/* Remember a bad setting (appended, escaped: the value is the user's text). */
static void bad_setting(IOTSAFE_PROV_CTX *ctx, int which, const char *v, const char *origin)
{
    char e[96];
    size_t used = strlen(ctx->bad_config);
    snprintf(ctx->bad_config + used, sizeof(ctx->bad_config) - used, "%sbad value '%s' for %s (%s)",
             used > 0 ? "; " : "", iotsafe_escape_str(v, e, sizeof(e)), origin,
             cfg_names[which].expect);
}

int iotsafe_prov_cfg_load(IOTSAFE_PROV_CTX *ctx, const OSSL_DISPATCH *in)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    const char *vals[CFG_N] = {NULL};
    OSSL_PARAM params[CFG_N + 1];

    for (; in != NULL && in->function_id != 0; in++)
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            get_params = OSSL_FUNC_core_get_params(in);

    ctx->cfg.cla = IOTSAFE_CLA_AUTO;
    ctx->cfg.verify_signatures = 1;
    ctx->bad_config[0] = '\0';
    for (int i = 0; i < CFG_N; i++)
        params[i] = OSSL_PARAM_construct_utf8_ptr(cfg_names[i].key, (char **)&vals[i], 0);
    params[CFG_N] = OSSL_PARAM_construct_end();
    /* One call fetches every key of our section; absent keys stay NULL. */
    if (get_params != NULL && !get_params(ctx->handle, params))
        for (int i = 0; i < CFG_N; i++)
            vals[i] = NULL;

    for (int i = 0; i < CFG_N; i++) {
        const char *env = getenv(cfg_names[i].env);
        const char *v = NULL;
        char origin[96];
        /* An empty environment variable means "not set", so tests can unset by exporting "". */
        if (env != NULL && env[0] != '\0') {
            snprintf(origin, sizeof(origin), "environment variable %s", cfg_names[i].env);
            v = env;
        } else if (vals[i] != NULL && vals[i][0] != '\0') {
            snprintf(origin, sizeof(origin), "'%s' in the provider's config section",
                     cfg_names[i].key);
            v = vals[i];
        }
        if (v == NULL)
            continue;
        int r = apply(ctx, i, v);
        if (r == 0)
            return 0;
        if (r < 0)
            bad_setting(ctx, i, v, origin);
    }
    return 1;
}

int iotsafe_prov_usable(const IOTSAFE_PROV_CTX *ctx)
{
    if (ctx == NULL)
        return 0;
    if (ctx->bad_config[0] == '\0')
        return 1;
    IPROV_ERR(ctx, IOTSAFE_R_BAD_CONFIG, "%s; the IoT SAFE provider is unusable until this is fixed",
              ctx->bad_config);
    return 0;
}

static void free_handles(IOTSAFE_PROV_CTX *ctx, int discard)
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

void iotsafe_prov_ctx_free(IOTSAFE_PROV_CTX *ctx)
{
    if (ctx == NULL)
        return;
    /* In a forked child the handles belong to the parent's PC/SC context. */
    free_handles(ctx, getpid() != atomic_load(&ctx->pid));
    pthread_mutex_destroy(&ctx->lock);
    OSSL_LIB_CTX_free(ctx->libctx);
    free(ctx->cfg.reader);
    free(ctx->cfg.modem);
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
static void check_fork(IOTSAFE_PROV_CTX *ctx)
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
static iotsafe_rc card_acquire(IOTSAFE_PROV_CTX *ctx, const char *reader, iotsafe_card **out,
                               iotsafe_status *st)
{
    const char *sel = reader != NULL ? reader : ctx->cfg.reader != NULL ? ctx->cfg.reader : "";
    if (ctx->cfg.modem != NULL)
        sel = ""; /* one modem, one card: reader selectors do not apply */
    iotsafe_config cfg;
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
    iotsafe_config_init(&cfg);
    if (ctx->cfg.aid_len > 0) {
        cfg.aid = ctx->cfg.aid;
        cfg.aid_len = ctx->cfg.aid_len;
    }
    cfg.cla = ctx->cfg.cla;
    cfg.basic_channel = ctx->cfg.basic_channel;
    cfg.trace = ctx->cfg.trace;
    cfg.timeout_ms = ctx->cfg.timeout_ms;
    cfg.on_exhausted = ctx->cfg.on_exhausted;
    /* Opening under the lock keeps two threads from racing to open the same reader. */
    if (ctx->cfg.modem != NULL) {
        const iotsafe_at_options at = {.mode = ctx->cfg.modem_mode};
        rc = iotsafe_card_open_at(&cfg, ctx->cfg.modem, &at, &card, st);
    } else {
        rc = iotsafe_card_open(&cfg, sel[0] != '\0' ? sel : NULL, &card, st);
    }
    if (rc == IOTSAFE_OK) {
        struct iotsafe_prov_card *n = realloc(ctx->cards, (ctx->ncards + 1) * sizeof(*n));
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
        ctx->cards[ctx->ncards] = (struct iotsafe_prov_card){s, card, 1, 0};
        ctx->ncards++;
        *out = card;
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
static void card_release(IOTSAFE_PROV_CTX *ctx, iotsafe_card *card, int retire)
{
    iotsafe_card *dead = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->ncards; i++) {
        struct iotsafe_prov_card *e = &ctx->cards[i];
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

void iotsafe_prov_flush_caches(IOTSAFE_PROV_CTX *ctx)
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
           rc == IOTSAFE_E_CARD_REMOVED || rc == IOTSAFE_E_CARD_RESET ||
           rc == IOTSAFE_E_TRANSPORT;
}

iotsafe_rc iotsafe_prov_card_run(IOTSAFE_PROV_CTX *ctx, const char *reader,
                                 iotsafe_prov_card_op *op, void *arg, iotsafe_status *st)
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
