/* SPDX-License-Identifier: Apache-2.0 */
/* READ PUBLIC KEY, GENERATE KEY PAIR, PUT PUBLIC KEY and COMPUTE DH. */
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

#define PUT_KEY_SESSION 3

static int point_ok(const uint8_t *p, size_t n)
{
    return n >= 3 && n <= IOTSAFE_POINT_MAX && (n & 1) == 1 && p[0] == 0x04;
}

/* 34 { 49 { 86 <04||X||Y> } } as cards send it, or a bare 04||X||Y. */
iotsafe_rc keys_parse_point(const uint8_t *buf, size_t len, uint8_t *point, size_t *point_len)
{
    iotsafe_tlv t;
    const uint8_t *p = buf;
    size_t n = len;
    if (n == 0)
        return IOTSAFE_E_MALFORMED;
    if (p[0] == 0x04) {
        if (!point_ok(p, n))
            return IOTSAFE_E_MALFORMED;
    } else {
        static const uint8_t path[] = {0x34, 0x49, 0x86};
        size_t start = p[0] == 0x34 ? 0 : p[0] == 0x49 ? 1 : p[0] == 0x86 ? 2 : 3;
        if (start == 3)
            return IOTSAFE_E_MALFORMED;
        for (size_t i = start; i < sizeof path; i++) {
            iotsafe_tlv_reader r;
            iotsafe_tlv_reader_init(&r, p, n);
            if (iotsafe_tlv_next(&r, &t) != IOTSAFE_OK || t.tag != path[i])
                return IOTSAFE_E_MALFORMED;
            /* the outer TLV must be the whole answer */
            if (i == start && r.pos != n)
                return IOTSAFE_E_MALFORMED;
            p = t.value;
            n = t.len;
        }
        if (!point_ok(p, n))
            return IOTSAFE_E_MALFORMED;
    }
    if (n > *point_len)
        return IOTSAFE_E_BUFFER;
    memcpy(point, p, n);
    *point_len = n;
    return IOTSAFE_OK;
}

static iotsafe_rc copy_point(const uint8_t *p, size_t n, uint8_t *out, size_t *out_len,
                             iotsafe_status *st)
{
    if (n > *out_len)
        return iotsafe_status_set(st, IOTSAFE_E_BUFFER, 0,
                                  "public key of %zu bytes does not fit a %zu-byte buffer", n,
                                  *out_len);
    memcpy(out, p, n);
    *out_len = n;
    return IOTSAFE_OK;
}

/*
 * READ PUBLIC KEY from the card (never from the cache) into point, which has
 * room for IOTSAFE_POINT_MAX bytes, and refresh the cache. The caller holds
 * the lock.
 */
static iotsafe_rc read_pub_locked(iotsafe_card *c, const iotsafe_ref *ref, uint8_t *point,
                                  size_t *point_len, iotsafe_status *st)
{
    static const char cmd[] = "READ PUBLIC KEY";
    char desc[CARD_DESC_MAX];
    uint8_t data[2 + IOTSAFE_LABEL_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    card_put_ref(&w, 0x85, 0x75, ref);
    const card_apdu a = {.ins = 0xCD, .p1 = 0x00, .p2 = 0x00, .data = data, .lc = w.len, .le = 256};
    card_resp r;
    card_obj_desc(c, IOTSAFE_OBJ_PUBLIC_KEY, ref, desc, sizeof desc);
    iotsafe_rc rc = card_command(c, &a, &r, cmd, desc, st);
    if (rc != IOTSAFE_OK)
        return rc;
    *point_len = IOTSAFE_POINT_MAX;
    if (keys_parse_point(r.data, r.len, point, point_len) != IOTSAFE_OK)
        return card_malformed(st, r.sw, cmd, desc, "expected 34 { 49 { 86 04||X||Y } }");
    card_pub_put(c, ref, point, *point_len);
    return IOTSAFE_OK;
}

struct pub_arg {
    const iotsafe_ref *ref;
    uint8_t *point;
    size_t *point_len;
};

static iotsafe_rc op_read_pub(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    struct pub_arg *a = arg;
    const card_pub_entry *e = card_pub_get(c, a->ref);
    if (e != NULL)
        return copy_point(e->point, e->point_len, a->point, a->point_len, st);
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t plen;
    iotsafe_rc rc = read_pub_locked(c, a->ref, point, &plen, st);
    if (rc != IOTSAFE_OK)
        return rc;
    return copy_point(point, plen, a->point, a->point_len, st);
}

iotsafe_rc iotsafe_read_public_key(iotsafe_card *c, const iotsafe_ref *pub, uint8_t *point,
                                   size_t *point_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(pub, "READ PUBLIC KEY", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (point == NULL || point_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "READ PUBLIC KEY: NULL output");
    struct pub_arg a = {pub, point, point_len};
    return card_run(c, op_read_pub, &a, st);
}

struct keygen_arg {
    const iotsafe_ref *ref;
    iotsafe_keygen_result *out;
};

static iotsafe_rc op_keygen(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "GENERATE KEY PAIR";
    struct keygen_arg *a = arg;
    iotsafe_keygen_result *out = a->out;
    char desc[CARD_DESC_MAX];
    uint8_t data[2 + IOTSAFE_LABEL_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    card_put_ref(&w, 0x84, 0x74, a->ref);
    card_obj_desc(c, IOTSAFE_OBJ_PRIVATE_KEY, a->ref, desc, sizeof desc);
    const card_apdu ap = {
        .ins = 0xB9, .p1 = 0x00, .p2 = 0x00, .data = data, .lc = w.len, .le = 256};
    card_resp r;
    card_ctx(st, cmd, desc);
    iotsafe_rc rc = card_exchange(c, &ap, &r, st);
    if (rc != IOTSAFE_OK)
        return rc;
    /* whatever the outcome, the container may have changed */
    card_flush_locked(c);
    if (!card_sw_ok(r.sw))
        return card_sw_fail(st, r.sw, cmd, desc);

    memset(out, 0, sizeof *out);
    iotsafe_tlv_reader rd;
    iotsafe_tlv t;
    const uint8_t *pub_tlv = NULL;
    size_t pub_tlv_len = 0;
    iotsafe_tlv_reader_init(&rd, r.data, r.len);
    for (;;) {
        size_t at = rd.pos;
        rc = iotsafe_tlv_next(&rd, &t);
        if (rc == IOTSAFE_E_NOT_FOUND)
            break;
        if (rc != IOTSAFE_OK)
            return card_malformed(st, r.sw, cmd, desc, "TLV length runs past the end");
        if (t.tag == 0x84 || t.tag == 0x85) {
            if (t.len == 0 || t.len > IOTSAFE_ID_MAX)
                return card_malformed(st, r.sw, cmd, desc, "key ID must be 1..20 bytes");
            memcpy(t.tag == 0x84 ? out->priv_id : out->pub_id, t.value, t.len);
            *(t.tag == 0x84 ? &out->priv_id_len : &out->pub_id_len) = t.len;
        } else if (t.tag == 0x34) {
            pub_tlv = r.data + at;
            pub_tlv_len = rd.pos - at;
        }
    }
    /* IDs missing from the answer: the ones the caller named (or the pair's, by label) */
    if (out->priv_id_len == 0 || out->pub_id_len == 0) {
        iotsafe_object priv, pub;
        if (a->ref->id != NULL) {
            memcpy(&priv.id, a->ref->id, a->ref->id_len);
            priv.id_len = a->ref->id_len;
            memcpy(&pub.id, a->ref->id, a->ref->id_len);
            pub.id_len = a->ref->id_len;
        } else {
            rc = objects_find_locked(c, IOTSAFE_OBJ_PRIVATE_KEY, a->ref, &priv, st);
            if (rc != IOTSAFE_OK)
                return rc;
            iotsafe_ref pref = {.label = a->ref->label, .label_len = a->ref->label_len};
            rc = objects_find_locked(c, IOTSAFE_OBJ_PUBLIC_KEY, &pref, &pub, st);
            if (rc != IOTSAFE_OK)
                return rc;
        }
        if (out->priv_id_len == 0) {
            memcpy(out->priv_id, priv.id, priv.id_len);
            out->priv_id_len = priv.id_len;
        }
        if (out->pub_id_len == 0) {
            memcpy(out->pub_id, pub.id, pub.id_len);
            out->pub_id_len = pub.id_len;
        }
    }
    const iotsafe_ref pub_ref = {.id = out->pub_id, .id_len = out->pub_id_len};
    if (pub_tlv != NULL) {
        out->point_len = sizeof out->point;
        if (keys_parse_point(pub_tlv, pub_tlv_len, out->point, &out->point_len) != IOTSAFE_OK)
            return card_malformed(st, r.sw, cmd, desc, "bad public key (tag 34)");
        card_pub_put(c, &pub_ref, out->point, out->point_len);
        return IOTSAFE_OK;
    }
    /* some cards leave the public key out: read it back (straight into out,
       which has room for any point, so no cache lookup that could miss) */
    return read_pub_locked(c, &pub_ref, out->point, &out->point_len, st);
}

iotsafe_rc iotsafe_generate_key_pair(iotsafe_card *c, const iotsafe_ref *priv,
                                     iotsafe_keygen_result *out, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(priv, "GENERATE KEY PAIR", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "GENERATE KEY PAIR: NULL output");
    struct keygen_arg a = {priv, out};
    return card_run(c, op_keygen, &a, st);
}

/* The cached object list shows the slot as holding a key (state 1). */
static void mark_pub_present(iotsafe_card *c, const iotsafe_ref *pub)
{
    for (size_t i = 0; i < c->n_objs; i++) {
        iotsafe_object *o = &c->objs[i];
        if (o->type == IOTSAFE_OBJ_PUBLIC_KEY &&
            ref_equal_bytes(pub, o->id, o->id_len, o->label, o->label_len))
            o->state = 1;
    }
}

iotsafe_rc keys_put_public_locked(iotsafe_card *c, const iotsafe_ref *pub, const uint8_t *point,
                                  size_t point_len, iotsafe_status *st)
{
    static const char cmd[] = "PUT PUBLIC KEY";
    char desc[CARD_DESC_MAX];
    card_obj_desc(c, IOTSAFE_OBJ_PUBLIC_KEY, pub, desc, sizeof desc);
    uint8_t data[2 + IOTSAFE_LABEL_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    card_put_ref(&w, 0x85, 0x75, pub);
    iotsafe_rc rc = session_init(c, 0x24, PUT_KEY_SESSION, data, w.len, cmd, desc, st);
    if (rc != IOTSAFE_OK)
        return rc;

    /* 34 { 49 { 86 point } } */
    uint8_t inner[2 + IOTSAFE_POINT_MAX], mid[4 + IOTSAFE_POINT_MAX], body[8 + IOTSAFE_POINT_MAX];
    iotsafe_tlv_writer wi, wm, wb;
    iotsafe_tlv_writer_init(&wi, inner, sizeof inner);
    iotsafe_tlv_put(&wi, 0x86, point, point_len);
    iotsafe_tlv_writer_init(&wm, mid, sizeof mid);
    iotsafe_tlv_put(&wm, 0x49, inner, wi.len);
    iotsafe_tlv_writer_init(&wb, body, sizeof body);
    iotsafe_tlv_put(&wb, 0x34, mid, wm.len);
    const card_apdu up = {
        .ins = 0xD8, .p1 = 0x80, .p2 = PUT_KEY_SESSION, .data = body, .lc = wb.len, .le = -1};
    card_resp r;
    rc = card_exchange(c, &up, &r, st);
    /* the slot content changes (or may have): forget what we knew */
    card_pub_drop(c, pub);
    if (rc != IOTSAFE_OK)
        return rc;
    if (!card_sw_ok(r.sw)) {
        uint16_t sw = r.sw;
        session_close(c, 0x24, PUT_KEY_SESSION);
        return card_sw_fail(st, sw, cmd, desc);
    }
    session_close(c, 0x24, PUT_KEY_SESSION);
    card_pub_put(c, pub, point, point_len);
    mark_pub_present(c, pub);
    return IOTSAFE_OK;
}

static iotsafe_rc check_point_arg(const uint8_t *point, size_t point_len, const char *cmd,
                                  iotsafe_status *st)
{
    if (point == NULL || !point_ok(point, point_len))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "%s: the point must be uncompressed (04||X||Y), at most %d bytes",
                                  cmd, IOTSAFE_POINT_MAX);
    return IOTSAFE_OK;
}

struct put_arg {
    const iotsafe_ref *pub;
    const uint8_t *point;
    size_t point_len;
};

static iotsafe_rc op_put(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    struct put_arg *a = arg;
    return keys_put_public_locked(c, a->pub, a->point, a->point_len, st);
}

iotsafe_rc iotsafe_put_public_key(iotsafe_card *c, const iotsafe_ref *pub, const uint8_t *point,
                                  size_t point_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(pub, "PUT PUBLIC KEY", st);
    if (rc == IOTSAFE_OK)
        rc = check_point_arg(point, point_len, "PUT PUBLIC KEY", st);
    if (rc != IOTSAFE_OK)
        return rc;
    struct put_arg a = {pub, point, point_len};
    return card_run(c, op_put, &a, st);
}

struct dh_arg {
    const iotsafe_ref *priv, *pub;
    const uint8_t *point;
    size_t point_len;
    uint8_t *secret;
    size_t *secret_len;
};

static iotsafe_rc dh_locked(iotsafe_card *c, const struct dh_arg *a, iotsafe_status *st)
{
    static const char cmd[] = "COMPUTE DH";
    char desc[CARD_DESC_MAX];
    card_obj_desc(c, IOTSAFE_OBJ_PRIVATE_KEY, a->priv, desc, sizeof desc);
    uint8_t data[4 + 2 * IOTSAFE_LABEL_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    card_put_ref(&w, 0x84, 0x74, a->priv);
    card_put_ref(&w, 0x85, 0x75, a->pub);
    const card_apdu ap = {.ins = 0x46,
                          .p1 = 0x00,
                          .p2 = 0x00,
                          .data = data,
                          .lc = w.len,
                          .le = 256,
                          .redact = CARD_REDACT_RESP};
    card_resp r;
    card_ctx(st, cmd, desc);
    iotsafe_rc rc = card_exchange(c, &ap, &r, st);
    if (rc != IOTSAFE_OK)
        goto out;
    if (!card_sw_ok(r.sw)) {
        rc = card_sw_fail(st, r.sw, cmd, desc);
        goto out;
    }
    if (r.len == 0 || r.len > 66) {
        rc = card_malformed(st, r.sw, cmd, desc, "shared secret must be 1..66 bytes");
        goto out;
    }
    if (r.len > *a->secret_len) {
        rc = iotsafe_status_set(st, IOTSAFE_E_BUFFER, 0,
                                "%s: shared secret of %zu bytes does "
                                "not fit a %zu-byte buffer",
                                cmd, r.len, *a->secret_len);
        goto out;
    }
    memcpy(a->secret, r.data, r.len);
    *a->secret_len = r.len;
out:
    explicit_bzero(r.data, sizeof r.data); /* the shared secret must not linger on the stack */
    return rc;
}

static iotsafe_rc op_dh(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    return dh_locked(c, arg, st);
}

/*
 * Write the peer into the slot only when the card holds another point: PUT
 * PUBLIC KEY costs three APDUs and an NVM write, and SIM NVM endures a limited
 * number of writes. The slot is read from the card, not the cache, because
 * another process may have put its own peer there; the read, the write and
 * the DH run in one transaction so nobody can change the slot in between.
 */
static iotsafe_rc op_dh_peer(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    const struct dh_arg *a = arg;
    uint8_t cur[IOTSAFE_POINT_MAX];
    size_t cur_len = 0;
    iotsafe_status rst;
    iotsafe_rc rc = read_pub_locked(c, a->pub, cur, &cur_len, &rst);
    if (rc == IOTSAFE_E_CARD_RESET || rc == IOTSAFE_E_CARD_REMOVED || rc == IOTSAFE_E_NO_SERVICE) {
        /* the card is gone: let card_run reconnect and run the whole sequence again */
        if (st != NULL)
            *st = rst;
        return rc;
    }
    /* any other failure (empty slot answers 6985, odd answer, ...) means: write */
    if (rc == IOTSAFE_OK && cur_len == a->point_len && memcmp(cur, a->point, cur_len) == 0) {
        mark_pub_present(c, a->pub);
    } else {
        card_pub_drop(c, a->pub);
        rc = keys_put_public_locked(c, a->pub, a->point, a->point_len, st);
        if (rc != IOTSAFE_OK)
            return rc;
    }
    return dh_locked(c, a, st);
}

iotsafe_rc iotsafe_compute_dh(iotsafe_card *c, const iotsafe_ref *priv, const iotsafe_ref *pub,
                              uint8_t *secret, size_t *secret_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(priv, "COMPUTE DH", st);
    if (rc == IOTSAFE_OK)
        rc = card_check_ref(pub, "COMPUTE DH", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (secret == NULL || secret_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "COMPUTE DH: NULL output");
    struct dh_arg a = {priv, pub, NULL, 0, secret, secret_len};
    return card_run(c, op_dh, &a, st);
}

iotsafe_rc iotsafe_compute_dh_with_peer(iotsafe_card *c, const iotsafe_ref *priv,
                                        const iotsafe_ref *slot, const uint8_t *point,
                                        size_t point_len, uint8_t *secret, size_t *secret_len,
                                        iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(priv, "COMPUTE DH", st);
    if (rc == IOTSAFE_OK)
        rc = card_check_ref(slot, "PUT PUBLIC KEY", st);
    if (rc == IOTSAFE_OK)
        rc = check_point_arg(point, point_len, "COMPUTE DH", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (secret == NULL || secret_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "COMPUTE DH: NULL output");
    struct dh_arg a = {priv, slot, point, point_len, secret, secret_len};
    return card_run(c, op_dh_peer, &a, st);
}
