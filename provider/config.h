/* SPDX-License-Identifier: Apache-2.0 */
/* The provider's settings (config.c): its openssl.cnf section and IOTSAFE_* variables. */
#ifndef IPROV_CONFIG_H
#define IPROV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>

#include "iotsafe/iotsafe.h"

/*
 * Settings from the openssl.cnf section, overridden by environment variables:
 * the ones every front end takes (libiotsafe's, one parser each), and the
 * provider's own.
 */
typedef struct iprov_cfg {
    iotsafe_options opts; /* reader, aid, cla, ..., state-dir (iotsafe/options.h) */
    int rand;             /* `rand`: opt-in card RNG */
} iprov_cfg;

struct iprov_ctx;

/*
 * Fill cfg from the core's config (one core_get_params call) and env vars.
 * Bad values are recorded in ctx->bad_config, not raised; 0 only when out
 * of memory.
 */
int iprov_cfg_load(struct iprov_ctx *ctx, const OSSL_DISPATCH *in);

/*
 * 1 if the provider's settings are good; else raise the bad settings
 * (IPROV_R_BAD_CONFIG) and return 0. Every operation starts with it.
 */
int iprov_usable(const struct iprov_ctx *ctx);

#endif
