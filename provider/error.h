/* SPDX-License-Identifier: Apache-2.0 */
/* The provider's reason codes and raising errors through the core (error.c). */
#ifndef IPROV_ERROR_H
#define IPROV_ERROR_H

#include "provctx.h"

enum iprov_reason {
    IPROV_R_INTERNAL = 1,
    IPROV_R_MALLOC,
    IPROV_R_BAD_CONFIG,
    IPROV_R_BAD_URI,
    IPROV_R_BAD_KEYREF,
    IPROV_R_NO_SERVICE,
    IPROV_R_NO_READER,
    IPROV_R_NO_CARD,
    IPROV_R_CARD_REMOVED,
    IPROV_R_NO_APPLET,
    IPROV_R_CARD_ERROR,
    IPROV_R_OBJECT_NOT_FOUND,
    IPROV_R_WRONG_USAGE,
    IPROV_R_UNSUPPORTED_CURVE,
    IPROV_R_UNSUPPORTED_DIGEST,
    IPROV_R_NOT_A_PRIVATE_KEY,
    IPROV_R_PRIVATE_KEY_EXPORT,
    IPROV_R_BAD_ARGUMENT,
    IPROV_R_BUFFER_TOO_SMALL,
    IPROV_R_BAD_PUBLIC_KEY,
    IPROV_R_OPERATION_FAILED,
    IPROV_R_MALFORMED_ANSWER,
    IPROV_R_INVALID_SIGNATURE,
    IPROV_R_INVALID_SECRET,
    IPROV_R_TIMEOUT,
};

const OSSL_ITEM *iprov_reason_strings(void);

/* Raise an error on the application's error queue through the core upcalls. */
void iprov_raise(const IPROV_CTX *ctx, const char *file, int line, const char *func, int reason,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Raise the error a libiotsafe call reported (its message names the object and the SW). */
void iprov_raise_status(const IPROV_CTX *ctx, const char *file, int line, const char *func,
                        const iotsafe_status *st);
int iprov_reason_for_rc(iotsafe_rc rc);

#define IPROV_ERR(ctx, reason, ...) \
    iprov_raise((ctx), __FILE__, __LINE__, __func__, (reason), __VA_ARGS__)
#define IPROV_ERR_ST(ctx, st) iprov_raise_status((ctx), __FILE__, __LINE__, __func__, (st))

#endif
