/* SPDX-License-Identifier: Apache-2.0 */
/* Key objects <-> key-reference files (keyfile.c; the format is doc/keyfile.md). */
#ifndef IPROV_KEYFILE_H
#define IPROV_KEYFILE_H

#include "iotsafe/keyref.h"
#include "key.h"

/* DER of the key-reference file for a card private key: v2 when the point is known, else v1. 0 or -1. */
int iprov_key_to_keyref_der(const IPROV_KEY *k, uint8_t *out, size_t cap, size_t *out_len);
/* The key a v2 key reference describes, built without card I/O. Raises and returns NULL on error. */
IPROV_KEY *iprov_key_from_keyref_v2(IPROV_CTX *ctx, const iotsafe_keyref *r);

#endif
