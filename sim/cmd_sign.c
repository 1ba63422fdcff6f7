/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPUTE SIGNATURE and VERIFY SIGNATURE, INIT (2A/2C) and UPDATE (2B/2D),
 * modes 01 (full text, multi-block, BER lengths or untagged continuation),
 * 02 (last block + intermediate hash) and 03 (digest from the host).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

#define MAX_TLVS 8

/* Shared INIT: key reference, A1 mode, 91 hash, 92 algorithm. */
static uint16_t init_common(sim_applet *a, const sim_apdu *c, int type)
{
    static const uint8_t sign_tags[] = {0x84, 0x74, 0xA1, 0x91, 0x92};
    static const uint8_t verify_tags[] = {0x85, 0x75, 0xA1, 0x91, 0x92};
    int kind = type == SIM_SESS_SIGN ? SIM_PRIV : SIM_PUB;
    sim_tlv t[MAX_TLVS];
    size_t nt, idx;
    uint16_t sw;
    if (c->p1 == 0x01)
        return sim_session_close_cmd(a, c, type);
    if (c->p1 != 0x00 || sim_session_get(a, c->channel, c->p2) == NULL)
        return SW_WRONG_P1P2;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    if (sim_tlv_parse(c->data, c->lc, t, MAX_TLVS, &nt) != 0 ||
        !sim_only_tags(t, nt, type == SIM_SESS_SIGN ? sign_tags : verify_tags, 5))
        return SW_WRONG_DATA;
    const sim_tlv *mode = sim_tlv_find(t, nt, 0xA1), *hash = sim_tlv_find(t, nt, 0x91);
    const sim_tlv *alg = sim_tlv_find(t, nt, 0x92);
    if (mode == NULL || mode->len != 1 || mode->v[0] < 0x01 || mode->v[0] > 0x03)
        return SW_WRONG_DATA;
    if (hash == NULL || hash->len != 2 ||
        sim_hash_len((uint16_t)(hash->v[0] << 8 | hash->v[1])) == 0)
        return SW_WRONG_DATA;
    if (alg != NULL && alg->len != 1)
        return SW_WRONG_DATA;
    if ((sw = sim_lookup(a, t, nt, kind, &idx)) != SW_OK)
        return sw;
    const sim_object *k = &a->store.obj[idx];
    uint16_t h = (uint16_t)(hash->v[0] << 8 | hash->v[1]);
    if (k->state != SIM_STATE_ACTIVE || !(k->functions & SIM_FN_SIGN) || !(k->hashes & h) ||
        (alg != NULL && (alg->v[0] != SIM_SIG_ECDSA || !(k->sig_algs & alg->v[0]))))
        return SW_CONDITIONS;
    sim_session *s;
    if ((sw = sim_session_open(a, c, type, idx, &s)) != SW_OK)
        return sw;
    s->mode = mode->v[0];
    s->hash = h;
    return SW_OK;
}

uint16_t sim_cmd_sign_init(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    (void)r;
    return init_common(a, c, SIM_SESS_SIGN);
}

uint16_t sim_cmd_verify_init(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    (void)r;
    return init_common(a, c, SIM_SESS_VERIFY);
}

/* What one UPDATE block carried. */
typedef struct upd {
    const uint8_t *dig, *last, *mid, *count, *sig;
    size_t dig_len, last_len, mid_len, count_len, sig_len;
} upd;

static uint16_t feed_message(sim_session *s, const uint8_t *p, size_t n)
{
    if (s->md == NULL) {
        s->md = EVP_MD_CTX_new();
        if (s->md == NULL || EVP_DigestInit_ex(s->md, sim_hash_md(s->hash), NULL) != 1)
            return SW_UNKNOWN;
    }
    if (n > 0 && EVP_DigestUpdate(s->md, p, n) != 1)
        return SW_UNKNOWN;
    s->got_data = 1;
    return SW_OK;
}

/*
 * Walk one block. A 9B value may be longer than the block: its remaining
 * bytes then come untagged at the start of the next blocks (THM), while THP
 * re-tags every block; both work. Tag 33 (verify only) takes the 2-byte
 * length form 00 40 as well as 1-byte and BER lengths, and must end the data.
 */
static uint16_t parse_block(sim_session *s, const uint8_t *d, size_t n, int last, int verify,
                            upd *u)
{
    size_t off = 0;
    uint16_t sw;
    memset(u, 0, sizeof *u);
    if (s->msg_left > 0) {
        size_t take = n < s->msg_left ? n : s->msg_left;
        if ((sw = feed_message(s, d, take)) != SW_OK)
            return sw;
        s->msg_left -= take;
        off = take;
    }
    while (off < n) {
        uint8_t tag = d[off++];
        size_t len, hdr, avail;
        if (tag == 0x33 && verify) {
            avail = n - off;
            if (avail >= 2 && d[off] <= 0x01 && avail == 2 + ((size_t)d[off] << 8 | d[off + 1])) {
                hdr = 2;
                len = avail - 2;
            } else if (sim_tlv_len(d + off, avail, &len, &hdr) != 0 || hdr + len != avail) {
                return SW_WRONG_DATA;
            }
            if (u->sig != NULL || !last)
                return SW_WRONG_DATA;
            u->sig = d + off + hdr;
            u->sig_len = len;
            off = n;
            continue;
        }
        if (sim_tlv_len(d + off, n - off, &len, &hdr) != 0)
            return SW_WRONG_DATA;
        off += hdr;
        avail = n - off;
        if (tag == 0x9B && s->mode == 0x01) {
            size_t take = len < avail ? len : avail;
            if (len > avail && last)
                return SW_WRONG_DATA;
            if ((sw = feed_message(s, d + off, take)) != SW_OK)
                return sw;
            s->msg_left = len - take;
            off += take;
            continue;
        }
        if (len > avail)
            return SW_WRONG_DATA;
        const uint8_t **slot = NULL;
        size_t *slot_len = NULL;
        if (tag == 0x9E && s->mode == 0x03) {
            slot = &u->dig;
            slot_len = &u->dig_len;
        } else if (tag == 0x9A && s->mode == 0x02) {
            slot = &u->last;
            slot_len = &u->last_len;
        } else if (tag == 0x9C && s->mode == 0x02) {
            slot = &u->mid;
            slot_len = &u->mid_len;
        } else if (tag == 0x9D && s->mode == 0x02) {
            slot = &u->count;
            slot_len = &u->count_len;
        }
        if (slot == NULL || *slot != NULL)
            return SW_WRONG_DATA;
        *slot = d + off;
        *slot_len = len;
        off += len;
    }
    return SW_OK;
}

/* The digest to sign or verify, once the last block is in. */
static uint16_t final_digest(sim_session *s, const upd *u, uint8_t *dig, size_t *dlen)
{
    size_t hl = sim_hash_len(s->hash);
    switch (s->mode) {
    case 0x03:
        if (u->dig == NULL || u->dig_len != hl)
            return SW_WRONG_DATA;
        memcpy(dig, u->dig, hl);
        *dlen = hl;
        return SW_OK;
    case 0x02: {
        if (u->last == NULL || u->mid == NULL || u->count == NULL || u->count_len != 4 ||
            u->last_len > 0x80)
            return SW_WRONG_DATA;
        uint64_t done = (uint64_t)u->count[0] << 24 | (uint64_t)u->count[1] << 16 |
                        (uint64_t)u->count[2] << 8 | u->count[3];
        if (sim_sha_resume(s->hash, u->mid, u->mid_len, done, u->last, u->last_len, dig, dlen) != 0)
            return SW_WRONG_DATA;
        return SW_OK;
    }
    default: {
        unsigned int n = 0;
        if (!s->got_data || s->msg_left != 0 || s->md == NULL)
            return SW_WRONG_DATA;
        if (EVP_DigestFinal_ex(s->md, dig, &n) != 1)
            return SW_UNKNOWN;
        *dlen = n;
        return SW_OK;
    }
    }
}

/* Common UPDATE front: session checks and block parsing; *done is set on the last block. */
static uint16_t update_common(sim_applet *a, const sim_apdu *c, int type, sim_session **out, upd *u,
                              uint8_t *dig, size_t *dlen)
{
    if (c->p1 != 0x80 && c->p1 != 0x00)
        return SW_WRONG_P1P2;
    sim_session *s = sim_session_get(a, c->channel, c->p2);
    if (s == NULL)
        return SW_WRONG_P1P2;
    if (s->type != type)
        return SW_CONDITIONS;
    if (c->lc == 0)
        return SW_WRONG_LENGTH;
    int last = c->p1 == 0x80;
    if (!last && s->mode != 0x01) /* only full-text mode spans several blocks */
        return SW_WRONG_P1P2;
    uint16_t sw = parse_block(s, c->data, c->lc, last, type == SIM_SESS_VERIFY, u);
    if (sw == SW_OK && last)
        sw = final_digest(s, u, dig, dlen);
    if (sw != SW_OK || last)
        sim_session_reset_data(s); /* the session stays open for the next operation */
    *out = s;
    return sw;
}

uint16_t sim_cmd_sign_update(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    sim_session *s;
    upd u;
    uint8_t dig[64], rs[2 * SIM_EC_LEN], der[80], lie[200];
    size_t dlen = 0, dn;
    uint16_t sw = update_common(a, c, SIM_SESS_SIGN, &s, &u, dig, &dlen);
    if (sw != SW_OK || c->p1 != 0x80)
        return sw;
    const sim_object *k = &a->store.obj[s->obj];
    if (k->state != SIM_STATE_ACTIVE)
        return SW_CONDITIONS;
    if (sim_ecdsa_sign(k->curve, k->value, dig, dlen, s->hash, a->opt.deterministic, rs) != 0)
        return SW_UNKNOWN;
    const uint8_t *val = rs;
    size_t vlen = sizeof rs;
    if (a->opt.faults & SIM_FAULT_SIG_VALUES) { /* injected: a card that lies */
        vlen = sim_fault_signature(a, k->curve, rs, lie, sizeof lie);
        if (vlen == 0)
            return SW_UNKNOWN;
        val = lie;
    } else if (a->opt.sig_der) {
        if (sim_sig_to_der(rs, der, sizeof der, &dn) != 0)
            return SW_UNKNOWN;
        val = der;
        vlen = dn;
    }
    r->data[r->len++] = 0x33;
    if (a->opt.sig_len_bytes == 2)
        r->data[r->len++] = (uint8_t)(vlen >> 8);
    /* Injected fault: the 33 TLV claims 8 bytes more than the answer holds. */
    r->data[r->len++] = (uint8_t)(vlen + ((a->opt.faults & SIM_FAULT_BAD_SIGNATURE) ? 8 : 0));
    memcpy(r->data + r->len, val, vlen);
    r->len += vlen;
    OPENSSL_cleanse(rs, sizeof rs);
    return SW_OK;
}

uint16_t sim_cmd_verify_update(sim_applet *a, const sim_apdu *c, sim_resp *r)
{
    (void)r;
    sim_session *s;
    upd u;
    uint8_t dig[64], rs[2 * SIM_EC_LEN];
    size_t dlen = 0;
    uint16_t sw = update_common(a, c, SIM_SESS_VERIFY, &s, &u, dig, &dlen);
    if (sw != SW_OK || c->p1 != 0x80)
        return sw;
    if (u.sig == NULL)
        return SW_WRONG_DATA;
    if (u.sig_len == sizeof rs)
        memcpy(rs, u.sig, sizeof rs);
    else if (u.sig_len == 0 || u.sig[0] != 0x30 || sim_sig_from_der(u.sig, u.sig_len, rs) != 0)
        return SW_WRONG_DATA;
    const sim_object *k = &a->store.obj[s->obj];
    if (k->state != SIM_STATE_ACTIVE)
        return SW_CONDITIONS;
    int v = sim_ecdsa_verify(k->curve, k->value, dig, dlen, rs);
    return v == 1 ? SW_OK : v == 0 ? SW_SIG_MISMATCH : SW_UNKNOWN;
}
