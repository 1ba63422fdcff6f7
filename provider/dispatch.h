/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatch tables provider.c puts in its algorithm lists: one table per
 * operation, each defined in the file of that operation.
 */
#ifndef IPROV_DISPATCH_H
#define IPROV_DISPATCH_H

#include <openssl/core.h>

#include "compat.h"

/* the card RNG's algorithm name (rand.c) */
#define IPROV_RAND_NAME "CARD-RNG"

extern const OSSL_DISPATCH iprov_ec_keymgmt_functions[];
extern const OSSL_DISPATCH iprov_ecdsa_signature_functions[];
extern const OSSL_DISPATCH iprov_store_functions[];
extern const OSSL_DISPATCH iprov_pem_to_der_decoder_functions[];
extern const OSSL_DISPATCH iprov_der_to_ec_decoder_functions[];
extern const OSSL_DISPATCH iprov_ec_to_keyref_pem_encoder_functions[];
extern const OSSL_DISPATCH iprov_ec_to_keyref_der_encoder_functions[];
extern const OSSL_DISPATCH iprov_ec_to_spki_pem_encoder_functions[];
extern const OSSL_DISPATCH iprov_ec_to_spki_der_encoder_functions[];
extern const OSSL_DISPATCH iprov_ec_to_text_encoder_functions[];
extern const OSSL_DISPATCH iprov_ecdh_keyexch_functions[];
extern const OSSL_DISPATCH iprov_card_rand_functions[]; /* seed source and DRBG, see rand.c */

#ifdef IPROV_HAVE_SIGN_MESSAGE
/* signature.c: registered under the default provider's names */
extern const OSSL_DISPATCH iprov_ecdsa_sha1_signature_functions[];
extern const OSSL_DISPATCH iprov_ecdsa_sha224_signature_functions[];
extern const OSSL_DISPATCH iprov_ecdsa_sha256_signature_functions[];
extern const OSSL_DISPATCH iprov_ecdsa_sha384_signature_functions[];
extern const OSSL_DISPATCH iprov_ecdsa_sha512_signature_functions[];
#endif

#endif
