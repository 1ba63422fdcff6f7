/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool read-file and random. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define RANDOM_MAX 65536

int cmd_read_file(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_FILE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_ref ref = iotsafe_object_ref(&ob);
    uint8_t *data = NULL;
    size_t len = 0;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_read_file(c, &ref, &data, &len, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, TOOL_OBJ(&ob));
        goto out;
    }
    int is_cert = 0;
    rc = tool_write_cert(o->out, data, len, o->der, &is_cert);
    free(data);
out:
    iotsafe_card_free(c);
    return rc;
}

int cmd_random(const tool_opts *o)
{
    if (o->n_positional != 1) {
        tool_err("invalid argument: random needs the number of bytes (1..%d)", RANDOM_MAX);
        return EXIT_BAD_ARGS;
    }
    const char *s = o->positional[0];
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (errno || !end || *end != '\0' || s[0] < '0' || s[0] > '9' || n == 0 || n > RANDOM_MAX) {
        tool_err("invalid argument: random: '%s' is not a byte count in 1..%d", TOOL_ESC(s),
                 RANDOM_MAX);
        return EXIT_BAD_ARGS;
    }
    uint8_t *buf = malloc(n);
    if (!buf) {
        tool_err("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    iotsafe_card *c = NULL;
    int rc = tool_open_card(o, &c);
    if (rc != EXIT_OK) {
        free(buf);
        return rc;
    }
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_get_random(c, buf, n, &st);
    iotsafe_card_free(c);
    if (r != IOTSAFE_OK) {
        free(buf);
        return tool_fail(r, &st, "GET RANDOM");
    }
    if (o->out) {
        /* --out: raw bytes, for use as a seed file */
        rc = tool_write_output(o->out, buf, n);
    } else {
        rc = tool_print_line(tool_hex(buf, n));
    }
    free(buf);
    return rc;
}
