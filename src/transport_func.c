/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process transport around a function that plays the card (the simulator
 * core in unit tests, scripted answers in fuzzers). The callback returns 0
 * on success; a negative value -IOTSAFE_E_xxx makes transmit report that
 * code (so tests can simulate a reset or removal), anything else is a
 * transport failure.
 */
#include <stdlib.h>

#include "iotsafe/transport.h"

typedef struct func_impl {
    iotsafe_card_fn fn;
    void *ctx;
} func_impl;

static iotsafe_rc func_transmit(iotsafe_transport *t, const uint8_t *cmd, size_t cmd_len,
                                uint8_t *resp, size_t *resp_len, iotsafe_status *st)
{
    func_impl *f = t->impl;
    size_t cap = *resp_len;
    int r = f->fn(f->ctx, cmd, cmd_len, resp, resp_len);
    if (r == 0) {
        if (*resp_len > cap || *resp_len < 2)
            return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0,
                                      "in-process card returned %zu bytes (needs 2..%zu)",
                                      *resp_len, cap);
        return IOTSAFE_OK;
    }
    *resp_len = 0;
    if (r < 0 && -r > IOTSAFE_OK && -r <= IOTSAFE_E_UNSUPPORTED) {
        iotsafe_rc rc = (iotsafe_rc)-r;
        return iotsafe_status_set(st, rc, 0, "in-process card: %s", iotsafe_rc_str(rc));
    }
    return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0, "in-process card failed (%d)", r);
}

static iotsafe_rc func_noop(iotsafe_transport *t, iotsafe_status *st)
{
    (void)t;
    (void)st;
    return IOTSAFE_OK;
}

static const char *func_describe(const iotsafe_transport *t)
{
    (void)t;
    return "in-process card";
}

static void func_free(iotsafe_transport *t)
{
    free(t->impl);
    free(t);
}

static const iotsafe_transport_ops func_ops = {
    .name = "func",
    .transmit = func_transmit,
    .begin = func_noop,
    .end = func_noop,
    .reconnect = func_noop,
    .describe = func_describe,
    .close = func_free,
    .discard = func_free,
};

iotsafe_rc iotsafe_func_transport_new(iotsafe_card_fn fn, void *card_ctx, iotsafe_transport **out)
{
    if (fn == NULL || out == NULL)
        return IOTSAFE_E_INVALID_ARG;
    *out = NULL;
    iotsafe_transport *t = calloc(1, sizeof *t);
    func_impl *f = calloc(1, sizeof *f);
    if (t == NULL || f == NULL) {
        free(t);
        free(f);
        return IOTSAFE_E_NOMEM;
    }
    f->fn = fn;
    f->ctx = card_ctx;
    t->ops = &func_ops;
    t->impl = f;
    *out = t;
    return IOTSAFE_OK;
}

void iotsafe_transport_close(iotsafe_transport *t)
{
    if (t != NULL && t->ops != NULL && t->ops->close != NULL)
        t->ops->close(t);
}
