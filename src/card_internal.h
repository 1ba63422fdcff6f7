/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of libiotsafe share: the card handle and the APDU helpers. */
#ifndef IOTSAFE_CARD_INTERNAL_H
#define IOTSAFE_CARD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iotsafe/iotsafe.h"

/* Accumulated answer of one command (GET RESPONSE chains included). */
#define CARD_RESP_MAX 1024
#define CARD_PUBCACHE_MAX 16
#define CARD_AID_MAX 16
#define CARD_DESC_MAX 160 /* "private key id=<hex> (<label escaped, cut at 63>)" */

/* Redaction flags for the APDU trace. */
enum { CARD_REDACT_CMD = 1, CARD_REDACT_RESP = 2 };

typedef struct card_pub_entry {
    int is_label;
    uint8_t ref[IOTSAFE_LABEL_MAX];
    size_t ref_len;
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len;
} card_pub_entry;

/* Deadlines (ms) when the `timeout` setting is not given; see doc/provider.md. */
#define CARD_TIMEOUT_READ_MS 5000    /* SELECT, MANAGE CHANNEL, reads, INITs, GET RANDOM */
#define CARD_TIMEOUT_CRYPTO_MS 10000 /* signature, verification, DH, PRF/HKDF, PUT PUBLIC KEY */
#define CARD_TIMEOUT_KEYGEN_MS 60000 /* GENERATE KEY PAIR */
#define CARD_TIMEOUT_WAIT_MS 30000   /* waiting for the reader (another process holds it) */
#define CARD_EXIT_TIMEOUT_MS 2000    /* closing channels at exit */
/* After 6A81 (no free channel), ask for a logical channel again at most this often. */
#define CARD_CHANNEL_RETRY_MS 1000

/* A process as shared records name it (owner.c). */
typedef struct card_owner {
    long pid;                 /* in its PID namespace */
    unsigned long long start; /* start time, clock ticks since boot; 0: unknown */
    unsigned long long ns;    /* PID namespace (inode of /proc/self/ns/pid); 0: unknown */
} card_owner;

/* What this process knows of itself, to judge records (owner.c). */
typedef struct card_self {
    unsigned long long ns;
    int proc_mine; /* /proc shows our PID namespace (start times can be compared) */
} card_self;

#define IOTSAFE_STATE_DIR_DEFAULT "/run/iotsafe"

/* The shared-state directory of one handle (statedir.c). */
typedef struct card_state {
    int dirfd;      /* the checked directory (O_PATH); -1: no shared state */
    gid_t gid;      /* its group: the trust boundary */
    char key[17];   /* this card's files: channels-KEY, turn-KEY */
    char dir[160];  /* escaped path, for messages */
    char what[640]; /* "DIR (group G)" or "none (why)", for the debug log */
    card_self me;
} card_state;

typedef struct card_turnstile card_turnstile;

struct iotsafe_card {
    pthread_mutex_t lock; /* guards the ticket counters only (card_lock) */
    pthread_cond_t turn;
    unsigned long next_ticket, serving;
    iotsafe_transport *t;
    char reader[128]; /* escaped transport description, for messages */
    uint8_t aid[CARD_AID_MAX];
    size_t aid_len;
    iotsafe_cla_style cla_style;
    int cla_inter;       /* current IoT SAFE CLA is 0N (else 8N) */
    int cla_resolved;    /* AUTO: the card has accepted one of the two */
    int use_channel;     /* config: open a logical channel */
    int channel_refused; /* MANAGE CHANNEL failed once: stay on channel 0 */
    uint8_t channel;
    int channel_opened; /* we own an open logical channel */
    int selected;
    int strict_sessions; /* card refuses INIT on an open session: close every time */
    int sig33_one_byte;  /* the card answers "33 40": use that form for VERIFY */
    uint8_t sign_session;
    size_t read_chunk;
    int trace;
    FILE *trace_out; /* the caller's; NULL: stderr */
    atomic_ulong apdu_count;
    iotsafe_object *objs;
    size_t n_objs;
    int objs_valid;
    card_pub_entry pubs[CARD_PUBCACHE_MAX];
    size_t n_pubs;
    /* channel lifecycle (channels.c) */
    iotsafe_card *reg_next; /* registry of handles owning a channel */
    pid_t owner_pid;        /* process that opened the channel */
    int exiting;            /* atexit closed the channel: stay on what is left */
    int closing_final;      /* closing channels at exit: every APDU gets CARD_EXIT_TIMEOUT_MS */
    uint8_t stale_channel;  /* ours, but left open by a command that timed out: close first */
    int basic_fallback;     /* card out of channels: sharing the basic channel, SELECT each time */
    long channel_retry_at;  /* after a 6A81: no MANAGE CHANNEL before this (monotonic ms) */
    int channel_lost;       /* the card answered 6881 on our channel: someone closed it */
    int state_timeout;      /* the deadline passed waiting for a shared file (st names it) */
    /* shared with the other processes of the group (statedir.c) */
    card_state state;
    int rec_fd;            /* the channel record (chanrec.c); -1: none */
    card_turnstile *queue; /* the fair queue (turnstile.c); NULL: none */
    iotsafe_channel_exhausted on_exhausted;
    unsigned long timeout_ms; /* 0: per command class */
    /* what the running operation is doing, for messages and the retry rule */
    int unsafe_sent; /* a command that changes the card went out in this attempt */
    uint8_t last_ins;
    char cur_obj[CARD_DESC_MAX];
};

typedef struct card_apdu {
    uint8_t ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    int le;          /* -1: none; 1..256 (256 is sent as 00) */
    unsigned redact; /* CARD_REDACT_* */
} card_apdu;

typedef struct card_resp {
    uint8_t data[CARD_RESP_MAX];
    size_t len;
    uint16_t sw;
    unsigned apdus; /* APDUs the exchange took (6Cxx resends and GET RESPONSE included) */
} card_resp;

/* One sequence run under the card mutex and a transport transaction. */
typedef iotsafe_rc (*card_op_fn)(iotsafe_card *c, void *arg, iotsafe_status *st);

/* card.c */
iotsafe_rc card_run(iotsafe_card *c, card_op_fn op, void *arg, iotsafe_status *st);
void card_flush_locked(iotsafe_card *c);
const card_pub_entry *card_pub_get(const iotsafe_card *c, const iotsafe_ref *ref);
void card_pub_put(iotsafe_card *c, const iotsafe_ref *ref, const uint8_t *point, size_t len);
void card_pub_drop(iotsafe_card *c, const iotsafe_ref *ref);

/* apdu.c */
int card_sw_ok(uint16_t sw);
uint8_t card_cla(int interindustry, uint8_t channel);
iotsafe_rc card_exchange(iotsafe_card *c, const card_apdu *a, card_resp *r, iotsafe_status *st);
iotsafe_rc card_exchange_iso(iotsafe_card *c, uint8_t cla, const card_apdu *a, card_resp *r,
                             iotsafe_status *st);
/* One command whose only acceptable answers are 9000/91xx: names it (card_ctx), sends it and
   turns any other status word into card_sw_fail's error. */
iotsafe_rc card_command(iotsafe_card *c, const card_apdu *a, card_resp *r, const char *cmd,
                        const char *obj, iotsafe_status *st);
iotsafe_rc card_open_channel_and_select(iotsafe_card *c, iotsafe_status *st);
void card_close_channel(iotsafe_card *c);
/* The handle goes away (free, exit): close its channels in a transaction of their own, with
   the short exit deadline. The caller holds the card lock. */
void card_close_channel_final(iotsafe_card *c);
/* Error for a failing SW: 6A82 -> NOT_FOUND, 6985/6982 -> USAGE, 6D01 -> SIG_MISMATCH. */
iotsafe_rc card_sw_fail(iotsafe_status *st, uint16_t sw, const char *cmd, const char *obj);
iotsafe_rc card_malformed(iotsafe_status *st, uint16_t sw, const char *cmd, const char *obj,
                          const char *what);
/*
 * Name the command (a static string) and the object (may be NULL) that the
 * next APDUs belong to: an answer the APDU layer rejects (no status word,
 * too long, endless 61xx) is then reported as "CMD on OBJ in reader 'R':
 * malformed card answer: ...". card_run sets the reader. NULL st is fine.
 */
void card_ctx(iotsafe_status *st, const char *cmd, const char *obj);

/* objects.c */
iotsafe_rc objects_load(iotsafe_card *c, iotsafe_status *st);
iotsafe_rc objects_find_locked(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref,
                               iotsafe_object *out, iotsafe_status *st);
/* The public key that pairs with private key p in the loaded list (the one rule), or NULL. */
const iotsafe_object *objects_pair_locked(const iotsafe_card *c, const iotsafe_object *p);
/* "private key id=01 (DEVKEY)" using the cached list only. */
const char *card_obj_desc(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref, char *buf,
                          size_t len);

/* refs.c */
iotsafe_rc card_check_ref(const iotsafe_ref *ref, const char *what, iotsafe_status *st);
void card_put_ref(iotsafe_tlv_writer *w, uint8_t id_tag, uint8_t label_tag, const iotsafe_ref *ref);
int ref_equal_bytes(const iotsafe_ref *ref, const uint8_t *id, size_t id_len, const uint8_t *label,
                    size_t label_len);

/* sign.c: INIT that copes with a card in strict session policy. */
iotsafe_rc session_init(iotsafe_card *c, uint8_t ins, uint8_t session, const uint8_t *data,
                        size_t len, const char *cmd, const char *obj, iotsafe_status *st);
void session_close(iotsafe_card *c, uint8_t ins, uint8_t session);

/* keys.c */
iotsafe_rc keys_put_public_locked(iotsafe_card *c, const iotsafe_ref *pub, const uint8_t *point,
                                  size_t point_len, iotsafe_status *st);
iotsafe_rc keys_parse_point(const uint8_t *buf, size_t len, uint8_t *point, size_t *point_len);

/* owner.c: who owns a shared record, and when that owner is provably gone */
int owner_provably_dead(const card_owner *o, const card_self *me);
void owner_probe_self(card_self *me);
void owner_self(const card_self *me, card_owner *o);

/* statedir.c: the shared-state directory and its trust boundary (see there) */
void statedir_open(card_state *s, const char *dir, const iotsafe_transport *t);
void statedir_close(card_state *s);
/* "DIR/PREFIX-KEY", escaped, for messages */
void statedir_name(const card_state *s, const char *prefix, char *out, size_t cap);
/* fd of PREFIX-KEY (created empty when create); -1: unusable (why says so); -2: missing */
int statedir_file(const card_state *s, const char *prefix, int create, char *why, size_t cap);
/* Put a fresh PREFIX-KEY in place (written by init under a temporary name, then renamed). */
int statedir_publish(const card_state *s, const char *prefix, int (*init)(int fd), char *why,
                     size_t cap);
/* Open-file-description locks (they belong to an open file, not a process, and go when their
   holder dies, whatever its PID namespace): take or drop one (F_OFD_SETLK, never waits); 1 when
   another open file holds one in [start, start+len) (or when that cannot be told). */
int statedir_lock(int fd, off_t start, off_t len, short type);
int statedir_locked_elsewhere(int fd, off_t start, off_t len);
/* 1 while PREFIX-KEY is still fd's file and has this size */
int statedir_same_file(const card_state *s, const char *prefix, int fd, off_t size);

/* chanrec.c: the record of channel owners, per card */
typedef struct chanrec_line {
    unsigned ch; /* logical channel 1..19 */
    card_owner owner;
} chanrec_line;
size_t chanrec_parse(const char *buf, size_t len, chanrec_line *l, size_t cap);
int chanrec_open(iotsafe_card *c, char *why, size_t cap);
void chanrec_close(iotsafe_card *c);
/* IOTSAFE_E_TIMEOUT (st names the file) when the record stays locked past wait_ms */
iotsafe_rc chanrec_claim(iotsafe_card *c, uint8_t ch, unsigned long wait_ms, iotsafe_status *st);
void chanrec_release(iotsafe_card *c, uint8_t ch);
iotsafe_rc chanrec_reap(iotsafe_card *c, uint8_t *out, size_t cap, size_t *got,
                        unsigned long wait_ms, iotsafe_status *st);
/* After a card reset or removal every channel is gone: drop the lines nobody holds a lock for
   (their channel numbers now belong to whoever the card gives them to next). */
void chanrec_forget_unlocked(iotsafe_card *c);
/* re-check right before closing a reaped channel: nobody holds its lock */
int chanrec_still_free(const iotsafe_card *c, uint8_t ch);

/* channels.c: the registry of handles owning a channel (closed at exit), card locks */
void chanreg_add(iotsafe_card *c);
void chanreg_remove(iotsafe_card *c);
void card_lock_init(iotsafe_card *c);
void card_lock_destroy(iotsafe_card *c);
void card_lock(iotsafe_card *c);
void card_unlock(iotsafe_card *c);
int card_lock_timed(iotsafe_card *c, long ms);
void card_establish_lock(void);
void card_establish_unlock(void);

/* turnstile.c: fair turns at one card between processes (see there) */
card_turnstile *turnstile_open(const card_state *s, char *why, size_t cap);
/* 1: our turn; 0: no queue usable now (go on without); -1: the deadline passed */
int turnstile_enter(card_turnstile *ts, unsigned long timeout_ms);
void turnstile_renew(card_turnstile *ts, unsigned long ms); /* the next command's deadline */
void turnstile_leave(card_turnstile *ts);
void turnstile_close(card_turnstile *ts);

/* sharing.c: shared state of a handle (all of it, or none: c->state.what says why), and a
   transaction at the card: our fair turn, then the transport's */
void card_shared_open(iotsafe_card *c, const char *dir);
void card_shared_close(iotsafe_card *c);
iotsafe_rc card_begin(iotsafe_card *c, iotsafe_status *st);
void card_end(iotsafe_card *c);

/* transport_pcsc.c: connect, waiting at most wait_ms for the reader */
iotsafe_rc pcsc_open_deadline(const char *reader_name, unsigned long wait_ms,
                              iotsafe_transport **out, iotsafe_status *st);
/* transport_pcsc.c: 1 when one of the readers NAMES (a multi-string; only the one at ONLY, a
   pointer into NAMES, unless NULL) has a card now, or gets one within max_ms while pcscd has
   seen no card event in any of them since it started; else 0 */
int pcsc_wait_first_card(const char *names, const char *only, unsigned long max_ms);

/* apdu.c: command names, deadline class and retry safety by INS */
const char *card_ins_name(uint8_t ins);
int card_ins_resendable(uint8_t ins);
unsigned long card_ins_timeout_ms(const iotsafe_card *c, uint8_t ins);

/* trace.c */
void trace_apdu(const iotsafe_card *c, int outgoing, const uint8_t *p, size_t len, unsigned redact);

#endif
