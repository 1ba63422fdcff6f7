/* SPDX-License-Identifier: Apache-2.0 */
/* Checks on what the card returns, before the application sees it (verify.c). */
#ifndef IPROV_VERIFY_H
#define IPROV_VERIFY_H

#include "key.h"

/*
 * rs: the card's r||s; der: its DER form; digest: what was signed. reader:
 * the reader the card answered in (messages). 1 if the signature may be
 * released, else 0 with IPROV_R_INVALID_SIGNATURE raised. Keeps the
 * verifying form of the key's point with k (made on first use).
 */
int iprov_check_signature(IPROV_CTX *ctx, IPROV_KEY *k, const char *reader, const uint8_t *digest,
                          size_t dlen, const uint8_t *rs, size_t rs_len, const uint8_t *der,
                          size_t der_len);

/* A card's ECDH result for key k: 1 if usable, else 0 with IPROV_R_INVALID_SECRET raised. */
int iprov_check_shared_secret(IPROV_CTX *ctx, const IPROV_KEY *k, const char *reader,
                              const uint8_t *z, size_t z_len);

/*
 * The point of k (role: "ECDH peer key", "card key") is an uncompressed
 * point on k's curve, not infinity: 1, else 0 with IPROV_R_BAD_PUBLIC_KEY.
 * Keys are checked where their point comes in; this is the check right
 * before it is used, whatever the key's source.
 */
int iprov_check_key_point(IPROV_CTX *ctx, const IPROV_KEY *k, const char *role);

#endif
