/* SPDX-License-Identifier: Apache-2.0 */
/* Key objects built from the card (key_load.c). */
#ifndef IPROV_KEY_LOAD_H
#define IPROV_KEY_LOAD_H

#include "key.h"

/*
 * The key for a private or public key object found on the card: the paired
 * public key is located and its point read (cached by libiotsafe per
 * handle). Runs through iprov_card_run (a fresh handle on a dead
 * connection). Does not raise: the caller decides whether a failure is
 * worth reporting.
 */
iotsafe_rc iprov_key_load_object(IPROV_CTX *ctx, const char *reader, const iotsafe_object *obj,
                                 IPROV_KEY **out, iotsafe_status *st);

/*
 * Resolve a URI to one key (store and decoder share this): the first private
 * key matching uri (a public key when uri says type=public). Raises a clear
 * error naming the object and the reader on failure.
 */
IPROV_KEY *iprov_key_resolve(IPROV_CTX *ctx, const iotsafe_uri *uri);

#endif
