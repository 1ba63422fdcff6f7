/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider's debug log. OpenSSL 3.0 drops errors raised while it loads
 * its config, and some programs print none of the errors they get: the log
 * is where a user finds what the provider saw and said.
 */
#include "debug.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void iprov_debug_line(const IPROV_CTX *ctx, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* one fprintf per line: stdio locks the stream, so threads do not interleave */
    fprintf(ctx->log != NULL ? ctx->log : stderr, "iotsafe: debug: [%ld] %s\n", (long)getpid(),
            line);
}

void iprov_debug_open(IPROV_CTX *ctx)
{
    if (ctx->cfg.opts.trace == IOTSAFE_TRACE_OFF || ctx->cfg.opts.trace_file == NULL)
        return;
    /* appended, closed on exec; line-buffered so a fork never copies a half line */
    ctx->log = fopen(ctx->cfg.opts.trace_file, "ae");
    if (ctx->log != NULL) {
        setvbuf(ctx->log, NULL, _IOLBF, 0);
    } else {
        /* whatever the level: the user asked for a file and gets stderr instead */
        char e[160];
        fprintf(stderr, "iotsafe: cannot open the trace file '%s' (%s); tracing to stderr\n",
                iotsafe_escape_str(ctx->cfg.opts.trace_file, e, sizeof(e)), strerror(errno));
    }
}

void iprov_debug_settings(IPROV_CTX *ctx)
{
    int no = 0;
    if (!IPROV_DEBUG_ON(ctx) || !atomic_compare_exchange_strong(&ctx->settings_logged, &no, 1))
        return;
    iprov_debug_line(ctx, "settings in force: %s",
                     ctx->settings[0] != '\0' ? ctx->settings : "all defaults");
}

void iprov_debug_close(IPROV_CTX *ctx)
{
    if (ctx->log != NULL)
        fclose(ctx->log);
    ctx->log = NULL;
}
