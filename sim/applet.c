/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The applet core: APDU parsing, CLA and logical channel rules, SELECT,
 * MANAGE CHANNEL, GET RESPONSE (T=0 style answers), power events, latency,
 * and dispatch of the IoT SAFE instructions to the cmd_*.c handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* T=1 only, historical bytes "IoTSAFE". */
static const uint8_t atr_bytes[] = {0x3B, 0x87, 0x80, 0x01, 'I', 'o',
                                    'T',  'S',  'A',  'F',  'E', 0x00};

/* Channels and sessions back to power-on state; volatile keys lose their value. */
static void power_reset(sim_applet *a, int clear_volatile)
{
    for (int c = 0; c < SIM_MAX_CHANNELS; c++) {
        sim_sessions_clear_channel(a, c);
        memset(&a->ch[c], 0, sizeof a->ch[c]);
    }
    a->ch[0].open = 1; /* the basic channel always exists; nothing is selected on it */
    for (size_t i = 0; clear_volatile && i < a->store.n; i++) {
        sim_object *o = &a->store.obj[i];
        if (o->is_volatile && (o->kind == SIM_PRIV || o->kind == SIM_PUB)) {
            sim_object_clear_value(o);
            o->state = SIM_STATE_EMPTY;
        }
    }
}

static int apply_overrides(sim_options *o, const char *const *ov, size_t n, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char key[64], msg[160];
        const char *eq = strchr(ov[i], '=');
        if (eq == NULL || eq == ov[i] || (size_t)(eq - ov[i]) >= sizeof key || eq[1] == '\0') {
            snprintf(err, errlen, "override '%s': expected key=value", ov[i]);
            return -1;
        }
        memcpy(key, ov[i], (size_t)(eq - ov[i]));
        key[eq - ov[i]] = '\0';
        int r = sim_options_set(o, key, eq + 1, msg, sizeof msg);
        if (r <= 0) {
            snprintf(err, errlen, "override '%s': %s", ov[i], r == 0 ? "unknown key" : msg);
            return -1;
        }
    }
    return 0;
}

sim_applet *sim_applet_new(const char *config_path, const char *state_path, int fresh,
                           const char *const *overrides, size_t n_overrides, char *err,
                           size_t errlen)
{
    sim_applet *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sim_options_default(&a->opt);
    sim_store_init(&a->store);
    if (config_path == NULL) {
        snprintf(err, errlen, "no provisioning file given");
        goto fail;
    }
    if (sim_provision_file(config_path, &a->opt, &a->store, err, errlen) != 0 ||
        apply_overrides(&a->opt, overrides, n_overrides, err, errlen) != 0)
        goto fail;
    if (state_path != NULL) {
        a->state_path = strdup(state_path);
        if (a->state_path == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (!fresh && access(state_path, F_OK) == 0) {
            sim_store loaded;
            sim_store_init(&loaded);
            if (sim_state_load(&loaded, state_path, err, errlen) != 0) {
                sim_store_free(&loaded);
                goto fail;
            }
            sim_store_free(&a->store);
            a->store = loaded;
        } else if (sim_state_save(&a->store, state_path, err, errlen) != 0) {
            goto fail;
        }
    }
    a->sess = calloc((size_t)SIM_MAX_CHANNELS * (a->opt.max_sessions + 1), sizeof *a->sess);
    if (a->sess == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* freshly provisioned volatile keys live until the first power event */
    power_reset(a, 0);
    return a;
fail:
    sim_applet_free(a);
    return NULL;
}

void sim_applet_free(sim_applet *a)
{
    if (a == NULL)
        return;
    if (a->sess) {
        for (int c = 0; c < SIM_MAX_CHANNELS; c++)
            sim_sessions_clear_channel(a, c);
        free(a->sess);
    }
    sim_store_free(&a->store);
    free(a->state_path);
    free(a);
}

void sim_applet_power(sim_applet *a, int event)
{
    (void)event; /* off, on and reset all lose the volatile state */
    power_reset(a, 1);
}

size_t sim_applet_atr(const sim_applet *a, uint8_t *atr, size_t cap)
{
    (void)a;
    uint8_t b[sizeof atr_bytes];
    memcpy(b, atr_bytes, sizeof b);
    uint8_t tck = 0;
    for (size_t i = 1; i + 1 < sizeof b; i++)
        tck ^= b[i];
    b[sizeof b - 1] = tck;
    if (cap < sizeof b)
        return 0;
    memcpy(atr, b, sizeof b);
    return sizeof b;
}

uint16_t sim_persist(sim_applet *a)
{
    char err[256];
    if (a->state_path == NULL)
        return SW_OK;
    return sim_state_save(&a->store, a->state_path, err, sizeof err) == 0 ? SW_OK
                                                                          : SW_MEMORY_FAILURE;
}

int sim_only_tags(const sim_tlv *t, size_t n, const uint8_t *allowed, size_t na)
{
    for (size_t i = 0; i < n; i++)
        if (memchr(allowed, t[i].tag, na) == NULL)
            return 0;
    return 1;
}

/* ID and label tags of each object kind (private, public, file, secret). */
static const uint8_t id_tag[SIM_KIND_COUNT] = {0x84, 0x85, 0x83, 0x86};
static const uint8_t label_tag[SIM_KIND_COUNT] = {0x74, 0x75, 0x73, 0x76};

uint16_t sim_lookup(const sim_applet *a, const sim_tlv *t, size_t n, int kind, size_t *index)
{
    const sim_tlv *id = sim_tlv_find(t, n, id_tag[kind]), *lb = sim_tlv_find(t, n, label_tag[kind]);
    const sim_object *o;
    if ((id == NULL) == (lb == NULL)) /* by ID or by label, never both */
        return SW_WRONG_DATA;
    if (id) {
        if (id->len == 0 || id->len > SIM_MAX_ID)
            return SW_WRONG_DATA;
        o = sim_store_find_id(&a->store, kind, id->v, id->len);
    } else {
        if (lb->len == 0 || lb->len > SIM_MAX_LABEL)
            return SW_WRONG_DATA;
        o = sim_store_find_label(&a->store, kind, lb->v, lb->len);
    }
    if (o == NULL)
        return SW_NOT_FOUND;
    *index = (size_t)(o - a->store.obj);
    return SW_OK;
}

uint16_t sim_lookup_data(const sim_applet *a, const sim_apdu *c, int kind, size_t *index)
{
    const uint8_t allowed[2] = {id_tag[kind], label_tag[kind]};
    sim_tlv t[8];
    size_t nt;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    if (sim_tlv_parse(c->data, c->lc, t, 8, &nt) != 0 || !sim_only_tags(t, nt, allowed, 2))
        return SW_WRONG_DATA;
    return sim_lookup(a, t, nt, kind, index);
}

/* Short APDU cases 1-4; 0 or SW_WRONG_LENGTH. Extended length is not supported. */
static uint16_t parse_apdu(const uint8_t *cmd, size_t n, sim_apdu *c)
{
    memset(c, 0, sizeof *c);
    if (n < 4)
        return SW_WRONG_LENGTH;
    c->cla = cmd[0];
    c->ins = cmd[1];
    c->p1 = cmd[2];
    c->p2 = cmd[3];
    if (n == 4)
        return 0;
    if (n == 5) {
        c->has_le = 1;
        c->ne = cmd[4] ? cmd[4] : 256;
        return 0;
    }
    size_t lc = cmd[4];
    if (lc == 0)
        return SW_WRONG_LENGTH;
    if (n == 5 + lc) {
        c->data = cmd + 5;
        c->lc = lc;
        return 0;
    }
    if (n == 6 + lc) {
        c->data = cmd + 5;
        c->lc = lc;
        c->has_le = 1;
        c->ne = cmd[n - 1] ? cmd[n - 1] : 256;
        return 0;
    }
    return SW_WRONG_LENGTH;
}

/*
 * CLA: 0N/8N for channels 0-3 and 4N/CN for 4-19 (ISO 7816-4 "further"
 * classes). Secure messaging and command chaining are not supported.
 * Returns the channel, or -1. *proprietary tells 8N/CN from 0N/4N.
 */
static int decode_cla(uint8_t cla, int *proprietary)
{
    *proprietary = (cla & 0x80) != 0;
    switch (cla & 0xF0) {
    case 0x00:
    case 0x80:
        return (cla & 0x0C) ? -1 : cla & 0x03;
    case 0x40:
    case 0xC0:
        return 4 + (cla & 0x0F);
    default:
        return -1;
    }
}

static int class_allowed(const sim_applet *a, int proprietary)
{
    switch (a->opt.cla_mode) {
    case SIM_CLA_PROPRIETARY:
        return proprietary;
    case SIM_CLA_INTERINDUSTRY:
        return !proprietary;
    default:
        return 1;
    }
}

static uint16_t cmd_select(sim_applet *a, const sim_apdu *c)
{
    if (c->p1 != 0x04 || (c->p2 != 0x00 && c->p2 != 0x0C))
        return SW_WRONG_P1P2;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    for (size_t i = 0; i < a->opt.n_aids; i++) {
        if (c->lc == a->opt.aid_len[i] && memcmp(c->data, a->opt.aid[i], c->lc) == 0) {
            sim_channel *ch = &a->ch[c->channel];
            sim_sessions_clear_channel(a, c->channel);
            ch->open = 1;
            ch->selected = 1;
            ch->list_active = 0;
            return SW_OK; /* no FCI: ORA requires a bare 9000 */
        }
    }
    return SW_NOT_FOUND;
}

static void close_channel(sim_applet *a, int n)
{
    sim_sessions_clear_channel(a, n);
    memset(&a->ch[n], 0, sizeof a->ch[n]);
}

static uint16_t cmd_manage_channel(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    if (c->lc != 0)
        return SW_WRONG_LENGTH;
    if (c->p1 == 0x00) {
        int n = c->p2;
        int last = (int)a->opt.channels; /* a SIM: channels 1..3 */
        if (n == 0) {
            for (n = 1; n <= last && a->ch[n].open; n++) {
            }
            if (n > last)
                return SW_FUNC_NOT_SUPPORTED; /* no free channel */
        } else if (n > last || a->ch[n].open) {
            return SW_WRONG_P1P2;
        }
        memset(&a->ch[n], 0, sizeof a->ch[n]);
        a->ch[n].open = 1;
        /* ISO 7816-4: opened from a logical channel, the new one inherits its selection */
        a->ch[n].selected = c->channel != 0 && a->ch[c->channel].selected;
        if (c->p2 == 0)
            r->data[r->len++] = (uint8_t)n;
        return SW_OK;
    }
    if (c->p1 == 0x80) {
        int n = c->p2 ? c->p2 : c->channel;
        if (n == 0 || n >= SIM_MAX_CHANNELS)
            return SW_WRONG_P1P2;
        if (!a->ch[n].open)
            return SW_CHANNEL_NOT_SUPPORTED;
        close_channel(a, n);
        return SW_OK;
    }
    return SW_WRONG_P1P2;
}

static uint16_t cmd_get_response(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    sim_channel *ch = &a->ch[c->channel];
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if (c->lc != 0)
        return SW_WRONG_LENGTH;
    if (!ch->has_pending)
        return SW_CONDITIONS;
    size_t want = c->has_le ? c->ne : ch->pending_len;
    if (want > ch->pending_len) {
        if (c->ne != 256) /* an exact Le that is too long: tell the right one */
            return (uint16_t)(0x6C00 | (ch->pending_len & 0xFF));
        want = ch->pending_len;
    }
    memcpy(r->data, ch->pending, want);
    r->len = want;
    if (want < ch->pending_len) {
        memmove(ch->pending, ch->pending + want, ch->pending_len - want);
        ch->pending_len -= want;
        return (uint16_t)(0x6100 | (ch->pending_len & 0xFF));
    }
    ch->has_pending = 0;
    ch->pending_len = 0;
    return ch->pending_sw;
}

typedef uint16_t (*handler)(sim_applet *, const sim_apdu *, sim_resp *);

typedef struct ins_entry {
    uint8_t ins;
    handler fn;
    int latency;
} ins_entry;

static const ins_entry iotsafe_ins[] = {
    {0xCB, sim_cmd_get_data, SIM_LAT_LIST},
    {0xB0, sim_cmd_read_file, SIM_LAT_READ},
    {0xCD, sim_cmd_read_public_key, SIM_LAT_READ},
    {0x2A, sim_cmd_sign_init, SIM_LAT_DEFAULT},
    {0x2B, sim_cmd_sign_update, SIM_LAT_SIGN},
    {0x2C, sim_cmd_verify_init, SIM_LAT_DEFAULT},
    {0x2D, sim_cmd_verify_update, SIM_LAT_VERIFY},
    {0xB9, sim_cmd_generate, SIM_LAT_KEYGEN},
    {0x24, sim_cmd_put_key_init, SIM_LAT_DEFAULT},
    {0xD8, sim_cmd_put_key_update, SIM_LAT_DEFAULT},
    {0x46, sim_cmd_dh, SIM_LAT_DH},
    {0x48, sim_cmd_prf, SIM_LAT_DEFAULT},
    {0x4A, sim_cmd_hkdf, SIM_LAT_DEFAULT},
    {0x84, sim_cmd_get_random, SIM_LAT_RANDOM},
};

static uint16_t dispatch(sim_applet *a, const uint8_t *cmd, size_t n, sim_resp *r, int *latency)
{
    sim_apdu c;
    int proprietary;
    uint16_t sw = parse_apdu(cmd, n, &c);
    *latency = SIM_LAT_DEFAULT;
    if (sw)
        return sw;
    c.channel = decode_cla(c.cla, &proprietary);
    if (c.channel < 0)
        return SW_CLA_NOT_SUPPORTED;
    sim_channel *ch = &a->ch[c.channel];
    if (c.ins != 0xC0) { /* any other command drops a response nobody fetched */
        ch->has_pending = 0;
        ch->pending_len = 0;
    }
    if (c.ins == 0xA4 || c.ins == 0x70) {
        *latency = SIM_LAT_SELECT;
        if (proprietary) /* ISO commands use the interindustry class */
            return SW_CLA_NOT_SUPPORTED;
        if (!ch->open &&
            !(c.ins == 0xA4 && a->opt.implicit_channel && (unsigned)c.channel <= a->opt.channels))
            return SW_CHANNEL_NOT_SUPPORTED;
        return c.ins == 0xA4 ? cmd_select(a, &c) : cmd_manage_channel(a, &c, r);
    }
    if (!ch->open)
        return SW_CHANNEL_NOT_SUPPORTED;
    if (c.ins == 0xC0) {
        if (!class_allowed(a, proprietary))
            return SW_CLA_NOT_SUPPORTED;
        return cmd_get_response(a, &c, r);
    }
    for (size_t i = 0; i < sizeof iotsafe_ins / sizeof iotsafe_ins[0]; i++) {
        if (iotsafe_ins[i].ins != c.ins)
            continue;
        *latency = iotsafe_ins[i].latency;
        if (!class_allowed(a, proprietary))
            return SW_CLA_NOT_SUPPORTED;
        if (!ch->selected) /* another application (or none) owns this channel */
            return SW_INS_NOT_SUPPORTED;
        return iotsafe_ins[i].fn(a, &c, r);
    }
    return SW_INS_NOT_SUPPORTED;
}

int sim_applet_process(void *applet, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                       size_t *resp_len)
{
    sim_applet *a = applet;
    sim_resp r;
    int latency;
    if (a == NULL || resp == NULL || resp_len == NULL || *resp_len < 2 || (cmd == NULL && cmd_len))
        return -1;
    const size_t cap = *resp_len;
    r.len = 0;
    uint16_t sw = dispatch(a, cmd, cmd_len, &r, &latency);
    if ((sw & 0xFF00) == 0x6C00 ||
        ((sw >> 8) != 0x90 && (sw >> 8) != 0x61 && sw != SW_MORE_DATA && (sw & 0xFF00) != 0x6200))
        r.len = 0; /* errors carry no data */
    /* T=0 style: case 4 answers go through GET RESPONSE, as modems pass 61xx on (TV-3) */
    if (a->opt.t0 && r.len > 0 && cmd[1] != 0xC0 && cmd_len > 5) {
        int prop, ch = decode_cla(cmd[0], &prop);
        memcpy(a->ch[ch].pending, r.data, r.len);
        a->ch[ch].pending_len = r.len;
        a->ch[ch].pending_sw = sw;
        a->ch[ch].has_pending = 1;
        sw = (uint16_t)(0x6100 | (r.len & 0xFF));
        r.len = 0;
    }
    unsigned ms = a->opt.latency_ms[latency];
    if (ms)
        sim_sleep_ms(ms);
    size_t n = r.len > *resp_len - 2 ? *resp_len - 2 : r.len;
    memcpy(resp, r.data, n);
    resp[n] = (uint8_t)(sw >> 8);
    resp[n + 1] = (uint8_t)sw;
    *resp_len = n + 2;
    sim_fault_answer(a, cmd, cmd_len, resp, resp_len, cap);
    return 0;
}

unsigned sim_applet_open_channels(const sim_applet *a)
{
    unsigned mask = 0;
    for (int c = 1; c < SIM_MAX_CHANNELS; c++)
        if (a->ch[c].open)
            mask |= 1u << c;
    return mask;
}

int sim_applet_io_fault(sim_applet *a, const uint8_t *cmd, size_t n, unsigned *hang_ms)
{
    unsigned kind = a->opt.faults & (SIM_FAULT_HANG | SIM_FAULT_DROP);
    *hang_ms = a->opt.hang_ms;
    if (kind == 0 || n < 4)
        return SIM_IO_ANSWER;
    uint8_t ins = cmd[1];
    if (a->opt.fault_ins >= 0 ? ins != a->opt.fault_ins
                              : (ins == 0xA4 || ins == 0x70 || ins == 0xC0))
        return SIM_IO_ANSWER;
    if (a->fault_seen++ < a->opt.fault_skip)
        return SIM_IO_ANSWER;
    if (a->opt.fault_count != 0 && a->fault_done >= a->opt.fault_count)
        return SIM_IO_ANSWER;
    a->fault_done++;
    return (kind & SIM_FAULT_HANG) ? SIM_IO_HANG : SIM_IO_DROP;
}
