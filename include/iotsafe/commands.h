/* SPDX-License-Identifier: Apache-2.0 */
/* The IoT SAFE (GSMA IoT.05) command set as a C API. */
#ifndef IOTSAFE_COMMANDS_H
#define IOTSAFE_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/card.h"
#include "iotsafe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOTSAFE_ID_MAX 20
#define IOTSAFE_LABEL_MAX 60
#define IOTSAFE_POINT_MAX 65 /* 04 || X || Y for 256-bit curves */
#define IOTSAFE_RS_MAX 64    /* raw r || s for 256-bit curves */

/* Object kinds; the values are the GET DATA structure tags. */
typedef enum iotsafe_obj_type {
    IOTSAFE_OBJ_PRIVATE_KEY = 0xC1,
    IOTSAFE_OBJ_PUBLIC_KEY = 0xC2,
    IOTSAFE_OBJ_FILE = 0xC3,
    IOTSAFE_OBJ_SECRET_KEY = 0xC4,
} iotsafe_obj_type;

/* Key types (tag 4B) */
#define IOTSAFE_KEYTYPE_RSA2048 0x03
#define IOTSAFE_KEYTYPE_P256 0x13
#define IOTSAFE_KEYTYPE_P256_VOLATILE 0x14
#define IOTSAFE_KEYTYPE_BP256 0x23
#define IOTSAFE_KEYTYPE_BP256_VOLATILE 0x24
#define IOTSAFE_KEYTYPE_HMAC 0xA0
/* Key usage (tag 4E) */
#define IOTSAFE_USAGE_GENERAL 0x01
#define IOTSAFE_USAGE_TLS12_CV 0x02
#define IOTSAFE_USAGE_TLS13_CV 0x03
/* Cryptographic functions (tag 61 / 90), bit map */
#define IOTSAFE_FN_SIGN 0x01
#define IOTSAFE_FN_KEYGEN 0x02
#define IOTSAFE_FN_KEY_AGREEMENT 0x04
#define IOTSAFE_FN_KEY_DERIVATION 0x08
/* Access conditions (tag 60), bit map */
#define IOTSAFE_ACCESS_READ 0x01
#define IOTSAFE_ACCESS_UPDATE 0x02
/* Signature algorithms (tag 92) */
#define IOTSAFE_SIGALG_ECDSA 0x04
/* File usage (tag 21) */
#define IOTSAFE_FILE_GENERAL 0x01
#define IOTSAFE_FILE_X509 0x02

/* Hash algorithms (tag 91): a single value in commands, a bit map in attributes. */
typedef enum iotsafe_hash {
    IOTSAFE_HASH_SHA256 = 0x0001,
    IOTSAFE_HASH_SHA384 = 0x0002,
    IOTSAFE_HASH_SHA512 = 0x0004,
} iotsafe_hash;

size_t iotsafe_hash_len(iotsafe_hash h);       /* 32/48/64, 0 if unknown */
const char *iotsafe_hash_name(iotsafe_hash h); /* "SHA256", ... */
/* "sha256" / "sha384" / "sha512" (either case) -> hash. 0, or -1 if unknown. */
int iotsafe_hash_from_name(const char *name, iotsafe_hash *out);

typedef enum iotsafe_curve {
    IOTSAFE_CURVE_NONE = 0,
    IOTSAFE_CURVE_P256,
    IOTSAFE_CURVE_BP256R1,
} iotsafe_curve;

iotsafe_curve iotsafe_key_type_curve(uint8_t key_type);
const char *
iotsafe_curve_name(iotsafe_curve c); /* "prime256v1" / "brainpoolP256r1" (OpenSSL group names) */
/* Curve facts, no card I/O (src/curves.c). 0 / NULL / NONE for IOTSAFE_CURVE_NONE or unknown. */
int iotsafe_curve_bits(iotsafe_curve c);           /* 256 */
int iotsafe_curve_security_bits(iotsafe_curve c);  /* 128 */
size_t iotsafe_curve_field_len(iotsafe_curve c);   /* 32 */
size_t iotsafe_curve_max_sig_der(iotsafe_curve c); /* longest DER ECDSA-Sig-Value */
/* Group name -> curve (OpenSSL's names and aliases, either case). */
iotsafe_curve iotsafe_curve_from_name(const char *name);
/* DER OID (tag + length + value) of the curve; *len = 0 and NULL if unknown. */
const uint8_t *iotsafe_curve_oid_der(iotsafe_curve c, size_t *len);
/* Curve named by OID content bytes (no tag or length). */
iotsafe_curve iotsafe_curve_from_oid(const uint8_t *oid, size_t len);

/* An object named by ID or by label: exactly one of the two is set. */
typedef struct iotsafe_ref {
    const uint8_t *id;
    size_t id_len;
    const uint8_t *label;
    size_t label_len;
} iotsafe_ref;

/* "private key", "public key", "file", "secret key": an object's kind in messages. */
const char *iotsafe_obj_type_words(iotsafe_obj_type t);

/* "id=01" or "label=DEVKEY" for messages (buf >= 2*IOTSAFE_LABEL_MAX + 16). */
const char *iotsafe_ref_str(const iotsafe_ref *ref, char *buf, size_t buflen);

/* present bits for optional attributes */
#define IOTSAFE_HAS_LABEL 0x0001
#define IOTSAFE_HAS_SIG_ALGS 0x0002
#define IOTSAFE_HAS_HASHES 0x0004
#define IOTSAFE_HAS_KEY_AGREEMENT 0x0008
#define IOTSAFE_HAS_KDF 0x0010
#define IOTSAFE_HAS_FILE_USAGE 0x0020
#define IOTSAFE_HAS_FILE_SIZE 0x0040
#define IOTSAFE_HAS_KEY_TYPE 0x0080
#define IOTSAFE_HAS_USAGE 0x0100
#define IOTSAFE_HAS_FUNCTIONS 0x0200

typedef struct iotsafe_object {
    iotsafe_obj_type type;
    uint8_t id[IOTSAFE_ID_MAX];
    size_t id_len;
    uint8_t label[IOTSAFE_LABEL_MAX];
    size_t label_len;
    uint8_t access;        /* 60 */
    uint8_t state;         /* 4A: 1 = activated */
    uint8_t key_type;      /* 4B */
    uint8_t usage;         /* 4E */
    uint8_t functions;     /* 61 */
    uint8_t sig_algs;      /* 92 */
    uint16_t hashes;       /* 91 (bit map) */
    uint8_t key_agreement; /* 6F */
    uint8_t kdf_algs;      /* 94 */
    uint8_t file_usage;    /* 21 */
    uint32_t file_size;    /* 20 (big-endian on the card) */
    unsigned present;      /* IOTSAFE_HAS_* */
} iotsafe_object;

/* Ref that names obj by ID (pointers into obj). */
iotsafe_ref iotsafe_object_ref(const iotsafe_object *obj);

/* Buffer size for iotsafe_object_str: type words, ID, and the label escaped and cut at 63. */
#define IOTSAFE_OBJECT_STR_MAX 160

/*
 * "private key id=01 (DEVKEY)" (no label: "private key id=01"): how every
 * message of libiotsafe, the provider and iotsafe-tool names an object. The
 * label is escaped (iotsafe/escape.h) and cut with a marker past 63 bytes.
 */
const char *iotsafe_object_str(const iotsafe_object *obj, char *buf, size_t buflen);

/*
 * Parse a GET DATA object list (any group order, one or several objects per
 * structure). Appends to *objs (realloc'ed) / *n. Strict: MALFORMED on any
 * bounds problem. Exposed for unit tests and fuzzing.
 */
iotsafe_rc iotsafe_parse_object_list(const uint8_t *buf, size_t len, iotsafe_object **objs,
                                     size_t *n, iotsafe_status *st);

typedef struct iotsafe_app_info {
    uint8_t version;         /* 10 */
    uint8_t proprietary[32]; /* 11 */
    size_t proprietary_len;
    uint8_t max_files, max_private_keys, max_public_keys, max_secret_keys; /* B1..B4 */
    uint8_t functions;                                                     /* 90 */
    uint16_t hashes;                                                       /* 91 */
    uint8_t sig_algs;                                                      /* 92 */
    uint8_t key_agreement;                                                 /* 93 */
    uint8_t kdf_algs;                                                      /* 94 */
    uint8_t max_sessions;                                                  /* B7 */
} iotsafe_app_info;

/* GET DATA 00: applet capabilities (handles 6Cxx, short 91, short 11). */
iotsafe_rc iotsafe_get_app_info(iotsafe_card *c, iotsafe_app_info *out, iotsafe_status *st);

/*
 * GET DATA 01 with 63 00 paging. Cached per card handle; *objs is a malloc'ed
 * copy the caller frees with free().
 */
iotsafe_rc iotsafe_list_objects(iotsafe_card *c, iotsafe_object **objs, size_t *n,
                                iotsafe_status *st);

/* Look one object up by ID or label in the (cached) list. NOT_FOUND names the ref. */
iotsafe_rc iotsafe_find_object(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref,
                               iotsafe_object *out, iotsafe_status *st);

/*
 * The public key that pairs with a private key: same label, else same ID.
 * NOT_FOUND if the card has none.
 */
iotsafe_rc iotsafe_find_public_for_private(iotsafe_card *c, const iotsafe_object *priv,
                                           iotsafe_object *out, iotsafe_status *st);

/*
 * The public key object that receives the ECDH peer point for a key on curve
 * (PUT PUBLIC KEY overwrites it). It must allow update, be of that curve when
 * the card gives its key type, and pair with no private key (its point is a
 * key pair's: overwritten, that key's signatures would fail their check). id
 * (id_len bytes; the dh-peer-slot setting) names it, and a configured object
 * that does not fit is refused (IOTSAFE_E_USAGE); with id NULL the first
 * fitting object of the list is taken. IOTSAFE_E_NOT_FOUND when there is no
 * such ID or no fitting object. The messages name the setting and the reader.
 */
iotsafe_rc iotsafe_find_peer_slot(iotsafe_card *c, iotsafe_curve curve, const uint8_t *id,
                                  size_t id_len, iotsafe_object *out, iotsafe_status *st);

/* READ FILE, whole file in read_chunk steps; *data malloc'ed, caller frees. */
iotsafe_rc iotsafe_read_file(iotsafe_card *c, const iotsafe_ref *file, uint8_t **data, size_t *len,
                             iotsafe_status *st);

/*
 * READ PUBLIC KEY: uncompressed point 04||X||Y into point (capacity *point_len
 * on entry). Cached per card handle until keygen/flush/reset.
 */
iotsafe_rc iotsafe_read_public_key(iotsafe_card *c, const iotsafe_ref *pub, uint8_t *point,
                                   size_t *point_len, iotsafe_status *st);

/*
 * COMPUTE SIGNATURE, mode 03 (hash on host): INIT + UPDATE on the sign session,
 * a close only when the card needs one. Output raw r||s (field-size halves)
 * whatever form the card answered in (33 00 40, 33 40, BER, DER).
 */
iotsafe_rc iotsafe_sign_digest(iotsafe_card *c, const iotsafe_ref *priv, iotsafe_hash hash,
                               const uint8_t *digest, size_t digest_len, uint8_t *rs,
                               size_t *rs_len, iotsafe_status *st);

/* COMPUTE SIGNATURE, mode 01 (the card hashes): message split over UPDATE blocks. */
iotsafe_rc iotsafe_sign_message(iotsafe_card *c, const iotsafe_ref *priv, iotsafe_hash hash,
                                const uint8_t *msg, size_t msg_len, uint8_t *rs, size_t *rs_len,
                                iotsafe_status *st);

/* VERIFY SIGNATURE (mode 03): IOTSAFE_OK if valid, IOTSAFE_E_SIG_MISMATCH if not. */
iotsafe_rc iotsafe_verify_digest(iotsafe_card *c, const iotsafe_ref *pub, iotsafe_hash hash,
                                 const uint8_t *digest, size_t digest_len, const uint8_t *rs,
                                 size_t rs_len, iotsafe_status *st);

typedef struct iotsafe_keygen_result {
    uint8_t priv_id[IOTSAFE_ID_MAX];
    size_t priv_id_len;
    uint8_t pub_id[IOTSAFE_ID_MAX];
    size_t pub_id_len;
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len;
} iotsafe_keygen_result;

/*
 * GENERATE KEY PAIR on an existing container. Refreshes this handle's caches
 * (object list, the container's public key).
 */
iotsafe_rc iotsafe_generate_key_pair(iotsafe_card *c, const iotsafe_ref *priv,
                                     iotsafe_keygen_result *out, iotsafe_status *st);

/* PUT PUBLIC KEY (INIT, UPDATE, close) into a public key object with update access. */
iotsafe_rc iotsafe_put_public_key(iotsafe_card *c, const iotsafe_ref *pub, const uint8_t *point,
                                  size_t point_len, iotsafe_status *st);

/* COMPUTE DH between a private key and a stored public key: raw X coordinate. */
iotsafe_rc iotsafe_compute_dh(iotsafe_card *c, const iotsafe_ref *priv, const iotsafe_ref *pub,
                              uint8_t *secret, size_t *secret_len, iotsafe_status *st);

/*
 * PUT PUBLIC KEY of a peer point into slot, then COMPUTE DH, in one
 * transaction so no other process can swap the slot in between.
 */
iotsafe_rc iotsafe_compute_dh_with_peer(iotsafe_card *c, const iotsafe_ref *priv,
                                        const iotsafe_ref *slot, const uint8_t *point,
                                        size_t point_len, uint8_t *secret, size_t *secret_len,
                                        iotsafe_status *st);

/* GET RANDOM, any length (256-byte steps). */
iotsafe_rc iotsafe_get_random(iotsafe_card *c, uint8_t *buf, size_t len, iotsafe_status *st);

/* COMPUTE PRF mode 00 (secret given) or 01 (secret_ref names a secret key): TLS 1.2 PRF. */
iotsafe_rc iotsafe_compute_prf(iotsafe_card *c, const uint8_t *secret, size_t secret_len,
                               const iotsafe_ref *secret_ref, const uint8_t *label_seed,
                               size_t label_seed_len, uint8_t *out, size_t out_len,
                               iotsafe_status *st);

/* COMPUTE HKDF (extract): PRK of hash length. */
iotsafe_rc iotsafe_compute_hkdf_extract(iotsafe_card *c, iotsafe_hash hash, const uint8_t *ikm,
                                        size_t ikm_len, const uint8_t *salt, size_t salt_len,
                                        uint8_t *prk, size_t *prk_len, iotsafe_status *st);

/*
 * Why r||s cannot be a signature of curve c (r or s zero or not below the
 * group order, wrong length), or NULL when both lie in [1, n-1].
 */
const char *iotsafe_ecdsa_rs_problem(iotsafe_curve c, const uint8_t *rs, size_t rs_len);

/*
 * What to hand the card to sign a digest of any length (1 to 64 bytes) with
 * an ECDSA key on curve c whose card allows the hashes in allowed (a bit map;
 * 0: any): the same ECDSA integer as a digest of one of those hashes, into
 * out (capacity *out_len, at least 64), with that hash in *hash. A digest of
 * an allowed hash's length is passed as it is. IOTSAFE_E_USAGE when no
 * allowed hash can carry it.
 */
iotsafe_rc iotsafe_ecdsa_card_input(iotsafe_curve c, uint16_t allowed, const uint8_t *digest,
                                    size_t dlen, uint8_t *out, size_t *out_len, iotsafe_hash *hash);

/* Raw r||s (two equal halves) <-> DER ECDSA-Sig-Value, without OpenSSL. */
iotsafe_rc iotsafe_ecdsa_rs_to_der(const uint8_t *rs, size_t rs_len, uint8_t *der, size_t *der_len);
iotsafe_rc iotsafe_ecdsa_der_to_rs(const uint8_t *der, size_t der_len, size_t half, uint8_t *rs,
                                   size_t *rs_len);

#ifdef __cplusplus
}
#endif
#endif
