/* SPDX-License-Identifier: Apache-2.0 */
/* Reason codes, their strings, and raising errors through the core upcalls. */
#include <stdarg.h>
#include <stdio.h>

#include "provider.h"

static const OSSL_ITEM reason_strings[] = {
    {IOTSAFE_R_INTERNAL, "internal error"},
    {IOTSAFE_R_MALLOC, "out of memory"},
    {IOTSAFE_R_BAD_CONFIG, "bad provider configuration"},
    {IOTSAFE_R_BAD_URI, "malformed iotsafe URI"},
    {IOTSAFE_R_BAD_KEYREF, "malformed IoT SAFE key reference"},
    {IOTSAFE_R_NO_SERVICE, "PC/SC service not available"},
    {IOTSAFE_R_NO_READER, "card reader not found"},
    {IOTSAFE_R_NO_CARD, "no card in reader"},
    {IOTSAFE_R_CARD_REMOVED, "card removed or reset"},
    {IOTSAFE_R_NO_APPLET, "IoT SAFE applet not found on card"},
    {IOTSAFE_R_CARD_ERROR, "card error"},
    {IOTSAFE_R_OBJECT_NOT_FOUND, "object not found on card"},
    {IOTSAFE_R_WRONG_USAGE, "key may not be used for this operation"},
    {IOTSAFE_R_UNSUPPORTED_CURVE, "unsupported curve"},
    {IOTSAFE_R_UNSUPPORTED_DIGEST, "digest not allowed for this key"},
    {IOTSAFE_R_NOT_A_PRIVATE_KEY, "not a private key on the card"},
    {IOTSAFE_R_PRIVATE_KEY_EXPORT, "private key cannot leave the card"},
    {IOTSAFE_R_BAD_ARGUMENT, "bad argument"},
    {IOTSAFE_R_BUFFER_TOO_SMALL, "output buffer too small"},
    {IOTSAFE_R_BAD_PUBLIC_KEY, "bad public key"},
    {IOTSAFE_R_OPERATION_FAILED, "card operation failed"},
    {IOTSAFE_R_MALFORMED_ANSWER, "malformed card answer"},
    {IOTSAFE_R_INVALID_SIGNATURE, "card returned an invalid signature"},
    {IOTSAFE_R_INVALID_SECRET, "card returned an invalid shared secret"},
    {IOTSAFE_R_TIMEOUT, "card did not answer in time"},
    {0, NULL},
};

const OSSL_ITEM *iotsafe_prov_reason_strings(void)
{
    return reason_strings;
}

int iotsafe_prov_reason_for_rc(iotsafe_rc rc)
{
    switch (rc) {
    case IOTSAFE_OK:
    case IOTSAFE_E_INVALID_ARG:
        return IOTSAFE_R_BAD_ARGUMENT;
    case IOTSAFE_E_NOMEM:
        return IOTSAFE_R_MALLOC;
    case IOTSAFE_E_BUFFER:
        return IOTSAFE_R_BUFFER_TOO_SMALL;
    case IOTSAFE_E_NO_SERVICE:
        return IOTSAFE_R_NO_SERVICE;
    case IOTSAFE_E_NO_READER:
        return IOTSAFE_R_NO_READER;
    case IOTSAFE_E_NO_CARD:
        return IOTSAFE_R_NO_CARD;
    case IOTSAFE_E_CARD_REMOVED:
    case IOTSAFE_E_CARD_RESET:
        return IOTSAFE_R_CARD_REMOVED;
    case IOTSAFE_E_NO_APPLET:
        return IOTSAFE_R_NO_APPLET;
    case IOTSAFE_E_NOT_FOUND:
        return IOTSAFE_R_OBJECT_NOT_FOUND;
    case IOTSAFE_E_USAGE:
        return IOTSAFE_R_WRONG_USAGE;
    case IOTSAFE_E_MALFORMED:
        return IOTSAFE_R_MALFORMED_ANSWER;
    case IOTSAFE_E_TIMEOUT:
        return IOTSAFE_R_TIMEOUT;
    case IOTSAFE_E_TRANSPORT:
    case IOTSAFE_E_SW:
    case IOTSAFE_E_SIG_MISMATCH:
    case IOTSAFE_E_UNSUPPORTED:
        break;
    }
    return IOTSAFE_R_CARD_ERROR;
}

static void vraise(const IOTSAFE_PROV_CTX *ctx, const char *file, int line, const char *func,
                   int reason, const char *fmt, va_list ap)
{
    if (ctx == NULL || ctx->core_new_error == NULL || ctx->core_vset_error == NULL)
        return;
    ctx->core_new_error(ctx->handle);
    if (ctx->core_set_error_debug != NULL)
        ctx->core_set_error_debug(ctx->handle, file, line, func);
    ctx->core_vset_error(ctx->handle, (uint32_t)reason, fmt, ap);
}

void iotsafe_prov_raise(const IOTSAFE_PROV_CTX *ctx, const char *file, int line, const char *func,
                        int reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(ctx, file, line, func, reason, fmt, ap);
    va_end(ap);
}

void iotsafe_prov_raise_status(const IOTSAFE_PROV_CTX *ctx, const char *file, int line,
                               const char *func, const iotsafe_status *st)
{
    iotsafe_rc rc = st != NULL ? st->rc : IOTSAFE_E_TRANSPORT;
    const char *msg = (st != NULL && st->msg[0] != '\0') ? st->msg : iotsafe_rc_str(rc);
    /* iotsafe_prov_card_run refuses to run with bad settings: say so */
    int reason = ctx != NULL && ctx->bad_config[0] != '\0' ? IOTSAFE_R_BAD_CONFIG
                                                            : iotsafe_prov_reason_for_rc(rc);
    iotsafe_prov_raise(ctx, file, line, func, reason, "%s", msg);
}
