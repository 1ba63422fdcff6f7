/* SPDX-License-Identifier: Apache-2.0 */
/* Result codes, status-word meanings and the caller-owned status record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iotsafe/error.h"

const char *iotsafe_rc_str(iotsafe_rc rc)
{
    switch (rc) {
    case IOTSAFE_OK:
        return "ok";
    case IOTSAFE_E_INVALID_ARG:
        return "invalid argument";
    case IOTSAFE_E_NOMEM:
        return "out of memory";
    case IOTSAFE_E_BUFFER:
        return "buffer too small";
    case IOTSAFE_E_NO_SERVICE:
        return "no PC/SC service";
    case IOTSAFE_E_NO_READER:
        return "no reader";
    case IOTSAFE_E_NO_CARD:
        return "no card";
    case IOTSAFE_E_CARD_REMOVED:
        return "card removed";
    case IOTSAFE_E_CARD_RESET:
        return "card reset";
    case IOTSAFE_E_TRANSPORT:
        return "transport error";
    case IOTSAFE_E_NO_APPLET:
        return "IoT SAFE applet not found";
    case IOTSAFE_E_SW:
        return "card error";
    case IOTSAFE_E_MALFORMED:
        return "malformed card answer";
    case IOTSAFE_E_NOT_FOUND:
        return "object not found";
    case IOTSAFE_E_USAGE:
        return "usage not allowed";
    case IOTSAFE_E_SIG_MISMATCH:
        return "signature mismatch";
    case IOTSAFE_E_UNSUPPORTED:
        return "unsupported";
    case IOTSAFE_E_TIMEOUT:
        return "timeout";
    }
    return "unknown error";
}

/* Exact status words first, then the families identified by SW1 alone. */
struct sw_name {
    uint16_t sw;
    const char *text;
};

static const struct sw_name sw_names[] = {
    {0x9000, "success"},
    {0x6300, "more data available"},
    {0x63CF, "success, remote administration session completed"},
    {0x6400, "integrity problem in the applet store"},
    {0x6581, "memory failure"},
    {0x6700, "wrong length"},
    {0x6881, "logical channel not supported"},
    {0x6882, "secure messaging not supported"},
    {0x6981, "command incompatible with file structure (offset out of bounds)"},
    {0x6982, "security status not satisfied"},
    {0x6984, "referenced data invalidated (remote administration in progress)"},
    {0x6985, "conditions of use not satisfied"},
    {0x6986, "command not allowed"},
    {0x6989, "remote administration completed or maximum capacity reached"},
    {0x6A80, "incorrect data"},
    {0x6A81, "function not supported"},
    {0x6A82, "file or reference not found"},
    {0x6A84, "not enough memory"},
    {0x6A86, "incorrect P1/P2"},
    {0x6A88, "referenced data not found"},
    {0x6B00, "wrong parameters P1/P2"},
    {0x6D00, "instruction not supported"},
    {0x6D01, "signature does not match"},
    {0x6E00, "class not supported"},
    {0x6F00, "unknown error"},
};

const char *iotsafe_sw_str(uint16_t sw)
{
    for (size_t i = 0; i < sizeof sw_names / sizeof sw_names[0]; i++)
        if (sw_names[i].sw == sw)
            return sw_names[i].text;
    switch (sw >> 8) {
    case 0x61:
        return "response bytes available (GET RESPONSE)";
    case 0x6C:
        return "wrong Le (resend with the exact length)";
    case 0x91:
        return "success, proactive command pending";
    case 0x9F:
        return "response bytes available (GSM GET RESPONSE)";
    case 0x62:
        return "warning, memory unchanged";
    case 0x63:
        return "warning, memory changed";
    case 0x64:
        return "execution error, memory unchanged";
    case 0x65:
        return "execution error, memory changed";
    case 0x67:
        return "wrong length";
    case 0x68:
        return "function in CLA not supported";
    case 0x69:
        return "command not allowed";
    case 0x6A:
        return "wrong parameters";
    case 0x6B:
        return "wrong parameters P1/P2";
    case 0x6D:
        return "instruction not supported";
    case 0x6E:
        return "class not supported";
    case 0x6F:
        return "unknown error";
    default:
        return "unknown status word";
    }
}

iotsafe_rc iotsafe_status_set(iotsafe_status *st, iotsafe_rc rc, uint16_t sw, const char *fmt, ...)
{
    if (st == NULL)
        return rc;
    st->rc = rc;
    st->sw = sw;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof st->msg, fmt, ap);
    va_end(ap);
    return rc;
}

void iotsafe_status_clear(iotsafe_status *st)
{
    if (st == NULL)
        return;
    st->rc = IOTSAFE_OK;
    st->sw = 0;
    st->msg[0] = '\0';
    st->cmd = NULL;
    st->obj[0] = '\0';
    st->reader[0] = '\0';
}
