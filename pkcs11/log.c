/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the module says. PKCS#11 has no channel for messages, only return
 * codes, so each failure is also said in one line on stderr (or the file the
 * `trace` setting names), prefixed "iotsafe-pkcs11: ". Text from the card or
 * the user reaches it escaped: libiotsafe's messages are, and p11_log's
 * callers escape what they add.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"

void p11_log(const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    FILE *out = p11_g.log != NULL ? p11_g.log : stderr;
    /* one write per line, so lines of threads and processes do not mix */
    flockfile(out);
    fprintf(out, "iotsafe-pkcs11: %s\n", line);
    fflush(out);
    funlockfile(out);
}

void p11_debug(const char *fmt, ...)
{
    if (p11_g.opts.trace != IOTSAFE_TRACE_DEBUG)
        return;
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    p11_log("debug: [%ld] %s", (long)getpid(), line);
}

CK_RV p11_card_error(iotsafe_rc rc, const iotsafe_status *st)
{
    p11_log("%s", st != NULL && st->msg[0] != '\0' ? st->msg : iotsafe_rc_str(rc));
    return p11_card_rv(rc);
}

CK_RV p11_card_rv(iotsafe_rc rc)
{
    switch (rc) {
    case IOTSAFE_OK:
        return CKR_OK;
    case IOTSAFE_E_NOMEM:
        return CKR_HOST_MEMORY;
    case IOTSAFE_E_INVALID_ARG:
    case IOTSAFE_E_BUFFER:
        return CKR_ARGUMENTS_BAD;
    case IOTSAFE_E_NO_CARD:
    case IOTSAFE_E_CARD_REMOVED:
    case IOTSAFE_E_NO_READER:
        return CKR_DEVICE_REMOVED;
    case IOTSAFE_E_NO_APPLET:
        return CKR_TOKEN_NOT_RECOGNIZED;
    case IOTSAFE_E_NOT_FOUND:
        return CKR_KEY_HANDLE_INVALID;
    case IOTSAFE_E_USAGE:
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    case IOTSAFE_E_UNSUPPORTED:
        return CKR_FUNCTION_NOT_SUPPORTED;
    case IOTSAFE_E_NO_SERVICE:
    case IOTSAFE_E_CARD_RESET:
    case IOTSAFE_E_TRANSPORT:
    case IOTSAFE_E_SW:
    case IOTSAFE_E_MALFORMED:
    case IOTSAFE_E_SIG_MISMATCH:
    case IOTSAFE_E_TIMEOUT:
        break;
    }
    return CKR_DEVICE_ERROR;
}

void p11_pad(CK_UTF8CHAR *dst, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (n > len)
        n = len;
    memset(dst, ' ', len);
    memcpy(dst, s, n);
}
