/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one place where the provider looks at which OpenSSL it is compiled
 * against. One source tree builds for 3.0, 3.5 and 4.x; what a newer line
 * adds is used only behind these macros, each tested on the lines that have
 * it (doc/provider.md, "OpenSSL lines", says what was looked at and why the
 * rest is not used).
 */
#ifndef IPROV_COMPAT_H
#define IPROV_COMPAT_H

#include <openssl/core_dispatch.h>

/*
 * 3.4+: signature algorithms that name their digest ("ECDSA-SHA2-256"...)
 * with message signing (EVP_PKEY_sign_message_init/update/final, one-shot
 * EVP_PKEY_sign of a message) and query_key_types.
 */
#if defined(OSSL_FUNC_SIGNATURE_SIGN_MESSAGE_INIT) && defined(OSSL_FUNC_SIGNATURE_QUERY_KEY_TYPES)
#define IPROV_HAVE_SIGN_MESSAGE 1
#endif

#endif
