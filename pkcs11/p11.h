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
#include <stdatomic.h>
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
    iotsafe_object card;               /* the card's object (private key, public key or file) */
    uint8_t ck_id[IOTSAFE_ID_MAX + 1]; /* an unpaired object: its type, then its ID */
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
    CK_SESSION_HANDLE owner;    /* session secrets: the session that made it (ends with it) */
} p11_obj;

/* Handles of session objects have this bit; token objects' do not. */
#define P11_SESSION_OBJ 0x80000000UL

/* A slot: one PC/SC reader, or the configured modem. */
typedef struct p11_slot {
    char *reader; /* PC/SC reader name, or the modem device */
    int is_modem;
    int listed;           /* the reader is in pcscd's current list (module lock) */
    pthread_mutex_t lock; /* card handle and objects; taken after the module lock, never before */
    iotsafe_card *card;   /* NULL: not open */
    /* Bumped (slot lock held) when the card goes: its sessions end. Read without the lock. */
    atomic_ulong generation;
    uint64_t
        said; /* hash of the last failure said for this slot's card: polling does not repeat it */
    p11_obj objs[P11_OBJ_MAX];
    size_t nobjs;
    int objs_valid;
    CK_OBJECT_HANDLE next_handle;
    char serial[17];
} p11_slot;

typedef enum p11_op_kind { P11_OP_NONE = 0, P11_OP_SIGN } p11_op_kind;

/*
 * A session. An operation pins it (busy) and works without the module lock;
 * C_CloseSession of a busy session only unlists it (handle 0, closing) and the
 * last unpin frees it. The PKCS#11 rule that one session runs one call at a
 * time is the program's to keep; the pin makes a close from another thread safe.
 */
typedef struct p11_session {
    CK_SESSION_HANDLE handle; /* 0: free, or closing */
    unsigned busy;            /* pins (module lock) */
    int closing;
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
    /* session objects (derived secrets) of every session: any session sees them */
    p11_obj *sobjs;
    size_t nsobjs;
    CK_OBJECT_HANDLE next_session_obj;
    /* the slot list of the last C_GetSlotList(NULL) call, which the next call with a list gives */
    CK_SLOT_ID snapshot[P11_MAX_SLOTS];
    CK_ULONG nsnapshot;
    int snapshot_kind; /* 0: none, 1: all slots, 2: slots with a token */
    int said_no_service, said_no_reader_match;
} p11_module;

extern p11_module p11_g;

/* Entry guard: CKR_OK when initialised in this process (a forked child must C_Initialize). */
CK_RV p11_ready(void);

/* settings.c: environment over the module's file; a bad setting said once. */
CK_RV p11_settings_load(iotsafe_options *o);
/* The lines of a module file (text, len bytes) named name in messages; for the loader and fuzzing. */
CK_RV p11_settings_parse(iotsafe_options *o, const char *text, size_t len, const char *name);

/*
 * log.c: one line, "iotsafe-pkcs11: ..." on stderr (or the trace file). The
 * callers escape the untrusted text they put in it (libiotsafe's messages are).
 */
void p11_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With `trace = debug`: "iotsafe-pkcs11: debug: [PID] ..." (what the module did and why). */
void p11_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a libiotsafe failure to a CKR, saying st's message (what, object, reader, status word). */
CK_RV p11_card_error(iotsafe_rc rc, const iotsafe_status *st);
/* The CKR of a libiotsafe failure, saying nothing. */
CK_RV p11_card_rv(iotsafe_rc rc);
/* Space-padded copy of s into a fixed PKCS#11 text field. */
void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *s);

/* slots.c */
CK_RV p11_slot_get(CK_SLOT_ID id, p11_slot **out);
/*
 * Take the slot for a card operation of a session made on card generation gen:
 * slot lock held and the card open on CKR_OK (release with p11_slot_leave);
 * CKR_DEVICE_REMOVED when that card has gone meanwhile.
 */
CK_RV p11_slot_enter(p11_slot *s, unsigned long gen);
void p11_slot_leave(p11_slot *s);
/* The mechanisms (C_GetMechanismList order) and what each does (CKF_SIGN, CKF_DERIVE, ...). */
size_t p11_mechanism_count(void);
CK_MECHANISM_TYPE p11_mechanism_at(size_t i);
CK_FLAGS p11_mechanism_flags(CK_MECHANISM_TYPE m);
/* Open the slot's card if needed (slot lock held): CKR_TOKEN_NOT_PRESENT when none answers. */
CK_RV p11_slot_card(p11_slot *s);
/* The card went away or stopped answering (slot lock held): drop it, end its sessions. */
void p11_slot_drop_card(p11_slot *s);
/* After a card call failed (slot lock held): map it, and drop the card when it is gone. */
CK_RV p11_slot_failed(p11_slot *s, iotsafe_rc rc, const iotsafe_status *st);

/* sessions.c */
/*
 * Resolve h for an operation: the session, pinned (release with
 * p11_session_put; no lock is held meanwhile), and its slot.
 * CKR_SESSION_HANDLE_INVALID for a closed session or one whose card went away.
 */
CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **sess, p11_slot **slot);
void p11_session_put(p11_session *s);
void p11_session_reset_op(p11_session *s);
/* Free a session's state and its session objects (module lock held). */
void p11_session_free_state(p11_session *s);
/* Keep o (its value now the module's) as a session object of s: its handle in *out. */
CK_RV p11_session_add_object(const p11_session *s, p11_obj *o, CK_OBJECT_HANDLE *out);
/* The session object h (module lock held), or NULL. */
p11_obj *p11_session_object(CK_OBJECT_HANDLE h);
/* Forget session object at index i of p11_g.sobjs, its value wiped (module lock held). */
void p11_session_object_remove(size_t i);

/* objects.c: the slot's objects (slot lock held). */
CK_RV p11_objects_load(p11_slot *s);
p11_obj *p11_object_find(p11_slot *s, CK_OBJECT_HANDLE h);
/* The slot's object of class cls for the card object of type t with this ID, or NULL. */
p11_obj *p11_object_by_id(p11_slot *s, CK_OBJECT_CLASS cls, iotsafe_obj_type t, const uint8_t *id,
                          size_t id_len);

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
/* 1 when point is an uncompressed point on curve c (not infinity): a peer may go to the card. */
int p11_point_ok(iotsafe_curve c, const uint8_t *point, size_t len);

/* Operations (sign.c, derive.c, keygen.c, random.c) are the C_* functions themselves. */
#endif
