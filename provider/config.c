/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider's settings: its openssl.cnf section, overridden by IOTSAFE_*
 * environment variables: libiotsafe's shared options (iotsafe/options.h), each
 * parsed by its one parser there, and the provider's own `rand`. Read once at
 * load; no card I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/params.h>

#include "config.h"
#include "debug.h"
#include "error.h"
#include "provctx.h"

/*
 * The keys of the provider's section: libiotsafe's shared options (their
 * numbers), then its own `rand`. Names, variables and the words of messages
 * come from libiotsafe for the shared ones.
 */
enum { CFG_RAND = IOTSAFE_OPT_N, CFG_N };

static const char *cfg_name(int k)
{
    return k == CFG_RAND ? "rand" : iotsafe_option_name((iotsafe_option)k);
}

static const char *cfg_env(int k)
{
    return k == CFG_RAND ? "IOTSAFE_RAND" : iotsafe_option_env((iotsafe_option)k);
}

static const char *cfg_words(int k)
{
    return k == CFG_RAND ? IOTSAFE_SETTING_BOOL_WORDS : iotsafe_option_words((iotsafe_option)k);
}

/* The key read in turn i: `rand` right after `trace`, where messages have always listed it. */
static int cfg_key(int i)
{
    if (i <= IOTSAFE_OPT_TRACE)
        return i;
    return i == IOTSAFE_OPT_TRACE + 1 ? CFG_RAND : i - 1;
}

/* 1: applied; -1: bad value (nothing changed); 0: out of memory (raised). */
static int apply(IPROV_CTX *ctx, int k, const char *v)
{
    if (k == CFG_RAND)
        return iotsafe_setting_bool(v, &ctx->cfg.rand) < 0 ? -1 : 1;
    int r = iotsafe_options_set(&ctx->cfg.opts, (iotsafe_option)k, v);
    if (r == 0)
        IPROV_ERR(ctx, IPROV_R_MALLOC, "copying the value of '%s'", cfg_name(k));
    return r;
}

/* Remember a bad setting (appended, escaped: the value is the user's text). */
static void bad_setting(IPROV_CTX *ctx, int k, const char *v, const char *origin)
{
    char e[96];
    size_t used = strlen(ctx->bad_config);
    snprintf(ctx->bad_config + used, sizeof(ctx->bad_config) - used, "%sbad value '%s' for %s (%s)",
             used > 0 ? "; " : "", iotsafe_escape_str(v, e, sizeof(e)), origin, cfg_words(k));
}

/* "key=value (env)" appended to the settings the debug log shows at first use. */
static void note_setting(IPROV_CTX *ctx, int k, const char *v, int from_env)
{
    char e[96];
    size_t used = strlen(ctx->settings);
    snprintf(ctx->settings + used, sizeof(ctx->settings) - used, "%s%s=%s (%s)",
             used > 0 ? ", " : "", cfg_name(k), iotsafe_escape_str(v, e, sizeof(e)),
             from_env ? cfg_env(k) : "config");
}

int iprov_cfg_load(IPROV_CTX *ctx, const OSSL_DISPATCH *in)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    const char *vals[CFG_N] = {NULL};
    OSSL_PARAM params[CFG_N + 1];

    for (; in != NULL && in->function_id != 0; in++)
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            get_params = OSSL_FUNC_core_get_params(in);

    iotsafe_options_init(&ctx->cfg.opts);
    ctx->cfg.rand = 0;
    ctx->bad_config[0] = '\0';
    ctx->settings[0] = '\0';
    for (int k = 0; k < CFG_N; k++)
        params[k] = OSSL_PARAM_construct_utf8_ptr(cfg_name(k), (char **)&vals[k], 0);
    params[CFG_N] = OSSL_PARAM_construct_end();
    /* One call fetches every key of our section; absent keys stay NULL. */
    if (get_params != NULL && !get_params(ctx->handle, params))
        for (int k = 0; k < CFG_N; k++)
            vals[k] = NULL;

    for (int i = 0; i < CFG_N; i++) {
        const int k = cfg_key(i);
        const char *env = getenv(cfg_env(k));
        const char *v = NULL;
        char origin[96];
        /* An empty environment variable means "not set", so tests can unset by exporting "". */
        if (env != NULL && env[0] != '\0') {
            snprintf(origin, sizeof(origin), "environment variable %s", cfg_env(k));
            v = env;
        } else if (vals[k] != NULL && vals[k][0] != '\0') {
            snprintf(origin, sizeof(origin), "'%s' in the provider's config section", cfg_name(k));
            v = vals[k];
        }
        if (v == NULL)
            continue;
        int r = apply(ctx, k, v);
        if (r == 0)
            return 0;
        if (r < 0)
            bad_setting(ctx, k, v, origin);
        else
            note_setting(ctx, k, v, env == v);
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
