/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the provider's operation files: the provider context
 * (config + lazily opened card handles), error raising, and the dispatch
 * tables each operation file exports to provider.c.
 */
#ifndef IOTSAFE_PROV_PROVIDER_H
#define IOTSAFE_PROV_PROVIDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/types.h>

#include "iotsafe/iotsafe.h"

#define IOTSAFE_PROV_NAME "IoT SAFE provider"
#define IOTSAFE_PROV_PROPS "provider=iotsafe"
#define IOTSAFE_AID_MAX 16

/* Settings from the openssl.cnf section, overridden by environment variables. */
typedef struct iotsafe_prov_cfg {
    char *reader;               /* NULL: first reader whose card has the applet */
    uint8_t aid[IOTSAFE_AID_MAX];
    size_t aid_len;             /* 0: the GSMA AID */
    iotsafe_cla_style cla;
    int basic_channel;
    int trace;
    int rand;                   /* opt-in card RNG (issue 4) */
    int verify_signatures;      /* ECDSA-verify each card signature before release (default 1) */
    uint8_t dh_peer_slot[IOTSAFE_ID_MAX];
    size_t dh_peer_slot_len;    /* 0: first public key with update access */
    char *modem;                /* AT modem device: used instead of PC/SC when set */
    iotsafe_at_mode modem_mode; /* AT+CSIM (default) or AT+CCHO/AT+CGLA */
    unsigned long timeout_ms;   /* `timeout`: every card command's deadline; 0: per class */
    iotsafe_channel_exhausted on_exhausted; /* `channel-exhausted` */
} iotsafe_prov_cfg;

struct iotsafe_prov_card;    /* one open handle, see provctx.c */
struct iotsafe_keyref_memo;  /* a key-file load in progress, see decoder.c */

/*
 * The provider context: the ONE place with mutable state. Everything else
 * (key objects, operation contexts) hangs off it. The card table is guarded
 * by lock; a card handle itself serialises its APDU sequences.
 */
typedef struct iotsafe_prov_ctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_LIB_CTX *libctx; /* child of the application's libctx: digests, EC math */
    OSSL_FUNC_core_new_error_fn *core_new_error;
    OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
    OSSL_FUNC_core_vset_error_fn *core_vset_error;
    iotsafe_prov_cfg cfg;
    /*
     * Bad settings, "" if none. Not raised at load (OpenSSL 3.0 drops errors
     * raised while it loads the config, and the provider would vanish
     * silently): the provider loads, reports status 0, and every operation
     * fails with this text. Written once at init.
     */
    char bad_config[512];

    pthread_mutex_t lock;
    _Atomic pid_t pid;                /* owner of the handles below (checked before lock) */
    struct iotsafe_prov_card *cards;  /* open handles: live ones keyed by reader selector, */
    size_t ncards;                    /* and failed ones still in use (freed by last user) */
    struct iotsafe_keyref_memo *keyref_memos; /* keys of PEM key files being decoded */
} IOTSAFE_PROV_CTX;

/* ---- provctx.c ---- */

/*
 * Fill cfg from the core's config (one core_get_params call) and env vars.
 * Bad values are recorded in ctx->bad_config, not raised; 0 only when out
 * of memory.
 */
int iotsafe_prov_cfg_load(IOTSAFE_PROV_CTX *ctx, const OSSL_DISPATCH *in);

/*
 * 1 if the provider's settings are good; else raise the bad settings
 * (IOTSAFE_R_BAD_CONFIG) and return 0. Every operation starts with it.
 */
int iotsafe_prov_usable(const IOTSAFE_PROV_CTX *ctx);
void iotsafe_prov_ctx_free(IOTSAFE_PROV_CTX *ctx);

/* One card operation: run with a handle, may be retried on a fresh handle. */
typedef iotsafe_rc iotsafe_prov_card_op(iotsafe_card *card, void *arg, iotsafe_status *st);

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
iotsafe_rc iotsafe_prov_card_run(IOTSAFE_PROV_CTX *ctx, const char *reader,
                                 iotsafe_prov_card_op *op, void *arg, iotsafe_status *st);


/*
 * Drop the cached object list and public keys of every open handle: after
 * the card changed (key generation), a handle opened under another reader
 * selector may point at the same card and must not serve the old key.
 */
void iotsafe_prov_flush_caches(IOTSAFE_PROV_CTX *ctx);

/* ---- error.c ---- */

enum iotsafe_prov_reason {
    IOTSAFE_R_INTERNAL = 1,
    IOTSAFE_R_MALLOC,
    IOTSAFE_R_BAD_CONFIG,
    IOTSAFE_R_BAD_URI,
    IOTSAFE_R_BAD_KEYREF,
    IOTSAFE_R_NO_SERVICE,
    IOTSAFE_R_NO_READER,
    IOTSAFE_R_NO_CARD,
    IOTSAFE_R_CARD_REMOVED,
    IOTSAFE_R_NO_APPLET,
    IOTSAFE_R_CARD_ERROR,
    IOTSAFE_R_OBJECT_NOT_FOUND,
    IOTSAFE_R_WRONG_USAGE,
    IOTSAFE_R_UNSUPPORTED_CURVE,
    IOTSAFE_R_UNSUPPORTED_DIGEST,
    IOTSAFE_R_NOT_A_PRIVATE_KEY,
    IOTSAFE_R_PRIVATE_KEY_EXPORT,
    IOTSAFE_R_BAD_ARGUMENT,
    IOTSAFE_R_BUFFER_TOO_SMALL,
    IOTSAFE_R_BAD_PUBLIC_KEY,
    IOTSAFE_R_OPERATION_FAILED,
    IOTSAFE_R_MALFORMED_ANSWER,
    IOTSAFE_R_INVALID_SIGNATURE,
    IOTSAFE_R_INVALID_SECRET,
    IOTSAFE_R_TIMEOUT,
};

const OSSL_ITEM *iotsafe_prov_reason_strings(void);

/* Raise an error on the application's error queue through the core upcalls. */
void iotsafe_prov_raise(const IOTSAFE_PROV_CTX *ctx, const char *file, int line, const char *func,
                        int reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Raise the error a libiotsafe call reported (its message names the object and the SW). */
void iotsafe_prov_raise_status(const IOTSAFE_PROV_CTX *ctx, const char *file, int line,
                               const char *func, const iotsafe_status *st);
int iotsafe_prov_reason_for_rc(iotsafe_rc rc);

#define IPROV_ERR(ctx, reason, ...) \
    iotsafe_prov_raise((ctx), __FILE__, __LINE__, __func__, (reason), __VA_ARGS__)
#define IPROV_ERR_ST(ctx, st) iotsafe_prov_raise_status((ctx), __FILE__, __LINE__, __func__, (st))

/* ---- dispatch tables (one file per operation) ---- */
extern const OSSL_DISPATCH iotsafe_ec_keymgmt_functions[];
extern const OSSL_DISPATCH iotsafe_ecdsa_signature_functions[];
extern const OSSL_DISPATCH iotsafe_store_functions[];
extern const OSSL_DISPATCH iotsafe_pem_to_der_decoder_functions[];
extern const OSSL_DISPATCH iotsafe_der_to_ec_decoder_functions[];
extern const OSSL_DISPATCH iotsafe_ec_to_keyref_pem_encoder_functions[];
extern const OSSL_DISPATCH iotsafe_ec_to_keyref_der_encoder_functions[];
extern const OSSL_DISPATCH iotsafe_ec_to_spki_pem_encoder_functions[];
extern const OSSL_DISPATCH iotsafe_ec_to_spki_der_encoder_functions[];
extern const OSSL_DISPATCH iotsafe_ec_to_text_encoder_functions[];

#endif
