/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenSSL side of the checks on the points handed to the card and on what
 * the card returns, one implementation for the provider and the PKCS#11
 * module (compiled into each). No function leaves anything on OpenSSL's error
 * queue: the callers say what failed, in their own words.
 */
#ifndef IOTSAFE_FRONTEND_EC_CHECKS_H
#define IOTSAFE_FRONTEND_EC_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "iotsafe/commands.h"

/* Another provider than ours: a program may load both the module and the provider. */
#define FE_EC_PROPQ "provider!=iotsafe"

/* 1 when point is an uncompressed point of curve c, on the curve (so not infinity); else 0. */
int fe_ec_point_ok(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *point, size_t len);

/*
 * An ECDH secret z of curve c as the card returned it: 1 when it is the
 * field length, not zero, and the x-coordinate of a point on the curve (x
 * below p); 0 when not, -1 when it cannot be checked; why says why not.
 */
int fe_ec_secret_check(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *z, size_t z_len,
                       char *why, size_t why_len);

/* point (any encoding OpenSSL takes) as a public key of curve c of another provider, or NULL. */
EVP_PKEY *fe_ec_public_key(OSSL_LIB_CTX *libctx, iotsafe_curve c, const uint8_t *point, size_t len);

/* ECDSA: 1 when der (an ECDSA-Sig-Value) signs digest for pkey, 0 when not, -1 cannot check. */
int fe_ecdsa_verify(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const uint8_t *digest, size_t dlen,
                    const uint8_t *der, size_t der_len);

#endif
