/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The opaque key object shared by keymgmt, signature, store, decoder,
 * encoder (and later keyexch/keygen). A card key carries the private key
 * object's ID and attributes and its public point, read once at load; an
 * imported key (a peer or a certificate's key for match) has only a point.
 */
#ifndef IOTSAFE_PROV_KEY_H
#define IOTSAFE_PROV_KEY_H

#include <stdatomic.h>

#include "provider.h"
#include "uri.h"

#define IOTSAFE_KEY_MAGIC 0x10759AFEu

typedef struct iotsafe_key {
    unsigned magic;
    atomic_int refs;
    IOTSAFE_PROV_CTX *ctx;
    int on_card;          /* 1: names objects on a card */
    int has_private;      /* 1: priv is a private key object on the card */
    char *reader;         /* reader= from the URI (NULL: configured/first reader) */
    iotsafe_object priv;  /* valid when has_private */
    int has_pub_obj;
    iotsafe_object pub;   /* the public key object (paired, or named directly) */
    iotsafe_curve curve;  /* NONE until known */
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len;     /* 0: no public point (parameters-only key) */
    /* verify.c: the point as a default-provider key, made on first use, never copied */
    _Atomic(EVP_PKEY *) verify_pkey;
} IOTSAFE_KEY;

IOTSAFE_KEY *iotsafe_key_new(IOTSAFE_PROV_CTX *ctx);
int iotsafe_key_up_ref(IOTSAFE_KEY *k);
void iotsafe_key_free(IOTSAFE_KEY *k);
IOTSAFE_KEY *iotsafe_key_dup(const IOTSAFE_KEY *k);

/*
 * Build a key for a private or public key object found on the card: the
 * paired public key is located and its point read (cached by libiotsafe per
 * handle). Raises an error and returns NULL on failure.
 */
IOTSAFE_KEY *iotsafe_key_from_object(IOTSAFE_PROV_CTX *ctx, iotsafe_card *card, const char *reader,
                                     const iotsafe_object *obj);

/*
 * Same, through iotsafe_prov_card_run (fresh handle on a dead connection).
 * Does not raise: the caller decides whether a failure is worth reporting.
 */
iotsafe_rc iotsafe_key_load_object(IOTSAFE_PROV_CTX *ctx, const char *reader,
                                   const iotsafe_object *obj, IOTSAFE_KEY **out, iotsafe_status *st);

/*
 * Export group + public point (keymgmt export, store/decoder export_object).
 * Returns 0 without raising whenever the selection includes the private key.
 */
int iotsafe_key_export_public(const IOTSAFE_KEY *k, int selection, OSSL_CALLBACK *cb, void *cbarg);

/* Does obj satisfy the URI's id/label/type attributes? */
int iotsafe_uri_matches(const iotsafe_uri *uri, const iotsafe_object *obj);

/*
 * Resolve a URI to one key (store and decoder share this): the first private
 * key matching uri (or, when want_private is 0 and type=public, a public
 * key). Raises a clear error naming the object and the reader on failure.
 */
IOTSAFE_KEY *iotsafe_key_resolve(IOTSAFE_PROV_CTX *ctx, const iotsafe_uri *uri);

/* The URI that names this card key (id, label, type, reader). 0 if not a card key. */
int iotsafe_key_to_uri(const IOTSAFE_KEY *k, iotsafe_uri *u);

/* Reference to the private (or public) key object, by ID. */
iotsafe_ref iotsafe_key_priv_ref(const IOTSAFE_KEY *k);
iotsafe_ref iotsafe_key_pub_ref(const IOTSAFE_KEY *k);

/* "id=01 (label DEVKEY)" for messages. */
const char *iotsafe_key_desc(const IOTSAFE_KEY *k, char *buf, size_t len);
/* The same description of any card object. */
const char *iotsafe_prov_obj_desc(const iotsafe_object *o, char *buf, size_t len);

/* ---- curve facts (no card I/O) ---- */
int iotsafe_curve_bits(iotsafe_curve c);             /* 256 */
int iotsafe_curve_security_bits(iotsafe_curve c);    /* 128 */
int iotsafe_curve_nid(iotsafe_curve c);
size_t iotsafe_curve_field_len(iotsafe_curve c);     /* 32 */
size_t iotsafe_curve_max_sig_der(iotsafe_curve c);   /* DER ECDSA-Sig-Value max */
/* Group name -> curve (accepts OpenSSL's names and aliases); NONE if unsupported. */
iotsafe_curve iotsafe_curve_from_name(const char *name);
/* DER OID (tag+len+value) of the named curve; NULL if unknown. */
const uint8_t *iotsafe_curve_oid_der(iotsafe_curve c, size_t *len);

/*
 * Check point (any encoding OpenSSL accepts) is on curve and store its
 * uncompressed form in k. Raises IOTSAFE_R_BAD_PUBLIC_KEY on failure.
 */
int iotsafe_key_set_point(IOTSAFE_KEY *k, iotsafe_curve curve, const uint8_t *point, size_t len);

/* ---- key-reference files (keyfile.c) ---- */
struct iotsafe_keyref;
/* DER of the key-reference file for a card private key: v2 when the point is known, else v1. 0 or -1. */
int iotsafe_key_to_keyref_der(const IOTSAFE_KEY *k, uint8_t *out, size_t cap, size_t *out_len);
/* The key a v2 key reference describes, built without card I/O. Raises and returns NULL on error. */
IOTSAFE_KEY *iotsafe_key_from_keyref_v2(IOTSAFE_PROV_CTX *ctx, const struct iotsafe_keyref *r);

/* Wire format of store/decoder references: the address of the key. */
int iotsafe_key_from_reference(const void *ref, size_t ref_sz, IOTSAFE_KEY **out);

#endif
