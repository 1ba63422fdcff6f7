/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The iotsafe: URI (RFC 7512 style): "iotsafe:" followed by ';'-separated
 * attr=value pairs with percent-encoded values. Pure C, no OpenSSL, so the
 * tool, the unit tests and the fuzzers can use it as is.
 */
#ifndef IOTSAFE_URI_H
#define IOTSAFE_URI_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/commands.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOTSAFE_URI_SCHEME "iotsafe:"
#define IOTSAFE_URI_READER_MAX 255
#define IOTSAFE_URI_MAX 1024 /* longest URI we accept or produce, in bytes */

typedef enum iotsafe_uri_type {
    IOTSAFE_URI_TYPE_ANY = 0,
    IOTSAFE_URI_TYPE_PRIVATE,
    IOTSAFE_URI_TYPE_PUBLIC,
    IOTSAFE_URI_TYPE_CERT,
} iotsafe_uri_type;

/* Fixed-size fields: parsing never allocates. */
typedef struct iotsafe_uri {
    int has_id;
    uint8_t id[IOTSAFE_ID_MAX];
    size_t id_len;
    int has_label;
    char label[IOTSAFE_LABEL_MAX + 1]; /* NUL-terminated, valid UTF-8, no NUL inside */
    size_t label_len;
    iotsafe_uri_type type;
    int has_reader;
    char reader[IOTSAFE_URI_READER_MAX + 1]; /* NUL-terminated UTF-8 */
} iotsafe_uri;

/*
 * Parse the first len bytes of s. Returns 0 on success; on failure returns -1
 * and writes a one-line reason into err (when err != NULL).
 */
int iotsafe_uri_parse(const char *s, size_t len, iotsafe_uri *out, char *err, size_t errlen);

/*
 * Canonical text form (attributes in the order id, label, type, reader; every
 * byte outside the unreserved set percent-encoded). Returns the length
 * written (NUL excluded) or -1 if buf is too small.
 */
int iotsafe_uri_format(const iotsafe_uri *u, char *buf, size_t buflen);

/* "private" / "public" / "cert", NULL for ANY. */
const char *iotsafe_uri_type_name(iotsafe_uri_type t);

/*
 * The URI naming object o: its ID, its label when a URI can carry it, type
 * (ANY: none) and reader (NULL: none; left out when too long). 0, or -1 when
 * o has no usable ID.
 */
int iotsafe_uri_from_object(const iotsafe_object *o, iotsafe_uri_type type, const char *reader,
                            iotsafe_uri *out);

/* Does obj satisfy the URI's id, label and type attributes? (reader= is not looked at) */
int iotsafe_uri_matches(const iotsafe_uri *uri, const iotsafe_object *obj);

/*
 * The object uri names on the card (src/lookup.c): the first object, in the
 * card's order, that matches uri and whose type is types[0]; failing that
 * types[1], and so on. Uses the handle's cached object list (no APDU when it
 * is cached). IOTSAFE_E_NOT_FOUND, with a message naming the kinds, the URI
 * and the reader, when there is none.
 */
iotsafe_rc iotsafe_uri_find(iotsafe_card *card, const iotsafe_uri *uri,
                            const iotsafe_obj_type *types, size_t ntypes, iotsafe_object *out,
                            iotsafe_status *st);

#ifdef __cplusplus
}
#endif

#endif
