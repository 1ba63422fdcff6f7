/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key-lifecycle operations: key generation on the card (keymgmt gen_*
 * functions, keygen.c), ECDH computed by the card (keyexch.c) and the opt-in
 * card RNG (rand.c). keymgmt.c and provider.c put these in their tables.
 */
#ifndef IOTSAFE_PROV_CARDOPS_H
#define IOTSAFE_PROV_CARDOPS_H

#include <openssl/core_dispatch.h>

/* Vendor parameters of key generation (genpkey -pkeyopt NAME:VALUE). */
#define IOTSAFE_GEN_PARAM_URI "iotsafe-uri"     /* an iotsafe: URI naming the container */
#define IOTSAFE_GEN_PARAM_ID "iotsafe-id"       /* the container's ID in hex */
#define IOTSAFE_GEN_PARAM_LABEL "iotsafe-label" /* the container's label */

/* keygen.c: the gen_* entries of the EC keymgmt. */
OSSL_FUNC_keymgmt_gen_init_fn iotsafe_keygen_init;
OSSL_FUNC_keymgmt_gen_set_template_fn iotsafe_keygen_set_template;
OSSL_FUNC_keymgmt_gen_set_params_fn iotsafe_keygen_set_params;
OSSL_FUNC_keymgmt_gen_settable_params_fn iotsafe_keygen_settable_params;
OSSL_FUNC_keymgmt_gen_fn iotsafe_keygen;
OSSL_FUNC_keymgmt_gen_cleanup_fn iotsafe_keygen_cleanup;

/* keyexch.c */
extern const OSSL_DISPATCH iotsafe_ecdh_keyexch_functions[];

/* rand.c: registered only when the provider config says rand = 1. */
#define IOTSAFE_RAND_NAME "CARD-RNG"
extern const OSSL_DISPATCH iotsafe_card_rand_functions[];

#endif
