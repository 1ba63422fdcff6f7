/* SPDX-License-Identifier: Apache-2.0 */
/* Result codes and status reporting shared by every libiotsafe call. */
#ifndef IOTSAFE_ERROR_H
#define IOTSAFE_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every libiotsafe function returns one of these. IOTSAFE_OK is 0. */
typedef enum iotsafe_rc {
    IOTSAFE_OK = 0,
    IOTSAFE_E_INVALID_ARG, /* caller passed something unusable */
    IOTSAFE_E_NOMEM,
    IOTSAFE_E_BUFFER,       /* caller's buffer too small */
    IOTSAFE_E_NO_SERVICE,   /* no PC/SC daemon (SCARD_E_NO_SERVICE) */
    IOTSAFE_E_NO_READER,    /* no reader, or none matches the selector */
    IOTSAFE_E_NO_CARD,      /* reader empty */
    IOTSAFE_E_CARD_REMOVED, /* card went away mid-operation, reconnect failed */
    IOTSAFE_E_CARD_RESET,   /* card was reset and could not be reselected */
    IOTSAFE_E_TRANSPORT,    /* other transport failure */
    IOTSAFE_E_NO_APPLET,    /* SELECT of the IoT SAFE AID answered 6A82 */
    IOTSAFE_E_SW,           /* card answered an error status word (see status.sw) */
    IOTSAFE_E_MALFORMED,    /* card answer does not parse */
    IOTSAFE_E_NOT_FOUND,    /* no object with this ID/label (6A82 or absent from list) */
    IOTSAFE_E_USAGE,        /* object exists but may not be used this way (6985 / attrs) */
    IOTSAFE_E_SIG_MISMATCH, /* VERIFY answered 6D01 */
    IOTSAFE_E_UNSUPPORTED,  /* feature not offered by this card / transport */
    IOTSAFE_E_TIMEOUT,      /* no answer (or no turn at the reader) before the deadline */
} iotsafe_rc;

/*
 * Optional out-parameter of every command: what went wrong, in words a user
 * can act on. Never contains key material. Thread-safe because it belongs
 * to the caller, not to the card handle.
 */
typedef struct iotsafe_status {
    iotsafe_rc rc;
    uint16_t sw;   /* last card status word, 0 if none was received */
    char msg[512]; /* e.g. "COMPUTE SIGNATURE on private key id=01 (DEVKEY) in reader 'R': card answered 6985 (conditions of use not satisfied)" */
    /*
     * Context for the messages, filled by libiotsafe while it works: the
     * command and object being handled (so an answer the APDU layer rejects
     * names them) and the reader. Escaped text; "" / NULL when not known.
     */
    const char *cmd;  /* "COMPUTE SIGNATURE" */
    char obj[160];    /* "private key id=01 (DEVKEY)" */
    char reader[128]; /* the reader (or modem) the card is in */
} iotsafe_status;

/* Short constant name of a result code ("no reader", ...). */
const char *iotsafe_rc_str(iotsafe_rc rc);

/* Meaning of a card status word per IoT.05 / ISO 7816-4 ("conditions of use not satisfied"). */
const char *iotsafe_sw_str(uint16_t sw);

/* Fill st (when non-NULL) and return rc. printf-style message. */
iotsafe_rc iotsafe_status_set(iotsafe_status *st, iotsafe_rc rc, uint16_t sw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset st to OK with an empty message (no-op on NULL). */
void iotsafe_status_clear(iotsafe_status *st);

#ifdef __cplusplus
}
#endif
#endif
