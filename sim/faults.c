/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault kinds that make the card lie (well-formed answers carrying wrong
 * values) or answer like a broken card or reader (answers without status
 * word, over-long answers, 61xx chains that never end), so the host's
 * checks can be tested end to end through pcscd (doc/simulator.md).
 */
#include <string.h>

#include <openssl/rand.h>

#include "internal.h"

#define SIG_LONG_LEN 200
#define SIG_SHORT_LEN 62

size_t sim_fault_signature(const sim_applet *a, int curve, const uint8_t rs[2 * SIM_EC_LEN],
                           uint8_t *out, size_t cap)
{
    const unsigned f = a->opt.faults;
    size_t len = 2 * SIM_EC_LEN;
    if (cap < SIG_LONG_LEN)
        return 0;
    memcpy(out, rs, len);
    if (f & SIM_FAULT_SIG_R_ZERO)
        memset(out, 0, SIM_EC_LEN);
    if (f & SIM_FAULT_SIG_S_ZERO)
        memset(out + SIM_EC_LEN, 0, SIM_EC_LEN);
    if ((f & SIM_FAULT_SIG_R_ORDER) && sim_ec_order(curve, out) != 0)
        return 0;
    if ((f & SIM_FAULT_SIG_RANDOM) && RAND_bytes(out, (int)len) != 1)
        return 0;
    if (f & SIM_FAULT_SIG_LONG) {
        len = SIG_LONG_LEN;
        if (RAND_bytes(out, (int)len) != 1)
            return 0;
    }
    if (f & SIM_FAULT_SIG_SHORT) {
        len = SIG_SHORT_LEN;
        memmove(out + SIM_EC_LEN - 1, rs + SIM_EC_LEN, SIM_EC_LEN - 1);
    }
    /* A value of other than 64 bytes starting with 30 reads as DER (1 in 256 random r): keep
       these two raw r||s, or the host's verdict would change from run to run. */
    if ((f & (SIM_FAULT_SIG_LONG | SIM_FAULT_SIG_SHORT)) && out[0] == 0x30)
        out[0] = 0x31;
    return len;
}

/* A key type no host knows (not RSA 03, not an EC 13/14/23/24, not HMAC A0). */
#define KEY_TYPE_UNKNOWN 0x7F

uint8_t sim_fault_key_type(const sim_applet *a, const sim_object *o)
{
    if ((a->opt.faults & SIM_FAULT_KEY_TYPE_UNKNOWN) && (o->kind == SIM_PRIV || o->kind == SIM_PUB))
        return KEY_TYPE_UNKNOWN;
    return o->key_type;
}

void sim_fault_dh(const sim_applet *a, int curve, uint8_t *x)
{
    if (a->opt.faults & SIM_FAULT_DH_ZERO)
        memset(x, 0, SIM_EC_LEN);
    if (a->opt.faults & SIM_FAULT_DH_OFF_CURVE) {
        /* about every second x has no point: step until one has none */
        for (int i = 0; i < 256 && sim_ec_x_on_curve(curve, x) == 1; i++)
            x[SIM_EC_LEN - 1]++;
    }
}

enum {
    SHAPE_FAULTS = SIM_FAULT_ANSWER_ONE_BYTE | SIM_FAULT_ANSWER_257 | SIM_FAULT_ANSWER_258 |
                   SIM_FAULT_ENDLESS_61XX | SIM_FAULT_ANSWER_OVER_1K
};

static void answer(uint8_t *resp, size_t *resp_len, size_t cap, size_t data, uint16_t sw)
{
    if (data + 2 > cap)
        data = cap - 2;
    if (RAND_bytes(resp, (int)data) != 1)
        memset(resp, 0x5A, data);
    resp[data] = (uint8_t)(sw >> 8);
    resp[data + 1] = (uint8_t)sw;
    *resp_len = data + 2;
}

void sim_fault_answer(sim_applet *a, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                      size_t *resp_len, size_t cap)
{
    const unsigned f = a->opt.faults & SHAPE_FAULTS;
    if (f == 0 || cmd_len < 4 || cap < 2)
        return;
    const int sign_last = cmd[1] == 0x2B && cmd[2] == 0x80;
    const int chain = cmd[1] == 0xC0 && a->fault_chain;
    a->fault_chain = 0;
    if (!sign_last && !chain)
        return;
    if (f & SIM_FAULT_ANSWER_ONE_BYTE) {
        resp[0] = 0x33;
        *resp_len = 1;
    } else if (f & SIM_FAULT_ANSWER_257) {
        answer(resp, resp_len, cap, 257, 0x9000);
    } else if (f & SIM_FAULT_ANSWER_258) {
        answer(resp, resp_len, cap, 258, 0x9000);
    } else if (f & SIM_FAULT_ENDLESS_61XX) {
        answer(resp, resp_len, cap, sign_last ? 0 : 1, 0x6101);
        a->fault_chain = 1;
    } else {
        answer(resp, resp_len, cap, sign_last ? 0 : 256, 0x6100);
        a->fault_chain = 1;
    }
}
