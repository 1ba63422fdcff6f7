/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iotsafe-pkcs11: a PKCS#11 module on libiotsafe. Internal interfaces of its
 * parts: module.c (the module's state: the one place of mutable globals,
 * initialisation, fork), settings.c, log.c, slots.c, sessions.c, objects.c,
 * attributes.c, sign.c, derive.c, keygen.c, random.c, verify.c.
 */
#ifndef P11_H
#define P11_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <p11-kit/pkcs11.h>

#include "iotsafe/iotsafe.h"

#define P11_MAX_SLOTS 16
#define P11_MAX_SESSIONS 256
#define P11_OBJ_MAX 64

/* One card object as the module shows it (token objects) or a derived secret (session objects). */
typedef struct p11_obj {
    CK_OBJECT_HANDLE handle;
    CK_OBJECT_CLASS cls;
    iotsafe_object card; /* the card's object (private key, public key or file) */
    uint8_t ck_id[IOTSAFE_ID_MAX];
    size_t ck_id_len; /* CKA_ID: the key's container ID (a certificate: its key's) */
    iotsafe_curve curve;
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len; /* keys: the public point (0: unknown) */
    uint8_t *value;   /* certificate DER, or a session secret */
    size_t value_len;
    uint16_t hashes;            /* private keys: the hashes the card allows (0: any) */
    int sensitive, extractable; /* session secrets: as the template asked */
    CK_BBOOL token;             /* CK_TRUE: a card object */
    CK_KEY_TYPE key_type;       /* session secrets: CKK_GENERIC_SECRET or CKK_AES */
} p11_obj;

/* A slot: one PC/SC reader, or the configured modem. */
typedef struct p11_slot {
    char *reader; /* PC/SC reader name, or the modem device */
    int is_modem;
    int listed;               /* the reader is in pcscd's current list */
    pthread_mutex_t lock;     /* card handle and objects */
    iotsafe_card *card;       /* NULL: not open */
    unsigned long generation; /* bumped when the card goes: its sessions end */
    p11_obj objs[P11_OBJ_MAX];
    size_t nobjs;
    int objs_valid;
    CK_OBJECT_HANDLE next_handle;
    char serial[17];
} p11_slot;

typedef enum p11_op_kind { P11_OP_NONE = 0, P11_OP_SIGN } p11_op_kind;

typedef struct p11_session {
    CK_SESSION_HANDLE handle; /* 0: free */
    CK_SLOT_ID slot;
    unsigned long generation;
    CK_FLAGS flags;
    int logged_in;
    /* C_FindObjects state */
    CK_OBJECT_HANDLE *found;
    size_t nfound, found_pos;
    int finding;
    /* C_Sign* state */
    p11_op_kind op;
    CK_MECHANISM_TYPE mech;
    CK_OBJECT_HANDLE key;
    void *md; /* EVP_MD_CTX for CKM_ECDSA_SHA*, else NULL */
    int multipart;
    /* session objects (derived secrets) */
    p11_obj *sobjs;
    size_t nsobjs;
} p11_session;

/* module.c: the module's state. */
typedef struct p11_module {
    pthread_mutex_t lock; /* slots[] membership and sessions[] */
    int initialized;
    pid_t pid;
    iotsafe_options opts;
    FILE *log; /* trace and messages when `trace` names a file; NULL: stderr */
    p11_slot slots[P11_MAX_SLOTS];
    size_t nslots;
    p11_session sessions[P11_MAX_SESSIONS];
    CK_SESSION_HANDLE next_session;
    CK_OBJECT_HANDLE next_session_obj;
} p11_module;

extern p11_module p11_g;

/* Entry guard: CKR_OK when initialised in this process (a forked child must C_Initialize). */
CK_RV p11_ready(void);

/* settings.c: environment over the module's file; a bad setting said once. */
CK_RV p11_settings_load(iotsafe_options *o);
/* The lines of a module file (text, len bytes) named name in messages; for the loader and fuzzing. */
CK_RV p11_settings_parse(iotsafe_options *o, const char *text, size_t len, const char *name);

/* log.c: one escaped line, "iotsafe-pkcs11: ..." on stderr (or the trace file). */
void p11_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With `trace = debug`: "iotsafe-pkcs11: debug: [PID] ..." (what the module did and why). */
void p11_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a libiotsafe failure to a CKR, saying st's message (what, object, reader, status word). */
CK_RV p11_card_error(iotsafe_rc rc, const iotsafe_status *st);
/* Space-padded copy of s into a fixed PKCS#11 text field. */
void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *s);

/* slots.c */
CK_RV p11_slot_get(CK_SLOT_ID id, p11_slot **out);
/* Open the slot's card if needed (slot lock held): CKR_TOKEN_NOT_PRESENT when none answers. */
CK_RV p11_slot_card(p11_slot *s);
/* The card went away or stopped answering (slot lock held): drop it, end its sessions. */
void p11_slot_drop_card(p11_slot *s);
/* After a card call failed (slot lock held): map it, and drop the card when it is gone. */
CK_RV p11_slot_failed(p11_slot *s, iotsafe_rc rc, const iotsafe_status *st);

/* sessions.c: find a session (module lock held). */
p11_session *p11_session_find(CK_SESSION_HANDLE h);
/*
 * Resolve h for an operation: the session (module lock taken; release with
 * p11_session_put) and its slot. CKR_SESSION_HANDLE_INVALID for sessions of
 * a card that went away.
 */
CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **sess, p11_slot **slot);
void p11_session_put(void);
void p11_session_reset_op(p11_session *s);
void p11_session_free_state(p11_session *s);

/* objects.c: the slot's objects (slot lock held). */
CK_RV p11_objects_load(p11_slot *s);
p11_obj *p11_object_find(p11_slot *s, CK_OBJECT_HANDLE h);
/* The public point of a private key, when the card has its public key. */
const p11_obj *p11_object_public_of(const p11_slot *s, const p11_obj *priv);

/* attributes.c */
CK_RV p11_object_attribute(const p11_obj *o, CK_ATTRIBUTE *a);
int p11_object_matches(const p11_obj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* cert.c: X.509 facts of a certificate on the card (OpenSSL). */
/* The certificate's EC public point; 0 when it has none. */
int p11_cert_point(const uint8_t *der, size_t len, uint8_t *point, size_t *point_len);
/* CKA_SUBJECT, CKA_ISSUER or CKA_SERIAL_NUMBER as DER, malloc'ed; CKR_OK or why not. */
CK_RV p11_cert_field(const uint8_t *der, size_t len, CK_ATTRIBUTE_TYPE t, uint8_t **out,
                     size_t *out_len);

/* verify.c: the checks on what the card returns (OpenSSL on the host). */
/* 1: r||s is a valid signature of digest by point; 0: not (said); -1: cannot check (said). */
int p11_verify_signature(iotsafe_curve c, const uint8_t *point, size_t point_len,
                         const uint8_t *digest, size_t dlen, const uint8_t *der, size_t der_len);
/* NULL when z is an ECDH secret of curve c, else why not. */
const char *p11_secret_problem(iotsafe_curve c, const uint8_t *z, size_t z_len);
/* Hash state for CKM_ECDSA_SHA*: new / update / final (out >= 64 bytes). */
void *p11_digest_new(CK_MECHANISM_TYPE mech);
int p11_digest_update(void *md, const uint8_t *p, size_t n);
int p11_digest_final(void *md, uint8_t *out, size_t *len);
void p11_digest_free(void *md);

/* Operations (sign.c, derive.c, keygen.c, random.c) are the C_* functions themselves. */
#endif
