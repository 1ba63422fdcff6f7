/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key-reference file body: DER SEQUENCE { VisibleString
 * "IoT SAFE key reference v1", UTF8String <iotsafe: URI> }, carried in PEM
 * under the label IOTSAFE_KEYREF_PEM_LABEL. Pure C, strict, fuzzable.
 */
#ifndef IOTSAFE_PROV_KEYREF_H
#define IOTSAFE_PROV_KEYREF_H

#include <stddef.h>
#include <stdint.h>

#define IOTSAFE_KEYREF_PEM_LABEL "IOTSAFE KEY REFERENCE"
#define IOTSAFE_KEYREF_MAGIC "IoT SAFE key reference v1"
/* Decoder "structure" naming this DER form between the two decoder stages. */
#define IOTSAFE_KEYREF_STRUCTURE "iotsafe-keyref"

/*
 * Encode uri (uri_len bytes, 1..IOTSAFE_URI_MAX, no NUL) into out.
 * Returns 0 and sets *out_len, or -1 (bad input or out too small).
 */
int iotsafe_keyref_encode(const char *uri, size_t uri_len, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Decode exactly der_len bytes. On success returns 0 and points *uri into der
 * (not NUL-terminated, *uri_len bytes). Returns -1 if the bytes are not a key
 * reference (wrong shape, wrong magic, trailing data, NUL in the URI...).
 */
int iotsafe_keyref_decode(const uint8_t *der, size_t der_len, const char **uri, size_t *uri_len);

#endif
