/* SPDX-License-Identifier: Apache-2.0 */
/* The provider's settings (config.c): its openssl.cnf section and IOTSAFE_* variables. */
#ifndef IPROV_CONFIG_H
#define IPROV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>

#include "iotsafe/iotsafe.h"

#define IPROV_AID_MAX 16

/* Settings from the openssl.cnf section, overridden by environment variables. */
typedef struct iprov_cfg {
    char *reader; /* NULL: first reader whose card has the applet */
    uint8_t aid[IPROV_AID_MAX];
    size_t aid_len; /* 0: the GSMA AID */
    iotsafe_cla_style cla;
    int basic_channel;
    iotsafe_trace_level trace; /* `trace`: off, APDU trace, or that and the debug log */
    char *trace_file;          /* NULL: stderr */
    int rand;                  /* opt-in card RNG */
    int verify_signatures;     /* ECDSA-verify each card signature before release (default 1) */
    uint8_t dh_peer_slot[IOTSAFE_ID_MAX];
    size_t dh_peer_slot_len;    /* 0: first public key with update access */
    char *modem;                /* AT modem device: used instead of PC/SC when set */
    iotsafe_at_mode modem_mode; /* AT+CSIM (default) or AT+CCHO/AT+CGLA */
    unsigned long timeout_ms;   /* `timeout`: every card command's deadline; 0: per class */
    iotsafe_channel_exhausted on_exhausted; /* `channel-exhausted` */
    char *state_dir; /* `state-dir`: NULL: libiotsafe's default (/run/iotsafe) */
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
