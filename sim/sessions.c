/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions of the INIT/UPDATE commands: one table per logical channel,
 * indexed by P2 (0..max-sessions, so hosts numbering from 0 or from 1 both
 * fit). Each entry remembers its operation and key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

sim_session *sim_session_get(sim_applet *a, int channel, uint8_t p2)
{
    if (channel < 0 || channel >= SIM_MAX_CHANNELS || p2 > a->opt.max_sessions)
        return NULL;
    return &a->sess[(size_t)channel * (a->opt.max_sessions + 1) + p2];
}

void sim_session_reset_data(sim_session *s)
{
    EVP_MD_CTX_free(s->md);
    s->md = NULL;
    if (s->buf) {
        OPENSSL_cleanse(s->buf, s->buf_len);
        free(s->buf);
    }
    s->buf = NULL;
    s->buf_len = 0;
    s->msg_left = 0;
    s->got_data = 0;
}

void sim_session_close(sim_session *s)
{
    sim_session_reset_data(s);
    memset(s, 0, sizeof *s);
}

void sim_sessions_clear_channel(sim_applet *a, int channel)
{
    for (unsigned p = 0; p <= a->opt.max_sessions; p++)
        sim_session_close(sim_session_get(a, channel, (uint8_t)p));
}

int sim_sessions_use_object(const sim_applet *a, size_t obj)
{
    size_t n = (size_t)SIM_MAX_CHANNELS * (a->opt.max_sessions + 1);
    for (size_t i = 0; i < n; i++)
        if (a->sess[i].type != SIM_SESS_NONE && a->sess[i].obj == obj)
            return 1;
    return 0;
}

uint16_t sim_session_open(sim_applet *a, const sim_apdu *c, int type, size_t obj, sim_session **out)
{
    sim_session *s = sim_session_get(a, c->channel, c->p2);
    if (s == NULL)
        return SW_WRONG_P1P2;
    if (s->type != SIM_SESS_NONE) {
        /* "replace" suits hosts that never close (THM, THP); "strict" models cards that refuse */
        if (a->opt.strict_sessions)
            return SW_CONDITIONS;
        sim_session_close(s);
    }
    s->type = type;
    s->obj = obj;
    *out = s;
    return SW_OK;
}

uint16_t sim_session_close_cmd(sim_applet *a, const sim_apdu *c, int type)
{
    sim_session *s = sim_session_get(a, c->channel, c->p2);
    if (s == NULL)
        return SW_WRONG_P1P2;
    if (c->lc != 0)
        return SW_WRONG_LENGTH;
    /* closing a session that is not open is harmless: ORA closes "just in case" first */
    if (s->type == SIM_SESS_NONE)
        return SW_OK;
    if (s->type != type)
        return SW_CONDITIONS;
    sim_session_close(s);
    return SW_OK;
}
