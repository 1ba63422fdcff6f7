/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the parser of the channel-owner record
 * (src/chanrec.c), a file every process of the card's group writes: nothing may crash or
 * read past the input, and every line kept must be within bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/card_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so any read past the end is caught */
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    if (size)
        memcpy(buf, data, size);
    chanrec_line l[8];
    size_t n = chanrec_parse(buf, size, l, 8);
    if (n > 8)
        abort();
    for (size_t i = 0; i < n; i++)
        if (l[i].ch < 1 || l[i].ch > 19 || l[i].owner.pid <= 0)
            abort();
    free(buf);
    return 0;
}
