/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider's settings: its openssl.cnf section, overridden by IOTSAFE_*
 * environment variables, each parsed by libiotsafe's one parser for it.
 * Read once at load; no card I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/params.h>

#include "config.h"
#include "debug.h"
#include "error.h"
#include "provctx.h"

/* Config keys in the provider's openssl.cnf section and the env vars that override them. */
enum {
    CFG_READER,
    CFG_AID,
    CFG_CLA,
    CFG_CHANNEL,
    CFG_TRACE,
    CFG_RAND,
    CFG_DH_PEER_SLOT,
    CFG_MODEM,
    CFG_MODEM_MODE,
    CFG_VERIFY_SIGNATURES,
    CFG_TIMEOUT,
    CFG_CHANNEL_EXHAUSTED,
    CFG_STATE_DIR,
    CFG_N
};
static const struct {
    const char *key;
    const char *env;
    const char *expect; /* the valid values, for the message about a bad one */
} cfg_names[CFG_N] = {
    [CFG_READER] = {"reader", "IOTSAFE_READER", "a reader name"},
    [CFG_AID] = {"aid", "IOTSAFE_AID", IOTSAFE_SETTING_AID_WORDS},
    [CFG_CLA] = {"cla", "IOTSAFE_CLA", IOTSAFE_SETTING_CLA_WORDS},
    [CFG_CHANNEL] = {"channel", "IOTSAFE_CHANNEL", IOTSAFE_SETTING_CHANNEL_WORDS},
    [CFG_TRACE] = {"trace", "IOTSAFE_TRACE", IOTSAFE_SETTING_TRACE_WORDS},
    [CFG_RAND] = {"rand", "IOTSAFE_RAND", IOTSAFE_SETTING_BOOL_WORDS},
    [CFG_DH_PEER_SLOT] = {"dh-peer-slot", "IOTSAFE_DH_PEER_SLOT",
                          "an object ID of 1 to 20 bytes in hex"},
    [CFG_MODEM] = {"modem", "IOTSAFE_MODEM", "a serial device"},
    [CFG_MODEM_MODE] = {"modem-mode", "IOTSAFE_MODEM_MODE", IOTSAFE_SETTING_AT_MODE_WORDS},
    [CFG_VERIFY_SIGNATURES] = {"verify-signatures", "IOTSAFE_VERIFY_SIGNATURES",
                               IOTSAFE_SETTING_BOOL_WORDS},
    [CFG_TIMEOUT] = {"timeout", "IOTSAFE_TIMEOUT", IOTSAFE_SETTING_SECONDS_WORDS},
    [CFG_CHANNEL_EXHAUSTED] = {"channel-exhausted", "IOTSAFE_CHANNEL_EXHAUSTED",
                               IOTSAFE_SETTING_EXHAUSTED_WORDS},
    [CFG_STATE_DIR] = {"state-dir", "IOTSAFE_STATE_DIR", IOTSAFE_SETTING_STATE_DIR_WORDS},
};

/* Copy of a string setting; 0 when out of memory (the one fatal case). */
static int set_string(IPROV_CTX *ctx, char **dst, const char *v, const char *what)
{
    free(*dst);
    *dst = strdup(v);
    if (*dst == NULL) {
        IPROV_ERR(ctx, IPROV_R_MALLOC, "copying the %s", what);
        return 0;
    }
    return 1;
}

/* 1: applied; -1: bad value (nothing changed); 0: out of memory. */
static int apply(IPROV_CTX *ctx, int which, const char *v)
{
    iprov_cfg *cfg = &ctx->cfg;
    size_t n = 0;
    switch (which) {
    case CFG_READER:
        return set_string(ctx, &cfg->reader, v, "reader name");
    case CFG_AID:
        return iotsafe_setting_aid(v, cfg->aid, &cfg->aid_len) < 0 ? -1 : 1;
    case CFG_CLA:
        return iotsafe_setting_cla(v, &cfg->cla) < 0 ? -1 : 1;
    case CFG_CHANNEL:
        return iotsafe_setting_channel(v, &cfg->basic_channel) < 0 ? -1 : 1;
    case CFG_TRACE: {
        iotsafe_trace_setting t;
        if (iotsafe_setting_trace(v, &t) < 0)
            return -1;
        cfg->trace = t.level;
        free(cfg->trace_file);
        cfg->trace_file = NULL;
        return t.file == NULL ? 1 : set_string(ctx, &cfg->trace_file, t.file, "trace file name");
    }
    case CFG_RAND:
        return iotsafe_setting_bool(v, &cfg->rand) < 0 ? -1 : 1;
    case CFG_VERIFY_SIGNATURES:
        return iotsafe_setting_bool(v, &cfg->verify_signatures) < 0 ? -1 : 1;
    case CFG_DH_PEER_SLOT: {
        uint8_t id[IOTSAFE_ID_MAX];
        if (iotsafe_hex_parse(v, " :", id, sizeof(id), &n) < 0 || n == 0)
            return -1;
        memcpy(cfg->dh_peer_slot, id, n);
        cfg->dh_peer_slot_len = n;
        return 1;
    }
    case CFG_MODEM:
        return set_string(ctx, &cfg->modem, v, "modem device name");
    case CFG_MODEM_MODE:
        return iotsafe_setting_at_mode(v, &cfg->modem_mode) < 0 ? -1 : 1;
    case CFG_TIMEOUT:
        return iotsafe_setting_seconds(v, &cfg->timeout_ms) < 0 ? -1 : 1;
    case CFG_CHANNEL_EXHAUSTED:
        return iotsafe_setting_channel_exhausted(v, &cfg->on_exhausted) < 0 ? -1 : 1;
    case CFG_STATE_DIR: {
        const char *dir;
        if (iotsafe_setting_state_dir(v, &dir) < 0)
            return -1;
        return set_string(ctx, &cfg->state_dir, dir, "state directory");
    }
    default:
        return -1;
    }
}

/* Remember a bad setting (appended, escaped: the value is the user's text). */
static void bad_setting(IPROV_CTX *ctx, int which, const char *v, const char *origin)
{
    char e[96];
    size_t used = strlen(ctx->bad_config);
    snprintf(ctx->bad_config + used, sizeof(ctx->bad_config) - used, "%sbad value '%s' for %s (%s)",
             used > 0 ? "; " : "", iotsafe_escape_str(v, e, sizeof(e)), origin,
             cfg_names[which].expect);
}

/* "key=value (env)" appended to the settings the debug log shows at first use. */
static void note_setting(IPROV_CTX *ctx, int which, const char *v, int from_env)
{
    char e[96];
    size_t used = strlen(ctx->settings);
    snprintf(ctx->settings + used, sizeof(ctx->settings) - used, "%s%s=%s (%s)",
             used > 0 ? ", " : "", cfg_names[which].key, iotsafe_escape_str(v, e, sizeof(e)),
             from_env ? cfg_names[which].env : "config");
}

int iprov_cfg_load(IPROV_CTX *ctx, const OSSL_DISPATCH *in)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    const char *vals[CFG_N] = {NULL};
    OSSL_PARAM params[CFG_N + 1];

    for (; in != NULL && in->function_id != 0; in++)
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            get_params = OSSL_FUNC_core_get_params(in);

    ctx->cfg.cla = IOTSAFE_CLA_AUTO;
    ctx->cfg.verify_signatures = 1;
    ctx->bad_config[0] = '\0';
    ctx->settings[0] = '\0';
    for (int i = 0; i < CFG_N; i++)
        params[i] = OSSL_PARAM_construct_utf8_ptr(cfg_names[i].key, (char **)&vals[i], 0);
    params[CFG_N] = OSSL_PARAM_construct_end();
    /* One call fetches every key of our section; absent keys stay NULL. */
    if (get_params != NULL && !get_params(ctx->handle, params))
        for (int i = 0; i < CFG_N; i++)
            vals[i] = NULL;

    for (int i = 0; i < CFG_N; i++) {
        const char *env = getenv(cfg_names[i].env);
        const char *v = NULL;
        char origin[96];
        /* An empty environment variable means "not set", so tests can unset by exporting "". */
        if (env != NULL && env[0] != '\0') {
            snprintf(origin, sizeof(origin), "environment variable %s", cfg_names[i].env);
            v = env;
        } else if (vals[i] != NULL && vals[i][0] != '\0') {
            snprintf(origin, sizeof(origin), "'%s' in the provider's config section",
                     cfg_names[i].key);
            v = vals[i];
        }
        if (v == NULL)
            continue;
        int r = apply(ctx, i, v);
        if (r == 0)
            return 0;
        if (r < 0)
            bad_setting(ctx, i, v, origin);
        else
            note_setting(ctx, i, v, env == v);
    }
    iprov_debug_open(ctx);
    return 1;
}

int iprov_usable(const IPROV_CTX *ctx)
{
    if (ctx == NULL)
        return 0;
    if (ctx->bad_config[0] == '\0')
        return 1;
    IPROV_ERR(ctx, IPROV_R_BAD_CONFIG, "%s; the IoT SAFE provider is unusable until this is fixed",
              ctx->bad_config);
    return 0;
}
