/* SPDX-License-Identifier: Apache-2.0 */
/* Key generation on the card: the gen_* entries keymgmt.c puts in its table (keygen.c). */
#ifndef IPROV_KEYGEN_H
#define IPROV_KEYGEN_H

#include <openssl/core_dispatch.h>

/* Vendor parameters of key generation (genpkey -pkeyopt NAME:VALUE). */
#define IPROV_GEN_PARAM_URI "iotsafe-uri"     /* an iotsafe: URI naming the container */
#define IPROV_GEN_PARAM_ID "iotsafe-id"       /* the container's ID in hex */
#define IPROV_GEN_PARAM_LABEL "iotsafe-label" /* the container's label */

/* keygen.c: the gen_* entries of the EC keymgmt. */
OSSL_FUNC_keymgmt_gen_init_fn iprov_keygen_init;
OSSL_FUNC_keymgmt_gen_set_template_fn iprov_keygen_set_template;
OSSL_FUNC_keymgmt_gen_set_params_fn iprov_keygen_set_params;
OSSL_FUNC_keymgmt_gen_settable_params_fn iprov_keygen_settable_params;
OSSL_FUNC_keymgmt_gen_fn iprov_keygen;
OSSL_FUNC_keymgmt_gen_cleanup_fn iprov_keygen_cleanup;

#endif
