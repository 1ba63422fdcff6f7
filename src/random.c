/* SPDX-License-Identifier: Apache-2.0 */
/* GET RANDOM in steps of at most 256 bytes (Le 00 = 256). */
#include <string.h>

#include "card_internal.h"

struct rand_arg {
    uint8_t *buf;
    size_t len;
};

static iotsafe_rc op_random(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "GET RANDOM";
    struct rand_arg *a = arg;
    size_t off = 0;
    card_resp r;
    iotsafe_rc rc = IOTSAFE_OK;
    card_ctx(st, cmd, NULL);
    while (off < a->len) {
        size_t n = a->len - off > 256 ? 256 : a->len - off;
        /* random bytes may become key material: keep them out of traces */
        const card_apdu ap = {
            .ins = 0x84, .p1 = 0x00, .p2 = 0x00, .le = (int)n, .redact = CARD_REDACT_RESP};
        rc = card_exchange(c, &ap, &r, st);
        if (rc != IOTSAFE_OK)
            break;
        if (!card_sw_ok(r.sw) && r.sw != 0x6300) {
            rc = card_sw_fail(st, r.sw, cmd, NULL);
            break;
        }
        if (r.len == 0) {
            rc = card_malformed(st, r.sw, cmd, NULL, "no random bytes returned");
            break;
        }
        size_t got = r.len < n ? r.len : n;
        memcpy(a->buf + off, r.data, got);
        off += got;
    }
    explicit_bzero(r.data, sizeof r.data); /* not elided like a dead memset */
    return rc;
}

iotsafe_rc iotsafe_get_random(iotsafe_card *c, uint8_t *buf, size_t len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (buf == NULL && len != 0)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "GET RANDOM: NULL buffer");
    if (len == 0)
        return IOTSAFE_OK;
    struct rand_arg a = {buf, len};
    return card_run(c, op_random, &a, st);
}
