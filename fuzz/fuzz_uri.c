/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the iotsafe: URI parser. Besides "never crash", it
 * checks that whatever parses formats back to a URI that parses to the same
 * object (the formatter's output is canonical).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iotsafe_uri a, b;
    char err[160];
    char text[IOTSAFE_URI_MAX + 1];
    char again[IOTSAFE_URI_MAX + 1];
    int n, m;

    if (iotsafe_uri_parse((const char *)data, size, &a, err, sizeof(err)) != 0) {
        if (memchr(err, '\0', sizeof(err)) == NULL)
            abort(); /* the reason must always be a terminated string */
        return 0;
    }
    n = iotsafe_uri_format(&a, text, sizeof(text));
    if (n < 0)
        return 0; /* escaping may legitimately push a long URI over the limit */
    if ((size_t)n != strlen(text) || iotsafe_uri_parse(text, (size_t)n, &b, err, sizeof(err)) != 0)
        abort();
    if (memcmp(&a, &b, sizeof(a)) != 0)
        abort();
    m = iotsafe_uri_format(&b, again, sizeof(again));
    if (m != n || memcmp(text, again, (size_t)n) != 0)
        abort();
    return 0;
}
