/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key-reference file body, carried in PEM under IOTSAFE_KEYREF_PEM_LABEL
 * (format: doc/keyfile.md). Pure C, strict DER, fuzzable.
 *
 * v1: SEQUENCE { VisibleString "IoT SAFE key reference v1", UTF8String URI }
 *     names the key; every load reads the card (object list, public key).
 * v2: SEQUENCE { VisibleString "IoT SAFE key reference v2",
 *                UTF8String      URI of the private key (id, label, reader),
 *                OBJECT IDENTIFIER named curve,
 *                BIT STRING      public point (uncompressed),
 *                OCTET STRING    private key attributes (IOTSAFE_KEYREF_ATTRS_LEN),
 *                UTF8String      URI of the paired public key object,
 *                OCTET STRING    AID of the applet the key lives in }
 *     carries everything a load needs: reading it touches no card.
 */
#ifndef IOTSAFE_KEYREF_H
#define IOTSAFE_KEYREF_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/commands.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOTSAFE_KEYREF_PEM_LABEL "IOTSAFE KEY REFERENCE"
#define IOTSAFE_KEYREF_MAGIC "IoT SAFE key reference v1"
#define IOTSAFE_KEYREF_MAGIC_V2 "IoT SAFE key reference v2"
/* Packed private key attributes (see iotsafe_keyref_attrs_pack). */
#define IOTSAFE_KEYREF_ATTRS_LEN 12
#define IOTSAFE_KEYREF_POINT_MAX IOTSAFE_POINT_MAX
#define IOTSAFE_KEYREF_AID_MIN 5
#define IOTSAFE_KEYREF_AID_MAX 16
/* A key reference file's DER is never longer than this (two maximal URIs and the rest). */
#define IOTSAFE_KEYREF_DER_MAX 2400

/* A decoded key reference: pointers into the DER it was decoded from. */
typedef struct iotsafe_keyref {
    int version;     /* 1 or 2 */
    const char *uri; /* private key URI, not NUL-terminated */
    size_t uri_len;
    /* v2 only */
    const uint8_t *curve_oid; /* OID content bytes (no tag/length) */
    size_t curve_oid_len;
    const uint8_t *point; /* uncompressed point, starts with 04 */
    size_t point_len;
    const uint8_t *attrs; /* IOTSAFE_KEYREF_ATTRS_LEN bytes */
    const char *pub_uri;  /* public key object URI, not NUL-terminated */
    size_t pub_uri_len;
    const uint8_t *aid;
    size_t aid_len;
} iotsafe_keyref;

/*
 * Encode a v1 reference to uri (uri_len bytes, 1..IOTSAFE_URI_MAX, no NUL)
 * into out. Returns 0 and sets *out_len, or -1 (bad input or out too small).
 */
int iotsafe_keyref_encode(const char *uri, size_t uri_len, uint8_t *out, size_t cap,
                          size_t *out_len);

/*
 * Decode exactly der_len bytes of a v1 reference. On success returns 0 and
 * points *uri into der (not NUL-terminated, *uri_len bytes). Returns -1 if
 * the bytes are not a v1 key reference.
 */
int iotsafe_keyref_decode(const uint8_t *der, size_t der_len, const char **uri, size_t *uri_len);

/* Encode a v2 reference (every v2 field of ref set and valid). 0 or -1. */
int iotsafe_keyref_encode_v2(const iotsafe_keyref *ref, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Decode exactly der_len bytes of a v1 or v2 reference into *out (pointers
 * into der). Returns 0, or -1 if the bytes are not a well-formed reference.
 */
int iotsafe_keyref_parse(const uint8_t *der, size_t der_len, iotsafe_keyref *out);

/*
 * The key reference of private key object priv (reader: the URI's reader=,
 * NULL for none): v2 with its paired public key object pub, the public
 * point and the applet AID; v1 when pub, the point, the AID or a curve the
 * key type names is missing. 0 with *out_len set, or -1.
 */
int iotsafe_keyref_build(const iotsafe_object *priv, const char *reader, const iotsafe_object *pub,
                         const uint8_t *point, size_t point_len, const uint8_t *aid, size_t aid_len,
                         uint8_t *out, size_t cap, size_t *out_len);

/* Private key object attributes <-> IOTSAFE_KEYREF_ATTRS_LEN bytes (access, state, types, usage...). */
void iotsafe_keyref_attrs_pack(const iotsafe_object *o, uint8_t out[IOTSAFE_KEYREF_ATTRS_LEN]);
void iotsafe_keyref_attrs_unpack(const uint8_t in[IOTSAFE_KEYREF_ATTRS_LEN], iotsafe_object *o);

#ifdef __cplusplus
}
#endif

#endif
