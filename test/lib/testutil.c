/* SPDX-License-Identifier: Apache-2.0 */
#include "testutil.h"

#include "iotsafe/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t hex2bin(const char *hex, uint8_t *out, size_t cap)
{
    static const char space[] = " \t\r\n";
    size_t n = 0;
    if (hex[strspn(hex, space)] == '\0')
        return 0;
    ck_assert_msg(iotsafe_hex_parse(hex, space, out, cap, &n) == 0,
                  "bad hex test data (odd digit, other character or over %zu bytes): %s", cap, hex);
    return n;
}

typedef struct step {
    int any;
    uint8_t cmd[300];
    size_t cmd_len;
    uint8_t resp[300];
    size_t resp_len;
    iotsafe_rc err;
} step;

struct script {
    step *steps;
    size_t n, cap, pos;
    char error[1600];
};

script *script_new(void)
{
    script *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    return s;
}

void script_free(script *s)
{
    if (s != NULL)
        free(s->steps);
    free(s);
}

static step *add(script *s, const char *cmd_hex)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->steps = realloc(s->steps, s->cap * sizeof *s->steps);
        ck_assert_ptr_nonnull(s->steps);
    }
    step *st = &s->steps[s->n++];
    memset(st, 0, sizeof *st);
    if (strcmp(cmd_hex, "*") == 0)
        st->any = 1;
    else
        st->cmd_len = hex2bin(cmd_hex, st->cmd, sizeof st->cmd);
    return st;
}

void script_expect(script *s, const char *cmd_hex, const char *resp_hex)
{
    step *st = add(s, cmd_hex);
    st->resp_len = hex2bin(resp_hex, st->resp, sizeof st->resp);
}

void script_expect_err(script *s, const char *cmd_hex, iotsafe_rc rc)
{
    step *st = add(s, cmd_hex);
    st->err = rc;
}

void script_expect_open(script *s)
{
    script_expect(s, TV_OPEN_CMD, "01 9000");
    script_expect(s, TV_SELECT_CMD, "9000");
}

size_t script_remaining(const script *s)
{
    return s->n - s->pos;
}

const char *script_error(const script *s)
{
    return s->error[0] != '\0' ? s->error : NULL;
}

int script_fn(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len)
{
    script *s = ctx;
    char got[700], want[700];
    iotsafe_hex_format(cmd, cmd_len, got, sizeof got);
    if (s->pos >= s->n) {
        if (s->error[0] == '\0')
            snprintf(s->error, sizeof s->error, "unexpected extra APDU %s", got);
        resp[0] = 0x6F;
        resp[1] = 0x00;
        *resp_len = 2;
        return 0;
    }
    const step *st = &s->steps[s->pos++];
    if (!st->any && (st->cmd_len != cmd_len || memcmp(st->cmd, cmd, cmd_len) != 0)) {
        iotsafe_hex_format(st->cmd, st->cmd_len, want, sizeof want);
        if (s->error[0] == '\0')
            snprintf(s->error, sizeof s->error, "step %zu: expected %s got %s", s->pos, want, got);
        resp[0] = 0x6F;
        resp[1] = 0x00;
        *resp_len = 2;
        return 0;
    }
    if (st->err != IOTSAFE_OK)
        return -(int)st->err;
    ck_assert_uint_le(st->resp_len, *resp_len);
    memcpy(resp, st->resp, st->resp_len);
    *resp_len = st->resp_len;
    return 0;
}

iotsafe_card *script_card(script *s, const iotsafe_config *cfg)
{
    iotsafe_transport *t = NULL;
    iotsafe_card *c = NULL;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_func_transport_new(script_fn, s, &t), IOTSAFE_OK);
    iotsafe_rc rc = iotsafe_card_attach(cfg, t, &c, &st);
    ck_assert_msg(rc == IOTSAFE_OK, "attach failed: %s (%s)", st.msg,
                  script_error(s) ? script_error(s) : "");
    return c;
}

void script_done(const script *s)
{
    ck_assert_msg(script_error(s) == NULL, "%s", script_error(s));
    ck_assert_msg(script_remaining(s) == 0, "%zu scripted APDUs were not sent",
                  script_remaining(s));
}
