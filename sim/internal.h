/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal model of the simulated IoT SAFE applet: the object store, the
 * quirk options, channels and sessions. Shared by the simulator sources only.
 */
#ifndef IOTSAFE_SIM_INTERNAL_H
#define IOTSAFE_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "applet.h"

#define SIM_MAX_ID 20
#define SIM_MAX_LABEL 60
#define SIM_MAX_CHANNELS 20
#define SIM_MAX_SESSIONS 16
#define SIM_MAX_AIDS 4
#define SIM_MAX_AID_LEN 16
#define SIM_MAX_FILE_SIZE 65535u
#define SIM_MAX_SECRET 64
#define SIM_PROP_ID_LEN 32
#define SIM_MAX_DATA 256 /* short APDU response data */
#define SIM_EC_LEN 32    /* field/order size of both supported curves */
#define SIM_POINT_LEN 65 /* 04 || X || Y */

/* Status words. */
#define SW_OK 0x9000
#define SW_MORE_DATA 0x6300
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_CHANNEL_NOT_SUPPORTED 0x6881
#define SW_INCOMPATIBLE_FILE 0x6981
#define SW_SECURITY_STATUS 0x6982
#define SW_CONDITIONS 0x6985
#define SW_WRONG_DATA 0x6A80
#define SW_FUNC_NOT_SUPPORTED 0x6A81
#define SW_NOT_FOUND 0x6A82
#define SW_NOT_ENOUGH_MEMORY 0x6A84
#define SW_WRONG_P1P2 0x6A86
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_SIG_MISMATCH 0x6D01
#define SW_CLA_NOT_SUPPORTED 0x6E00
#define SW_UNKNOWN 0x6F00

enum sim_kind { SIM_PRIV = 0, SIM_PUB = 1, SIM_FILE = 2, SIM_SECRET = 3, SIM_KIND_COUNT = 4 };
enum sim_curve { SIM_CURVE_NONE = 0, SIM_CURVE_P256 = 1, SIM_CURVE_BP256 = 2 };

/* Attribute codes of IoT.05 (tables 5.1-5.10). */
#define SIM_ACC_READ 0x01
#define SIM_ACC_UPDATE 0x02
#define SIM_STATE_EMPTY 0x00
#define SIM_STATE_ACTIVE 0x01
#define SIM_FN_SIGN 0x01
#define SIM_FN_KEYGEN 0x02
#define SIM_FN_KA 0x04
#define SIM_FN_KD 0x08
#define SIM_HASH_SHA256 0x0001
#define SIM_HASH_SHA384 0x0002
#define SIM_HASH_SHA512 0x0004
#define SIM_SIG_ECDSA 0x04
#define SIM_KA_ECKA 0x01
#define SIM_KD_PRF 0x01
#define SIM_KD_HKDF 0x02
#define SIM_TYPE_P256 0x13
#define SIM_TYPE_P256_VOLATILE 0x14
#define SIM_TYPE_BP256 0x23
#define SIM_TYPE_BP256_VOLATILE 0x24
#define SIM_TYPE_HMAC 0xA0

typedef struct sim_object {
    int kind;
    uint8_t id[SIM_MAX_ID];
    size_t id_len;
    uint8_t label[SIM_MAX_LABEL];
    size_t label_len;
    uint8_t access;    /* 60 */
    uint8_t state;     /* 4A */
    uint8_t key_type;  /* 4B (keys) */
    uint8_t usage;     /* 4E for keys, 21 for files */
    uint8_t functions; /* 61 */
    uint8_t sig_algs;  /* 92 */
    uint8_t ka_algs;   /* 6F */
    uint8_t kd_algs;   /* 94 (secrets) */
    uint16_t hashes;   /* 91 */
    int curve;
    int is_volatile;
    uint8_t *value; /* private scalar (32) | point (65) | file bytes | secret bytes */
    size_t value_len;
} sim_object;

typedef struct sim_store {
    sim_object *obj;
    size_t n, cap;
} sim_store;

enum sim_cla_mode { SIM_CLA_ANY = 0, SIM_CLA_PROPRIETARY = 1, SIM_CLA_INTERINDUSTRY = 2 };
enum sim_latency {
    SIM_LAT_SELECT = 0,
    SIM_LAT_SIGN,
    SIM_LAT_VERIFY,
    SIM_LAT_KEYGEN,
    SIM_LAT_DH,
    SIM_LAT_RANDOM,
    SIM_LAT_READ,
    SIM_LAT_LIST,
    SIM_LAT_DEFAULT,
    SIM_LAT_COUNT
};

/*
 * Injected faults (option fault=KIND[,KIND...]): malformed answers on purpose,
 * so the host side's strict parsing can be tested through pcscd.
 */
enum sim_fault {
    SIM_FAULT_TRUNCATED_LIST = 1 << 0, /* object list cut in the middle of an object's TLV */
    SIM_FAULT_BAD_PUBKEY = 1 << 1,     /* READ PUBLIC KEY: tag 86 length past the end */
    SIM_FAULT_BAD_SIGNATURE = 1 << 2,  /* signature TLV 33 length past the end */
    SIM_FAULT_SHORT_RANDOM = 1 << 3,   /* GET RANDOM answers fewer bytes than Le asked */
    /* a card that lies: well-formed answers with wrong values (faults.c) */
    SIM_FAULT_SIG_R_ZERO = 1u << 12,       /* signature with r = 0 */
    SIM_FAULT_SIG_S_ZERO = 1u << 13,       /* signature with s = 0 */
    SIM_FAULT_SIG_R_ORDER = 1u << 14,      /* signature with r = n */
    SIM_FAULT_SIG_RANDOM = 1u << 15,       /* random r||s */
    SIM_FAULT_SIG_LONG = 1u << 16,         /* 200 random bytes as r||s */
    SIM_FAULT_SIG_SHORT = 1u << 17,        /* r||s of 62 bytes */
    SIM_FAULT_DH_ZERO = 1u << 18,          /* COMPUTE DH answers 32 zero bytes */
    SIM_FAULT_DH_OFF_CURVE = 1u << 19,     /* COMPUTE DH answers an x of no point on the curve */
    SIM_FAULT_PUBKEY_OFF_CURVE = 1u << 20, /* READ PUBLIC KEY: a point off the curve */
    SIM_FAULT_PUBKEY_SHORT = 1u << 21,     /* READ PUBLIC KEY: 04||X only (33 bytes) */
    SIM_FAULT_KEY_TYPE_UNKNOWN = 1u << 27, /* GET DATA: every EC key's key type (4B) reads 7F */
#define SIM_FAULT_SIG_VALUES                                                                      \
    (SIM_FAULT_SIG_R_ZERO | SIM_FAULT_SIG_S_ZERO | SIM_FAULT_SIG_R_ORDER | SIM_FAULT_SIG_RANDOM | \
     SIM_FAULT_SIG_LONG | SIM_FAULT_SIG_SHORT)
    /* answers of a broken card or reader to COMPUTE SIGNATURE UPDATE (faults.c) */
    SIM_FAULT_ANSWER_ONE_BYTE = 1u << 22, /* one byte, no status word */
    SIM_FAULT_ANSWER_257 = 1u << 23,      /* 257 data bytes + 9000 */
    SIM_FAULT_ANSWER_258 = 1u << 24,      /* 258 data bytes + 9000 */
    SIM_FAULT_ENDLESS_61XX = 1u << 25,    /* 6101, then every GET RESPONSE: 1 byte + 6101 */
    SIM_FAULT_ANSWER_OVER_1K = 1u << 26,  /* 6100, then every GET RESPONSE: 256 bytes + 6100 */
    SIM_FAULT_HANG = 1 << 4,              /* stop answering (the vpcd connection stays up) */
    SIM_FAULT_DROP = 1 << 5,              /* execute, then drop the vpcd connection unanswered */
};
/* Which commands trigger hang/drop: fault-ins (any IoT SAFE command when unset), after
   fault-skip of them went through, fault-count times (0: every time). */

typedef struct sim_options {
    uint8_t aid[SIM_MAX_AIDS][SIM_MAX_AID_LEN];
    size_t aid_len[SIM_MAX_AIDS];
    size_t n_aids;
    int cla_mode;
    int sig_len_bytes;   /* 2: 33 00 40; 1: 33 40 */
    int sig_der;         /* signature value as DER instead of raw r||s */
    int t0;              /* answer 61xx and wait for GET RESPONSE */
    int strict_sessions; /* INIT on an open session: 6985 instead of replacing it */
    int read_pad;        /* READ FILE pads with zeros up to Ne */
    uint16_t bad_offset_sw;
    size_t list_page;     /* max object-list bytes per answer */
    int implicit_channel; /* SELECT on a closed channel opens it */
    int deterministic;    /* RFC 6979 ECDSA */
    unsigned max_sessions;
    unsigned latency_ms[SIM_LAT_COUNT];
    unsigned faults; /* enum sim_fault bits */
    int fault_ins;   /* -1: any IoT SAFE instruction */
    unsigned fault_skip, fault_count;
    unsigned hang_ms;  /* 0: hang for good; else drop the connection after this long */
    unsigned channels; /* logical channels besides the basic one (a SIM has 3) */
    uint8_t version;
    uint8_t prop_id[SIM_PROP_ID_LEN];
    uint8_t max_count[SIM_KIND_COUNT]; /* B2 private, B3 public, B1 files, B4 secrets */
} sim_options;

enum sim_sess_type { SIM_SESS_NONE = 0, SIM_SESS_SIGN, SIM_SESS_VERIFY, SIM_SESS_PUTKEY };

typedef struct sim_session {
    int type;
    size_t obj;      /* store index of the key */
    uint8_t mode;    /* A1 */
    uint16_t hash;   /* 91 */
    EVP_MD_CTX *md;  /* mode 01: running hash of the message */
    size_t msg_left; /* mode 01: bytes of a 9B value still to come in later blocks */
    int got_data;    /* some UPDATE data arrived since the last result */
    uint8_t *buf;    /* PUT PUBLIC KEY: blocks collected so far */
    size_t buf_len;
} sim_session;

typedef struct sim_channel {
    int open;
    int selected;
    uint8_t pending[SIM_MAX_DATA];
    size_t pending_len;
    uint16_t pending_sw;
    int has_pending;
    int list_active; /* object-list paging in progress */
    size_t list_next;
} sim_channel;

struct sim_applet {
    sim_options opt;
    sim_store store;
    char *state_path;
    sim_channel ch[SIM_MAX_CHANNELS];
    sim_session *sess;               /* SIM_MAX_CHANNELS * (max_sessions + 1) */
    int fault_chain;                 /* a faulty 61xx chain is running (faults.c) */
    unsigned fault_seen, fault_done; /* hang/drop bookkeeping */
};

/* A parsed short command APDU. */
typedef struct sim_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    int has_le;
    size_t ne; /* Le with 00 = 256 */
    int channel;
} sim_apdu;

/* A response under construction: up to 256 data bytes. */
typedef struct sim_resp {
    uint8_t data[SIM_MAX_DATA];
    size_t len;
} sim_resp;

/* util.c */
/* 0-15 for a hex digit (either case), else -1. */
int sim_hex_digit(char c);
int sim_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len);
/* The same on the first n characters of hex (no NUL needed). */
int sim_hex_decode_n(const char *hex, size_t n, uint8_t *out, size_t cap, size_t *out_len);
void sim_hex_encode(const uint8_t *in, size_t len, char *out);
/* One verbose APDU line on stderr, "iotsafe-sim: DIR HEX", the first SIM_LOG_HEX_MAX bytes. */
#define SIM_LOG_HEX_MAX 300
void sim_log_hex(const char *dir, const uint8_t *p, size_t n);
int sim_read_file(const char *path, size_t max, uint8_t **data, size_t *len);
void sim_sleep_ms(unsigned ms);

/* store.c */
void sim_store_init(sim_store *s);
void sim_store_free(sim_store *s);
sim_object *sim_store_add(sim_store *s, int kind);
sim_object *sim_store_find_id(const sim_store *s, int kind, const uint8_t *id, size_t len);
sim_object *sim_store_find_label(const sim_store *s, int kind, const uint8_t *l, size_t len);
sim_object *sim_store_pair(const sim_store *s, const sim_object *o);
size_t sim_store_count(const sim_store *s, int kind);
int sim_object_set_value(sim_object *o, const uint8_t *v, size_t len);
void sim_object_clear_value(sim_object *o);
/* key_type: the value of tag 4B for a key (o->key_type, unless the card lies: faults.c) */
int sim_object_info(const sim_object *o, uint8_t key_type, uint8_t *out, size_t cap, size_t *len);
uint8_t sim_key_type(int curve, int is_volatile);
int sim_key_type_curve(uint8_t type, int *curve, int *is_volatile);

/* tlv.c: 1-byte tags; lengths 00-7F, 81 xx, 82 xxxx (other first bytes read as a plain 1-byte length) */
typedef struct sim_tlv {
    uint8_t tag;
    const uint8_t *v;
    size_t len;
} sim_tlv;
int sim_tlv_len(const uint8_t *p, size_t avail, size_t *len, size_t *hdr);
int sim_tlv_parse(const uint8_t *p, size_t n, sim_tlv *out, size_t cap, size_t *count);
const sim_tlv *sim_tlv_find(const sim_tlv *t, size_t n, uint8_t tag);
size_t sim_tlv_put(uint8_t *out, uint8_t tag, const uint8_t *v, size_t len);

/* crypto.c */
const EVP_MD *sim_hash_md(uint16_t hash);
size_t sim_hash_len(uint16_t hash);
int sim_ec_check_scalar(int curve, const uint8_t d[SIM_EC_LEN]);
int sim_ec_check_point(int curve, const uint8_t *p, size_t len);
int sim_ec_pub_from_priv(int curve, const uint8_t d[SIM_EC_LEN], uint8_t q[SIM_POINT_LEN]);
int sim_ec_generate(int curve, uint8_t d[SIM_EC_LEN], uint8_t q[SIM_POINT_LEN]);
int sim_ecdsa_sign(int curve, const uint8_t d[SIM_EC_LEN], const uint8_t *dig, size_t dlen,
                   uint16_t hash, int deterministic, uint8_t rs[2 * SIM_EC_LEN]);
int sim_ecdsa_verify(int curve, const uint8_t q[SIM_POINT_LEN], const uint8_t *dig, size_t dlen,
                     const uint8_t rs[2 * SIM_EC_LEN]);
int sim_ec_order(int curve, uint8_t n[SIM_EC_LEN]);
int sim_ec_x_on_curve(int curve, const uint8_t x[SIM_EC_LEN]);
int sim_ecdh(int curve, const uint8_t d[SIM_EC_LEN], const uint8_t q[SIM_POINT_LEN],
             uint8_t z[SIM_EC_LEN]);
int sim_sig_to_der(const uint8_t rs[2 * SIM_EC_LEN], uint8_t *der, size_t cap, size_t *len);
int sim_sig_from_der(const uint8_t *der, size_t len, uint8_t rs[2 * SIM_EC_LEN]);
int sim_tls12_prf(const uint8_t *secret, size_t slen, const uint8_t *seed, size_t seedlen,
                  uint8_t *out, size_t outlen);
int sim_hkdf_extract(uint16_t hash, const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
                     size_t ikmlen, uint8_t *out, size_t *outlen);
int sim_load_pem_key(const char *path, int curve, uint8_t d[SIM_EC_LEN], char *err, size_t errlen);

/* sha_resume.c: finish SHA-2 from an intermediate chaining value (signature mode 02) */
int sim_sha_resume(uint16_t hash, const uint8_t *state, size_t state_len, uint64_t done,
                   const uint8_t *last, size_t last_len, uint8_t *out, size_t *out_len);
int sim_sha_midstate(uint16_t hash, const uint8_t *data, size_t len, uint8_t *state,
                     size_t *state_len);

/* faults.c: the fault kinds that change values or the shape of answers */
/* The signature value to send instead of rs (into out, cap bytes); its length. */
size_t sim_fault_signature(const sim_applet *a, int curve, const uint8_t rs[2 * SIM_EC_LEN],
                           uint8_t *out, size_t cap);
/* The key type GET DATA reports for o (its own unless key-type-unknown). */
uint8_t sim_fault_key_type(const sim_applet *a, const sim_object *o);
/* The ECDH result x (SIM_EC_LEN bytes), changed in place. */
void sim_fault_dh(const sim_applet *a, int curve, uint8_t *x);
/* The final answer to cmd, rewritten in resp (capacity cap) for answer-shape faults. */
void sim_fault_answer(sim_applet *a, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                      size_t *resp_len, size_t cap);

/* options.c */
void sim_options_default(sim_options *o);
/* 1 = handled, 0 = unknown key, -1 = bad value (message in err) */
int sim_options_set(sim_options *o, const char *key, const char *value, char *err, size_t errlen);
/* Setting i's name (NULL past the last) and what it takes into values, for --help. */
const char *sim_options_name(size_t i, char *values, size_t len);

/* provision.c */
int sim_provision_parse(const char *text, size_t len, const char *name, const char *base_dir,
                        sim_options *opt, sim_store *store, char *err, size_t errlen);
int sim_provision_file(const char *path, sim_options *opt, sim_store *store, char *err,
                       size_t errlen);

/* state.c */
int sim_state_save(const sim_store *s, const char *path, char *err, size_t errlen);
int sim_state_load(sim_store *s, const char *path, char *err, size_t errlen);
int sim_state_parse(sim_store *s, const char *text, size_t len, const char *name, char *err,
                    size_t errlen);

/* sessions.c */
sim_session *sim_session_get(sim_applet *a, int channel, uint8_t p2);
void sim_session_close(sim_session *s);
void sim_sessions_clear_channel(sim_applet *a, int channel);
int sim_sessions_use_object(const sim_applet *a, size_t obj);
uint16_t sim_session_open(sim_applet *a, const sim_apdu *c, int type, size_t obj,
                          sim_session **out);
/* INIT with P1=01 on session P2 of the given type. */
uint16_t sim_session_close_cmd(sim_applet *a, const sim_apdu *c, int type);
/* Forget collected UPDATE data; the session stays open. */
void sim_session_reset_data(sim_session *s);

/* command handlers: return the SW, data in r */
uint16_t sim_cmd_get_data(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_read_file(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_read_public_key(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_get_random(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_sign_init(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_sign_update(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_verify_init(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_verify_update(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_put_key_init(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_put_key_update(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_generate(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_dh(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_prf(sim_applet *a, const sim_apdu *c, sim_resp *r);
uint16_t sim_cmd_hkdf(sim_applet *a, const sim_apdu *c, sim_resp *r);

/* applet.c helpers for the handlers */
/* Find the object named by exactly one of id_tag / label_tag in the TLVs: SW_OK, 6A80 or 6A82. */
uint16_t sim_lookup(const sim_applet *a, const sim_tlv *t, size_t n, int kind, size_t *index);
/* Command data that is exactly one ID or label TLV of kind: Lc, tags, then sim_lookup. */
uint16_t sim_lookup_data(const sim_applet *a, const sim_apdu *c, int kind, size_t *index);
/* 1 if every TLV's tag is in allowed[0..na). */
int sim_only_tags(const sim_tlv *t, size_t n, const uint8_t *allowed, size_t na);
/* Persist the store after a change; SW_OK or 6581. */
uint16_t sim_persist(sim_applet *a);

#endif
