/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the PKCS#11 module's configuration file (pkcs11/settings.c), any
 * bytes a file can hold: lines bounded in length and number, NUL bytes,
 * unknown keys and bad values refused with a message, the options left
 * freeable whatever happened.
 */
#include <stdint.h>
#include <stdio.h>

#include "p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    p11_g.log = sink; /* the messages are not what is fuzzed */
    iotsafe_options o;
    iotsafe_options_init(&o);
    (void)p11_settings_parse(&o, (const char *)data, size, "fuzz.conf");
    iotsafe_options_clear(&o);
    return 0;
}
