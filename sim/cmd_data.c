/* SPDX-License-Identifier: Apache-2.0 */
/* Read-only commands: GET DATA (application, object list, one object), READ FILE, READ PUBLIC KEY, GET RANDOM. */
#include <string.h>

#include <openssl/rand.h>

#include "internal.h"

#define MAX_TLVS 8

static void put(sim_resp *r, const uint8_t *p, size_t n)
{
    memcpy(r->data + r->len, p, n);
    r->len += n;
}

/* Table A of the protocol notes, in ORA's order: exactly 0x44 bytes with a 32-byte tag 11. */
static void app_info(const sim_applet *a, sim_resp *r)
{
    const sim_options *o = &a->opt;
    /* one TLV a line */
    /* clang-format off */
    uint8_t b[] = {
        0x10, 0x01, o->version,
        0xB1, 0x01, o->max_count[SIM_FILE],
        0xB2, 0x01, o->max_count[SIM_PRIV],
        0xB3, 0x01, o->max_count[SIM_PUB],
        0xB4, 0x01, o->max_count[SIM_SECRET],
        0x90, 0x01, SIM_FN_SIGN | SIM_FN_KEYGEN | SIM_FN_KA | SIM_FN_KD,
        0x91, 0x02, 0x00, SIM_HASH_SHA256 | SIM_HASH_SHA384 | SIM_HASH_SHA512,
        0x92, 0x01, SIM_SIG_ECDSA,
        0x93, 0x01, SIM_KA_ECKA,
        0x94, 0x01, SIM_KD_PRF | SIM_KD_HKDF,
        0xB7, 0x01, (uint8_t)o->max_sessions};
    /* clang-format on */
    put(r, b, 3);
    r->len += sim_tlv_put(r->data + r->len, 0x11, o->prop_id, SIM_PROP_ID_LEN);
    put(r, b + 3, sizeof b - 3);
}

/* Object list order C1.., C2.., C4.., C3.. (ORA scans for the groups in this order). */
static size_t list_order(const sim_applet *a, size_t pos)
{
    static const int kinds[] = {SIM_PRIV, SIM_PUB, SIM_SECRET, SIM_FILE};
    size_t k = 0;
    for (size_t g = 0; g < 4; g++)
        for (size_t i = 0; i < a->store.n; i++)
            if (a->store.obj[i].kind == kinds[g] && k++ == pos)
                return i;
    return a->store.n;
}

static uint16_t object_list(sim_applet *a, const sim_apdu *c, sim_resp *r, size_t *next, int *more)
{
    sim_channel *ch = &a->ch[c->channel];
    size_t pos;
    if (c->p2 == 0x00)
        pos = 0;
    else if (c->p2 == 0x01 && ch->list_active)
        pos = ch->list_next;
    else if (c->p2 == 0x01)
        return SW_CONDITIONS; /* no paging in progress */
    else
        return SW_WRONG_P1P2;
    size_t page = a->opt.list_page ? a->opt.list_page : SIM_MAX_DATA;
    size_t idx, last = 0;
    *more = 0;
    while ((idx = list_order(a, pos)) < a->store.n) {
        uint8_t b[200];
        size_t n;
        const sim_object *o = &a->store.obj[idx];
        if (sim_object_info(o, sim_fault_key_type(a, o), b, sizeof b, &n) != 0)
            return SW_UNKNOWN;
        if (r->len + n > page && r->len > 0) { /* split only between objects */
            *more = 1;
            break;
        }
        if (r->len + n > SIM_MAX_DATA)
            return SW_UNKNOWN;
        put(r, b, n);
        last = n;
        pos++;
    }
    /* Injected fault: keep only half of the last object's TLV (its length now runs past the end). */
    if ((a->opt.faults & SIM_FAULT_TRUNCATED_LIST) && last > 0)
        r->len -= last - last / 2;
    *next = pos;
    return SW_OK;
}

uint16_t sim_cmd_get_data(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    sim_channel *ch = &a->ch[c->channel];
    uint16_t sw = SW_OK;
    size_t next = 0;
    int more = 0;
    if (c->p1 == 0x00 || c->p1 == 0x01) {
        if (c->lc != 0)
            return SW_WRONG_LENGTH;
        if (c->p1 == 0x00) {
            if (c->p2 != 0)
                return SW_WRONG_P1P2;
            app_info(a, r);
        } else if ((sw = object_list(a, c, r, &next, &more)) != SW_OK) {
            r->len = 0;
            return sw;
        }
    } else if (c->p1 >= 0xC1 && c->p1 <= 0xC4) {
        static const int kind_of[] = {SIM_PRIV, SIM_PUB, SIM_FILE, SIM_SECRET};
        int kind = kind_of[c->p1 - 0xC1];
        static const uint8_t tags[SIM_KIND_COUNT][2] = {
            {0x84, 0x74}, {0x85, 0x75}, {0x83, 0x73}, {0x86, 0x76}};
        sim_tlv t[MAX_TLVS];
        size_t nt, idx;
        if (c->p2 != 0)
            return SW_WRONG_P1P2;
        if (c->lc == 0)
            return SW_WRONG_LENGTH;
        if (sim_tlv_parse(c->data, c->lc, t, MAX_TLVS, &nt) != 0 ||
            !sim_only_tags(t, nt, tags[kind], 2))
            return SW_WRONG_DATA;
        if ((sw = sim_lookup(a, t, nt, kind, &idx)) != SW_OK)
            return sw;
        size_t n;
        const sim_object *o = &a->store.obj[idx];
        if (sim_object_info(o, sim_fault_key_type(a, o), r->data, sizeof r->data, &n) != 0)
            return SW_UNKNOWN;
        r->len = n;
    } else {
        return SW_WRONG_P1P2;
    }
    /* an exact Le that does not match: 6Cxx with the right length (ORA resends) */
    if (c->has_le && c->ne != 256 && r->len != c->ne && r->len > 0) {
        uint16_t six_c = (uint16_t)(0x6C00 | (r->len & 0xFF));
        r->len = 0;
        return six_c;
    }
    if (c->p1 == 0x01) {
        ch->list_active = more;
        ch->list_next = next;
        return more ? SW_MORE_DATA : SW_OK;
    }
    return SW_OK;
}

uint16_t sim_cmd_read_file(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    size_t idx;
    uint16_t sw;
    if ((sw = sim_lookup_data(a, c, SIM_FILE, &idx)) != SW_OK)
        return sw;
    const sim_object *f = &a->store.obj[idx];
    if (!(f->access & SIM_ACC_READ))
        return SW_SECURITY_STATUS;
    if (f->state != SIM_STATE_ACTIVE)
        return SW_CONDITIONS;
    size_t off = (size_t)c->p1 << 8 | c->p2;
    if (off >= f->value_len)
        return a->opt.bad_offset_sw;
    /* Ne = Le, 00 = 256, no Le = 256 too (WOLF and THP send none) */
    size_t ne = c->has_le ? c->ne : SIM_MAX_DATA;
    size_t n = f->value_len - off < ne ? f->value_len - off : ne;
    memcpy(r->data, f->value + off, n);
    r->len = n;
    if (a->opt.read_pad && n < ne) { /* the zero padding some applets add at end of file */
        memset(r->data + n, 0, ne - n);
        r->len = ne;
    }
    return SW_OK;
}

uint16_t sim_cmd_read_public_key(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    size_t idx;
    uint16_t sw;
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if ((sw = sim_lookup_data(a, c, SIM_PUB, &idx)) != SW_OK)
        return sw;
    const sim_object *k = &a->store.obj[idx];
    if (!(k->access & SIM_ACC_READ))
        return SW_SECURITY_STATUS;
    if (k->state != SIM_STATE_ACTIVE || k->value_len != SIM_POINT_LEN)
        return SW_CONDITIONS;
    /* 34 45 49 43 86 41 04 X Y */
    static const uint8_t hdr[] = {0x34, 0x45, 0x49, 0x43, 0x86, 0x41};
    put(r, hdr, sizeof hdr);
    put(r, k->value, k->value_len);
    /* Injected fault: the point's inner length claims one byte more than there is. */
    if (a->opt.faults & SIM_FAULT_BAD_PUBKEY)
        r->data[sizeof hdr - 1] = (uint8_t)(k->value_len + 1);
    /* Injected: a point off the curve (last byte of Y changed), or 04||X alone. */
    if (a->opt.faults & SIM_FAULT_PUBKEY_OFF_CURVE)
        r->data[r->len - 1] ^= 0x01;
    if (a->opt.faults & SIM_FAULT_PUBKEY_SHORT) {
        r->len = sizeof hdr + 1 + SIM_EC_LEN;
        r->data[1] = (uint8_t)(r->len - 2);
        r->data[3] = (uint8_t)(r->len - 4);
        r->data[5] = 1 + SIM_EC_LEN;
    }
    return SW_OK;
}

uint16_t sim_cmd_get_random(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if (c->lc != 0)
        return SW_WRONG_LENGTH;
    size_t n = c->has_le ? c->ne : SIM_MAX_DATA;
    if (RAND_bytes(r->data, (int)n) != 1)
        return SW_UNKNOWN;
    /* Injected fault: half of what was asked (none for a single byte), still 9000. */
    r->len = (a->opt.faults & SIM_FAULT_SHORT_RANDOM) ? n / 2 : n;
    return SW_OK;
}
