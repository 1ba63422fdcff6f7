/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The opaque key object shared by keymgmt, signature, keyexch, keygen,
 * store, decoder and encoder. A card key carries the private key
 * object's ID and attributes and its public point, read once at load; an
 * imported key (a peer or a certificate's key for match) has only a point.
 */
#ifndef IPROV_KEY_H
#define IPROV_KEY_H

#include <stdatomic.h>

#include "provctx.h"
#include "iotsafe/uri.h"

#define IPROV_KEY_MAGIC 0x10759AFEu

typedef struct iprov_key {
    unsigned magic;
    atomic_int refs;
    IPROV_CTX *ctx;
    int on_card;         /* 1: names objects on a card */
    int has_private;     /* 1: priv is a private key object on the card */
    char *reader;        /* reader= from the URI (NULL: configured/first reader) */
    iotsafe_object priv; /* valid when has_private */
    int has_pub_obj;
    iotsafe_object pub;  /* the public key object (paired, or named directly) */
    iotsafe_curve curve; /* NONE until known */
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len; /* 0: no public point (parameters-only key) */
    /* verify.c: the point as a default-provider key, made on first use, never copied */
    _Atomic(EVP_PKEY *) verify_pkey;
} IPROV_KEY;

IPROV_KEY *iprov_key_new(IPROV_CTX *ctx);
int iprov_key_up_ref(IPROV_KEY *k);
void iprov_key_free(IPROV_KEY *k);
IPROV_KEY *iprov_key_dup(const IPROV_KEY *k);

/*
 * Export group + public point (keymgmt export, store/decoder export_object).
 * Returns 0 without raising whenever the selection includes the private key.
 */
int iprov_key_export_public(const IPROV_KEY *k, int selection, OSSL_CALLBACK *cb, void *cbarg);

/* The URI that names this card key (id, label, type, reader). 0 if not a card key. */
int iprov_key_to_uri(const IPROV_KEY *k, iotsafe_uri *u);

/* Reference to the private (or public) key object, by ID. */
iotsafe_ref iprov_key_priv_ref(const IPROV_KEY *k);
iotsafe_ref iprov_key_pub_ref(const IPROV_KEY *k);

/*
 * "private key id=01 (DEVKEY)" for messages: the key's private key object,
 * else its public key object, else "a public key not on a card".
 */
const char *iprov_key_desc(const IPROV_KEY *k, char *buf, size_t len);
/* Any card object as libiotsafe's messages name it (iotsafe_object_str). */
const char *iprov_obj_desc(const iotsafe_object *o, char *buf, size_t len);

/* OpenSSL's NID of the curve (the curve facts themselves are libiotsafe's). */
int iprov_curve_nid(iotsafe_curve c);

/* Decode and check a point (any encoding); on success out holds 04||X||Y. 0 on failure, nothing raised. */
int iprov_point_normalise(OSSL_LIB_CTX *libctx, iotsafe_curve curve, const uint8_t *in,
                          size_t in_len, uint8_t *out, size_t *out_len);

/*
 * Check point (any encoding OpenSSL accepts) is on curve and store its
 * uncompressed form in k. Raises IPROV_R_BAD_PUBLIC_KEY on failure.
 */
int iprov_key_set_point(IPROV_KEY *k, iotsafe_curve curve, const uint8_t *point, size_t len);

/* Wire format of store/decoder references: the address of the key. */
int iprov_key_from_reference(const void *ref, size_t ref_sz, IPROV_KEY **out);

#endif
