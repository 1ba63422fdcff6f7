/* SPDX-License-Identifier: Apache-2.0 */
/* Reason codes, their strings, and raising errors through the core upcalls. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

#include "debug.h"

static const OSSL_ITEM reason_strings[] = {
    {IPROV_R_INTERNAL, "internal error"},
    {IPROV_R_MALLOC, "out of memory"},
    {IPROV_R_BAD_CONFIG, "bad provider configuration"},
    {IPROV_R_BAD_URI, "malformed iotsafe URI"},
    {IPROV_R_BAD_KEYREF, "malformed IoT SAFE key reference"},
    {IPROV_R_NO_SERVICE, "PC/SC service not available"},
    {IPROV_R_NO_READER, "card reader not found"},
    {IPROV_R_NO_CARD, "no card in reader"},
    {IPROV_R_CARD_REMOVED, "card removed or reset"},
    {IPROV_R_NO_APPLET, "IoT SAFE applet not found on card"},
    {IPROV_R_CARD_ERROR, "card error"},
    {IPROV_R_OBJECT_NOT_FOUND, "object not found on card"},
    {IPROV_R_WRONG_USAGE, "key may not be used for this operation"},
    {IPROV_R_UNSUPPORTED_CURVE, "unsupported curve"},
    {IPROV_R_UNSUPPORTED_DIGEST, "digest not allowed for this key"},
    {IPROV_R_NOT_A_PRIVATE_KEY, "not a private key on the card"},
    {IPROV_R_PRIVATE_KEY_EXPORT, "private key cannot leave the card"},
    {IPROV_R_BAD_ARGUMENT, "bad argument"},
    {IPROV_R_BUFFER_TOO_SMALL, "output buffer too small"},
    {IPROV_R_BAD_PUBLIC_KEY, "bad public key"},
    {IPROV_R_OPERATION_FAILED, "card operation failed"},
    {IPROV_R_MALFORMED_ANSWER, "malformed card answer"},
    {IPROV_R_INVALID_SIGNATURE, "card returned an invalid signature"},
    {IPROV_R_INVALID_SECRET, "card returned an invalid shared secret"},
    {IPROV_R_TIMEOUT, "card did not answer in time"},
    {0, NULL},
};

const OSSL_ITEM *iprov_reason_strings(void)
{
    return reason_strings;
}

int iprov_reason_for_rc(iotsafe_rc rc)
{
    switch (rc) {
    case IOTSAFE_OK:
    case IOTSAFE_E_INVALID_ARG:
        return IPROV_R_BAD_ARGUMENT;
    case IOTSAFE_E_NOMEM:
        return IPROV_R_MALLOC;
    case IOTSAFE_E_BUFFER:
        return IPROV_R_BUFFER_TOO_SMALL;
    case IOTSAFE_E_NO_SERVICE:
        return IPROV_R_NO_SERVICE;
    case IOTSAFE_E_NO_READER:
        return IPROV_R_NO_READER;
    case IOTSAFE_E_NO_CARD:
        return IPROV_R_NO_CARD;
    case IOTSAFE_E_CARD_REMOVED:
    case IOTSAFE_E_CARD_RESET:
        return IPROV_R_CARD_REMOVED;
    case IOTSAFE_E_NO_APPLET:
        return IPROV_R_NO_APPLET;
    case IOTSAFE_E_NOT_FOUND:
        return IPROV_R_OBJECT_NOT_FOUND;
    case IOTSAFE_E_USAGE:
        return IPROV_R_WRONG_USAGE;
    case IOTSAFE_E_MALFORMED:
        return IPROV_R_MALFORMED_ANSWER;
    case IOTSAFE_E_TIMEOUT:
        return IPROV_R_TIMEOUT;
    case IOTSAFE_E_TRANSPORT:
    case IOTSAFE_E_SW:
    case IOTSAFE_E_SIG_MISMATCH:
    case IOTSAFE_E_UNSUPPORTED:
        break;
    }
    return IPROV_R_CARD_ERROR;
}

static const char *reason_text(int reason)
{
    for (const OSSL_ITEM *r = reason_strings; r->ptr != NULL; r++)
        if (r->id == (unsigned)reason)
            return r->ptr;
    return "unknown reason";
}

static void vraise(const IPROV_CTX *ctx, const char *file, int line, const char *func, int reason,
                   const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void vraise(const IPROV_CTX *ctx, const char *file, int line, const char *func, int reason,
                   const char *fmt, va_list ap)
{
    if (IPROV_DEBUG_ON(ctx)) {
        /* every error raised, whether or not the application ever prints it */
        char msg[768];
        va_list copy;
        va_copy(copy, ap);
        vsnprintf(msg, sizeof(msg), fmt, copy);
        va_end(copy);
        iprov_debug_line(ctx, "error: %s: %s (in %s, %s:%d)", reason_text(reason), msg, func, file,
                         line);
    }
    if (ctx == NULL || ctx->core_new_error == NULL || ctx->core_vset_error == NULL)
        return;
    ctx->core_new_error(ctx->handle);
    if (ctx->core_set_error_debug != NULL)
        ctx->core_set_error_debug(ctx->handle, file, line, func);
    ctx->core_vset_error(ctx->handle, (uint32_t)reason, fmt, ap);
}

void iprov_raise(const IPROV_CTX *ctx, const char *file, int line, const char *func, int reason,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(ctx, file, line, func, reason, fmt, ap);
    va_end(ap);
}

void iprov_raise_status(const IPROV_CTX *ctx, const char *file, int line, const char *func,
                        const iotsafe_status *st)
{
    iotsafe_rc rc = st != NULL ? st->rc : IOTSAFE_E_TRANSPORT;
    const char *msg = (st != NULL && st->msg[0] != '\0') ? st->msg : iotsafe_rc_str(rc);
    /* iprov_card_run refuses to run with bad settings: say so */
    int reason = ctx != NULL && ctx->bad_config[0] != '\0' ? IPROV_R_BAD_CONFIG
                                                           : iprov_reason_for_rc(rc);
    iprov_raise(ctx, file, line, func, reason, "%s", msg);
}
