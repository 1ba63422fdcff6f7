/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The debug log (debug.c): with `trace = debug` (or IOTSAFE_TRACE=debug),
 * the settings in force at the first card use, each card opened and every
 * error the provider raises, beside the APDU trace; on stderr or in the
 * file named by `trace = debug:FILE`. Lines start "iotsafe: debug: [PID]".
 * Nothing is formatted when the log is off.
 */
#ifndef IPROV_DEBUG_H
#define IPROV_DEBUG_H

#include "provctx.h"

#define IPROV_DEBUG_ON(ctx) ((ctx) != NULL && (ctx)->cfg.opts.trace == IOTSAFE_TRACE_DEBUG)
#define IPROV_DEBUG(ctx, ...)                     \
    do {                                          \
        if (IPROV_DEBUG_ON(ctx))                  \
            iprov_debug_line((ctx), __VA_ARGS__); \
    } while (0)

/* One line of the debug log (use IPROV_DEBUG, which skips the call when the log is off). */
void iprov_debug_line(const IPROV_CTX *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Open the `trace` file, if one is named (end of the config load). */
void iprov_debug_open(IPROV_CTX *ctx);
/* The settings given, once per provider instance, at the first card use. */
void iprov_debug_settings(IPROV_CTX *ctx);
void iprov_debug_close(IPROV_CTX *ctx);

#endif
