/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider context, the one place with mutable state: its settings
 * (config.h) and its table of lazily opened card handles (provctx.c).
 */
#ifndef IPROV_PROVCTX_H
#define IPROV_PROVCTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/types.h>

#include "config.h"
#include "iotsafe/iotsafe.h"

#define IPROV_NAME "IoT SAFE provider"
#define IPROV_PROPS "provider=iotsafe"

struct iprov_card;        /* one open handle, see provctx.c */
struct iprov_keyref_memo; /* a key-file load in progress, see decoder.c */

/*
 * The provider context: the ONE place with mutable state. Everything else
 * (key objects, operation contexts) hangs off it. The card table is guarded
 * by lock; a card handle itself serialises its APDU sequences.
 */
typedef struct iprov_ctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_LIB_CTX *libctx; /* child of the application's libctx: digests, EC math */
    OSSL_FUNC_core_new_error_fn *core_new_error;
    OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
    OSSL_FUNC_core_vset_error_fn *core_vset_error;
    iprov_cfg cfg;
    /*
     * Bad settings, "" if none. Not raised at load (OpenSSL 3.0 drops errors
     * raised while it loads the config, and the provider would vanish
     * silently): the provider loads, reports status 0, and every operation
     * fails with this text. Written once at init.
     */
    char bad_config[512];
    /* The settings given and where from ("" if none), for the debug log. Written once at init. */
    char settings[768];
    /* debug.c: where the debug log and the APDU trace go when `trace` names a file (else stderr) */
    FILE *log;
    atomic_int settings_logged; /* the debug log has shown the settings (first card use) */

    pthread_mutex_t lock;
    _Atomic pid_t pid;                      /* owner of the handles below (checked before lock) */
    struct iprov_card *cards;               /* open handles: live ones keyed by reader selector, */
    size_t ncards;                          /* and failed ones still in use (freed by last user) */
    struct iprov_keyref_memo *keyref_memos; /* keys of PEM key files being decoded */
} IPROV_CTX;

/* ---- provctx.c ---- */

void iprov_ctx_free(IPROV_CTX *ctx);

/* One card operation: run with a handle, may be retried on a fresh handle. */
typedef iotsafe_rc iprov_card_op(iotsafe_card *card, void *arg, iotsafe_status *st);

/*
 * Run op on the card for reader (NULL: the configured reader, else the first
 * reader with the applet). Handles are opened on first use and kept, one per
 * reader selector; after fork() the inherited ones are discarded and
 * reopened. If the handle is dead (daemon restarted, card swapped, ...) it
 * is retired, freed once no other thread uses it, and the next operation
 * opens a new one. No retry here: libiotsafe is the one retry layer (it
 * re-runs a call after a reset or removal only when nothing that changes
 * the card went out).
 */
iotsafe_rc iprov_card_run(IPROV_CTX *ctx, const char *reader, iprov_card_op *op, void *arg,
                          iotsafe_status *st);

/*
 * Drop the cached object list and public keys of every open handle: after
 * the card changed (key generation), a handle opened under another reader
 * selector may point at the same card and must not serve the old key.
 */
void iprov_flush_caches(IPROV_CTX *ctx);

#endif
