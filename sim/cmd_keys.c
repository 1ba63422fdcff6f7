/* SPDX-License-Identifier: Apache-2.0 */
/* Key commands: GENERATE KEY PAIR, PUT PUBLIC KEY (24/D8), COMPUTE DH, COMPUTE PRF, COMPUTE HKDF. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

#define MAX_TLVS 8
#define MAX_PUT_KEY 1024

uint16_t sim_cmd_generate(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    size_t idx;
    uint16_t sw;
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if ((sw = sim_lookup_data(a, c, SIM_PRIV, &idx)) != SW_OK)
        return sw;
    sim_object *priv = &a->store.obj[idx];
    sim_object *pub = sim_store_pair(&a->store, priv);
    /* IoT.05 2.11.2: regenerates an existing pair (same label) that both allow key generation */
    if (pub == NULL || !(priv->functions & SIM_FN_KEYGEN) || !(pub->functions & SIM_FN_KEYGEN) ||
        !(pub->access & SIM_ACC_READ) || sim_sessions_use_object(a, idx) ||
        sim_sessions_use_object(a, (size_t)(pub - a->store.obj)))
        return SW_CONDITIONS;
    uint8_t d[SIM_EC_LEN], q[SIM_POINT_LEN];
    if (sim_ec_generate(priv->curve, d, q) != 0)
        return SW_UNKNOWN;
    int bad = sim_object_set_value(priv, d, sizeof d) != 0 ||
              sim_object_set_value(pub, q, sizeof q) != 0;
    OPENSSL_cleanse(d, sizeof d);
    if (bad) {
        sim_object_clear_value(priv);
        sim_object_clear_value(pub);
        priv->state = pub->state = SIM_STATE_EMPTY;
        return SW_NOT_ENOUGH_MEMORY;
    }
    priv->state = pub->state = SIM_STATE_ACTIVE;
    if ((sw = sim_persist(a)) != SW_OK)
        return sw;
    static const uint8_t hdr[] = {0x34, 0x45, 0x49, 0x43, 0x86, 0x41};
    r->len = sim_tlv_put(r->data, 0x84, priv->id, priv->id_len);
    r->len += sim_tlv_put(r->data + r->len, 0x85, pub->id, pub->id_len);
    memcpy(r->data + r->len, hdr, sizeof hdr);
    memcpy(r->data + r->len + sizeof hdr, q, sizeof q);
    r->len += sizeof hdr + sizeof q;
    return SW_OK;
}

uint16_t sim_cmd_put_key_init(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    size_t idx;
    uint16_t sw;
    (void)r;
    if (c->p1 == 0x01)
        return sim_session_close_cmd(a, c, SIM_SESS_PUTKEY);
    if (c->p1 != 0x00 || sim_session_get(a, c->channel, c->p2) == NULL)
        return SW_WRONG_P1P2;
    if ((sw = sim_lookup_data(a, c, SIM_PUB, &idx)) != SW_OK)
        return sw;
    if (!(a->store.obj[idx].access & SIM_ACC_UPDATE))
        return SW_SECURITY_STATUS;
    sim_session *s;
    return sim_session_open(a, c, SIM_SESS_PUTKEY, idx, &s);
}

/*
 * The collected blocks hold "34 L {49 L {86 L 04||X||Y}}": either one 34 TLV
 * whose value spans the blocks (THM), or one 34 TLV per block (THP).
 */
static int extract_point(const uint8_t *b, size_t n, uint8_t *val, size_t *vlen)
{
    size_t off = 0, out = 0;
    while (off < n) {
        size_t len, hdr;
        if (b[off] != 0x34 || sim_tlv_len(b + off + 1, n - off - 1, &len, &hdr) != 0 ||
            len > n - off - 1 - hdr || out + len > MAX_PUT_KEY)
            return -1;
        memcpy(val + out, b + off + 1 + hdr, len);
        out += len;
        off += 1 + hdr + len;
    }
    /* 49 L { 86 L point } with every length exact */
    size_t l49, h49, l86, h86;
    if (out < 2 || val[0] != 0x49 || sim_tlv_len(val + 1, out - 1, &l49, &h49) != 0 ||
        1 + h49 + l49 != out)
        return -1;
    const uint8_t *in = val + 1 + h49;
    if (l49 < 2 || in[0] != 0x86 || sim_tlv_len(in + 1, l49 - 1, &l86, &h86) != 0 ||
        1 + h86 + l86 != l49)
        return -1;
    memmove(val, in + 1 + h86, l86);
    *vlen = l86;
    return 0;
}

uint16_t sim_cmd_put_key_update(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    (void)r;
    if (c->p1 != 0x80 && c->p1 != 0x00)
        return SW_WRONG_P1P2;
    sim_session *s = sim_session_get(a, c->channel, c->p2);
    if (s == NULL)
        return SW_WRONG_P1P2;
    if (s->type != SIM_SESS_PUTKEY)
        return SW_CONDITIONS;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    if (s->buf_len + c->lc > MAX_PUT_KEY) {
        sim_session_reset_data(s);
        return SW_WRONG_DATA;
    }
    uint8_t *nb = realloc(s->buf, s->buf_len + c->lc);
    if (nb == NULL) {
        sim_session_reset_data(s);
        return SW_NOT_ENOUGH_MEMORY;
    }
    s->buf = nb;
    memcpy(s->buf + s->buf_len, c->data, c->lc);
    s->buf_len += c->lc;
    if (c->p1 == 0x00)
        return SW_OK;
    uint8_t val[MAX_PUT_KEY];
    size_t vlen;
    sim_object *k = &a->store.obj[s->obj];
    int bad = extract_point(s->buf, s->buf_len, val, &vlen) != 0 ||
              sim_ec_check_point(k->curve, val, vlen) != 0;
    sim_session_reset_data(s);
    if (bad)
        return SW_WRONG_DATA;
    if (sim_object_set_value(k, val, vlen) != 0)
        return SW_NOT_ENOUGH_MEMORY;
    k->state = SIM_STATE_ACTIVE;
    return sim_persist(a);
}

uint16_t sim_cmd_dh(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    static const uint8_t tags[] = {0x84, 0x74, 0x85, 0x75};
    sim_tlv t[MAX_TLVS];
    size_t nt, ip, iq;
    uint16_t sw;
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    if (sim_tlv_parse(c->data, c->lc, t, MAX_TLVS, &nt) != 0 || !sim_only_tags(t, nt, tags, 4))
        return SW_WRONG_DATA;
    if ((sw = sim_lookup(a, t, nt, SIM_PRIV, &ip)) != SW_OK ||
        (sw = sim_lookup(a, t, nt, SIM_PUB, &iq)) != SW_OK)
        return sw;
    const sim_object *d = &a->store.obj[ip], *q = &a->store.obj[iq];
    /* an empty peer slot is a state violation (THM: PUT PUBLIC KEY must come first) */
    if (d->state != SIM_STATE_ACTIVE || !(d->functions & SIM_FN_KA) ||
        q->state != SIM_STATE_ACTIVE || q->curve != d->curve)
        return SW_CONDITIONS;
    if (sim_ecdh(d->curve, d->value, q->value, r->data) != 0)
        return SW_UNKNOWN;
    sim_fault_dh(a, d->curve, r->data); /* injected: a card that lies */
    r->len = SIM_EC_LEN;
    return SW_OK;
}

/* A secret key usable for derivation kind kd: SW_OK or the refusal. */
static uint16_t secret_for(sim_applet *a, const sim_tlv *t, size_t nt, uint8_t kd,
                           const sim_object **out)
{
    size_t idx;
    uint16_t sw = sim_lookup(a, t, nt, SIM_SECRET, &idx);
    if (sw != SW_OK)
        return sw;
    const sim_object *s = &a->store.obj[idx];
    if (s->state != SIM_STATE_ACTIVE || !(s->functions & SIM_FN_KD) || !(s->kd_algs & kd))
        return SW_CONDITIONS;
    *out = s;
    return SW_OK;
}

static size_t put_u16_block(uint8_t *p, const uint8_t *v, size_t len, int zeros)
{
    p[0] = (uint8_t)(len >> 8);
    p[1] = (uint8_t)len;
    if (zeros)
        memset(p + 2, 0, len);
    else
        memcpy(p + 2, v, len);
    return 2 + len;
}

/*
 * COMPUTE PRF, TLS 1.2 PRF with SHA-256. Mode 00: secret in D1. Mode 01:
 * plain PSK from a secret key, pre-master built per RFC 4279 section 2.
 * Mode 02: PSK + ECDHE, D4 the ECDHE secret, pre-master per RFC 5489.
 */
uint16_t sim_cmd_prf(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    static const uint8_t tags0[] = {0xD1, 0xD2, 0xD3};
    static const uint8_t tags1[] = {0x86, 0x76, 0xD2, 0xD3};
    static const uint8_t tags2[] = {0x86, 0x76, 0xD4, 0xD2, 0xD3};
    sim_tlv t[MAX_TLVS];
    size_t nt;
    uint16_t sw;
    if (c->p1 > 0x02 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    const uint8_t *allowed = c->p1 == 0 ? tags0 : c->p1 == 1 ? tags1 : tags2;
    size_t na = c->p1 == 0 ? sizeof tags0 : c->p1 == 1 ? sizeof tags1 : sizeof tags2;
    if (sim_tlv_parse(c->data, c->lc, t, MAX_TLVS, &nt) != 0 || !sim_only_tags(t, nt, allowed, na))
        return SW_WRONG_DATA;
    const sim_tlv *seed = sim_tlv_find(t, nt, 0xD2), *olen = sim_tlv_find(t, nt, 0xD3);
    if (seed == NULL || seed->len == 0 || olen == NULL || olen->len != 1 || olen->v[0] == 0)
        return SW_WRONG_DATA;
    uint8_t pms[2 * (SIM_MAX_DATA + 2)];
    size_t plen = 0;
    if (c->p1 == 0x00) {
        const sim_tlv *sec = sim_tlv_find(t, nt, 0xD1);
        if (sec == NULL || sec->len == 0)
            return SW_WRONG_DATA;
        memcpy(pms, sec->v, sec->len);
        plen = sec->len;
    } else {
        const sim_object *s;
        if ((sw = secret_for(a, t, nt, SIM_KD_PRF, &s)) != SW_OK)
            return sw;
        if (c->p1 == 0x01) {
            plen = put_u16_block(pms, NULL, s->value_len, 1);
        } else {
            const sim_tlv *z = sim_tlv_find(t, nt, 0xD4);
            if (z == NULL || z->len == 0)
                return SW_WRONG_DATA;
            plen = put_u16_block(pms, z->v, z->len, 0);
        }
        plen += put_u16_block(pms + plen, s->value, s->value_len, 0);
    }
    int bad = sim_tls12_prf(pms, plen, seed->v, seed->len, r->data, olen->v[0]) != 0;
    OPENSSL_cleanse(pms, sizeof pms);
    if (bad)
        return SW_UNKNOWN;
    r->len = olen->v[0];
    return SW_OK;
}

/* COMPUTE HKDF, Extract only: IKM in D1 (or a secret key by 86/76), salt D5, hash 91. */
uint16_t sim_cmd_hkdf(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    static const uint8_t tags[] = {0xD1, 0x86, 0x76, 0xD5, 0x91};
    sim_tlv t[MAX_TLVS];
    size_t nt, outlen;
    uint16_t sw;
    if (c->p1 != 0 || c->p2 != 0)
        return SW_WRONG_P1P2;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    if (sim_tlv_parse(c->data, c->lc, t, MAX_TLVS, &nt) != 0 || !sim_only_tags(t, nt, tags, 5))
        return SW_WRONG_DATA;
    const sim_tlv *ikm = sim_tlv_find(t, nt, 0xD1), *salt = sim_tlv_find(t, nt, 0xD5);
    const sim_tlv *hash = sim_tlv_find(t, nt, 0x91);
    if (hash == NULL || hash->len != 2)
        return SW_WRONG_DATA;
    uint16_t h = (uint16_t)(hash->v[0] << 8 | hash->v[1]);
    if (sim_hash_len(h) == 0)
        return SW_WRONG_DATA;
    const uint8_t *k;
    size_t klen;
    if (ikm != NULL) {
        if (sim_tlv_find(t, nt, 0x86) || sim_tlv_find(t, nt, 0x76) || ikm->len == 0)
            return SW_WRONG_DATA;
        k = ikm->v;
        klen = ikm->len;
    } else {
        const sim_object *s;
        if ((sw = secret_for(a, t, nt, SIM_KD_HKDF, &s)) != SW_OK)
            return sw;
        k = s->value;
        klen = s->value_len;
    }
    if (sim_hkdf_extract(h, salt ? salt->v : NULL, salt ? salt->len : 0, k, klen, r->data,
                         &outlen) != 0)
        return SW_UNKNOWN;
    r->len = outlen;
    return SW_OK;
}
