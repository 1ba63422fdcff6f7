/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the GET DATA object-list parser on arbitrary card answers. */
#include <stdint.h>
#include <stdlib.h>

#include "iotsafe/commands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iotsafe_object *objs = NULL;
    size_t n = 0;
    iotsafe_status st;
    iotsafe_rc rc = iotsafe_parse_object_list(data, size, &objs, &n, &st);
    if (rc == IOTSAFE_OK) {
        for (size_t i = 0; i < n; i++) {
            if (objs[i].id_len == 0 || objs[i].id_len > IOTSAFE_ID_MAX ||
                objs[i].label_len > IOTSAFE_LABEL_MAX)
                abort();
            char buf[2 * IOTSAFE_LABEL_MAX + 16];
            iotsafe_ref r = iotsafe_object_ref(&objs[i]);
            (void)iotsafe_ref_str(&r, buf, sizeof buf);
        }
        /* parsing twice appends */
        size_t first = n;
        if (iotsafe_parse_object_list(data, size, &objs, &n, &st) != IOTSAFE_OK || n != 2 * first)
            abort();
    } else if (objs != NULL || n != 0) {
        abort(); /* a failed parse leaves the output untouched */
    }
    free(objs);
    return 0;
}
