/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPUTE SIGNATURE (mode 03 hash-on-host, mode 01 full text) and VERIFY
 * SIGNATURE. A steady-state signature is INIT + UPDATE: the session is left
 * open (the next INIT replaces it) unless the card turned out to refuse
 * INIT on an open session, in which case we close after every operation.
 */
#include <stdio.h>
#include <string.h>

#include "card_internal.h"

#define VERIFY_SESSION 2
#define SIG_HALF 32   /* both supported curves are 256-bit */
#define MSG_BLOCK 252 /* 9B 81 xx header + 252 bytes = 255 */

iotsafe_rc session_init(iotsafe_card *c, uint8_t ins, uint8_t session, const uint8_t *data,
                        size_t len, const char *cmd, const char *obj, iotsafe_status *st)
{
    const card_apdu a = {.ins = ins, .p1 = 0x00, .p2 = session, .data = data, .lc = len, .le = -1};
    card_resp r;
    card_ctx(st, cmd, obj); /* for this INIT and the UPDATEs that follow */
    iotsafe_rc rc = card_exchange(c, &a, &r, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (card_sw_ok(r.sw))
        return IOTSAFE_OK;
    if (r.sw == 0x6985 && !c->strict_sessions) {
        /* maybe the session is still open and this card refuses to replace it */
        session_close(c, ins, session);
        rc = card_exchange(c, &a, &r, st);
        if (rc != IOTSAFE_OK)
            return rc;
        if (card_sw_ok(r.sw)) {
            c->strict_sessions = 1;
            return IOTSAFE_OK;
        }
    }
    return card_sw_fail(st, r.sw, cmd, obj);
}

void session_close(iotsafe_card *c, uint8_t ins, uint8_t session)
{
    const card_apdu a = {.ins = ins, .p1 = 0x01, .p2 = session, .le = -1};
    card_resp r;
    iotsafe_status ignored;
    (void)card_exchange(c, &a, &r, &ignored);
}

/* Arguments of a signature over a digest: the key reference, the hash and the digest's length. */
static iotsafe_rc check_key_digest(const iotsafe_ref *ref, iotsafe_hash hash, const uint8_t *digest,
                                   size_t digest_len, const char *cmd, iotsafe_status *st)
{
    iotsafe_rc rc = card_check_ref(ref, cmd, st);
    if (rc != IOTSAFE_OK)
        return rc;
    size_t hl = iotsafe_hash_len(hash);
    if (hl == 0)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "%s: unknown hash algorithm %04X",
                                  cmd, (unsigned)hash);
    if (digest == NULL || digest_len != hl)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "%s: a %s digest has %zu bytes, got %zu", cmd,
                                  iotsafe_hash_name(hash), hl, digest_len);
    return IOTSAFE_OK;
}

/* Tag 33 in any form -> raw r||s into rs (capacity *rs_len). */
static iotsafe_rc parse_sig_answer(iotsafe_card *c, const uint8_t *buf, size_t len, uint8_t *rs,
                                   size_t *rs_len, const char *cmd, const char *obj,
                                   iotsafe_status *st)
{
    iotsafe_tlv t;
    if (iotsafe_tlv_parse_sig33(buf, len, 2 * SIG_HALF, &t) != IOTSAFE_OK ||
        (size_t)(t.value - buf) + t.len != len)
        return card_malformed(st, 0x9000, cmd, obj, "expected one signature TLV (tag 33)");
    c->sig33_one_byte = t.value - buf == 2;
    if (t.len == 2 * SIG_HALF || (t.len != 0 && t.value[0] != 0x30)) {
        if (t.len == 0 || (t.len & 1) != 0)
            return card_malformed(st, 0x9000, cmd, obj, "raw signature of odd length");
        if (t.len > 2 * SIG_HALF) { /* the card's fault, not the caller's buffer */
            char what[80];
            snprintf(what, sizeof what, "raw signature r||s of %zu bytes, at most %d expected",
                     t.len, 2 * SIG_HALF);
            return card_malformed(st, 0x9000, cmd, obj, what);
        }
        if (t.len > *rs_len)
            return iotsafe_status_set(st, IOTSAFE_E_BUFFER, 0,
                                      "%s: signature of %zu bytes does not fit a %zu-byte buffer",
                                      cmd, t.len, *rs_len);
        memcpy(rs, t.value, t.len);
        *rs_len = t.len;
        return IOTSAFE_OK;
    }
    if (*rs_len < 2 * SIG_HALF)
        return iotsafe_status_set(st, IOTSAFE_E_BUFFER, 0, "%s: signature needs a %d-byte buffer",
                                  cmd, 2 * SIG_HALF);
    iotsafe_rc rc = iotsafe_ecdsa_der_to_rs(t.value, t.len, SIG_HALF, rs, rs_len);
    if (rc != IOTSAFE_OK)
        return card_malformed(st, 0x9000, cmd, obj, "signature is neither raw r||s nor DER");
    return IOTSAFE_OK;
}

/* Room for the INIT data: key reference, A1 mode, 91 hash, 92 algorithm. */
#define INIT_MAX (2 + IOTSAFE_LABEL_MAX + 3 + 4 + 3)

/*
 * The INIT shared by COMPUTE and VERIFY SIGNATURE: names the key in desc
 * (CARD_DESC_MAX bytes) and opens the session with the key (private 84/74 or
 * public 85/75 tags), the mode, the hash and ECDSA.
 */
static iotsafe_rc sig_init(iotsafe_card *c, uint8_t ins, uint8_t session, iotsafe_obj_type type,
                           const iotsafe_ref *ref, uint8_t mode, iotsafe_hash hash, const char *cmd,
                           char *desc, iotsafe_status *st)
{
    card_obj_desc(c, type, ref, desc, CARD_DESC_MAX);
    const int priv = type == IOTSAFE_OBJ_PRIVATE_KEY;
    uint8_t init[INIT_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, init, sizeof init);
    card_put_ref(&w, priv ? 0x84 : 0x85, priv ? 0x74 : 0x75, ref);
    iotsafe_tlv_put_u8(&w, 0xA1, mode);
    iotsafe_tlv_put_u16(&w, 0x91, (uint16_t)hash);
    iotsafe_tlv_put_u8(&w, 0x92, IOTSAFE_SIGALG_ECDSA);
    return session_init(c, ins, session, init, w.len, cmd, desc, st);
}

struct sign_arg {
    const iotsafe_ref *ref;
    iotsafe_hash hash;
    uint8_t mode; /* 03 digest, 01 full text */
    const uint8_t *in;
    size_t in_len;
    uint8_t *rs;
    size_t *rs_len;
};

static iotsafe_rc op_sign(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "COMPUTE SIGNATURE";
    struct sign_arg *a = arg;
    char desc[CARD_DESC_MAX];
    iotsafe_rc rc = sig_init(c, 0x2A, c->sign_session, IOTSAFE_OBJ_PRIVATE_KEY, a->ref, a->mode,
                             a->hash, cmd, desc, st);
    if (rc != IOTSAFE_OK)
        return rc;

    iotsafe_tlv_writer w;
    card_resp r;
    uint8_t data[255];
    size_t off = 0;
    do {
        size_t n = a->in_len - off;
        if (a->mode == 0x01 && n > MSG_BLOCK)
            n = MSG_BLOCK;
        const int last = off + n == a->in_len;
        iotsafe_tlv_writer_init(&w, data, sizeof data);
        iotsafe_tlv_put(&w, a->mode == 0x01 ? 0x9B : 0x9E, a->in + off, n);
        const card_apdu up = {.ins = 0x2B,
                              .p1 = last ? 0x80 : 0x00,
                              .p2 = c->sign_session,
                              .data = data,
                              .lc = w.len,
                              .le = last ? 256 : -1};
        rc = card_exchange(c, &up, &r, st);
        if (rc != IOTSAFE_OK)
            return rc;
        if (!card_sw_ok(r.sw)) {
            uint16_t sw = r.sw;
            if (c->strict_sessions)
                session_close(c, 0x2A, c->sign_session);
            return card_sw_fail(st, sw, cmd, desc);
        }
        off += n;
    } while (off < a->in_len);

    rc = parse_sig_answer(c, r.data, r.len, a->rs, a->rs_len, cmd, desc, st);
    if (c->strict_sessions)
        session_close(c, 0x2A, c->sign_session);
    return rc;
}

iotsafe_rc iotsafe_sign_digest(iotsafe_card *c, const iotsafe_ref *priv, iotsafe_hash hash,
                               const uint8_t *digest, size_t digest_len, uint8_t *rs,
                               size_t *rs_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = check_key_digest(priv, hash, digest, digest_len, "COMPUTE SIGNATURE", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (rs == NULL || rs_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "COMPUTE SIGNATURE: NULL output");
    struct sign_arg a = {priv, hash, 0x03, digest, digest_len, rs, rs_len};
    return card_run(c, op_sign, &a, st);
}

iotsafe_rc iotsafe_sign_message(iotsafe_card *c, const iotsafe_ref *priv, iotsafe_hash hash,
                                const uint8_t *msg, size_t msg_len, uint8_t *rs, size_t *rs_len,
                                iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(priv, "COMPUTE SIGNATURE", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (iotsafe_hash_len(hash) == 0)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "COMPUTE SIGNATURE: unknown hash algorithm %04X", (unsigned)hash);
    if ((msg == NULL && msg_len != 0) || rs == NULL || rs_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "COMPUTE SIGNATURE: NULL argument");
    static const uint8_t empty[1] = {0};
    struct sign_arg a = {priv, hash, 0x01, msg != NULL ? msg : empty, msg_len, rs, rs_len};
    return card_run(c, op_sign, &a, st);
}

struct verify_arg {
    const iotsafe_ref *ref;
    iotsafe_hash hash;
    const uint8_t *digest;
    size_t digest_len;
    const uint8_t *rs;
    size_t rs_len;
};

static iotsafe_rc op_verify(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "VERIFY SIGNATURE";
    struct verify_arg *a = arg;
    char desc[CARD_DESC_MAX];
    iotsafe_rc rc = sig_init(c, 0x2C, VERIFY_SESSION, IOTSAFE_OBJ_PUBLIC_KEY, a->ref, 0x03, a->hash,
                             cmd, desc, st);
    if (rc != IOTSAFE_OK)
        return rc;

    iotsafe_tlv_writer w;
    uint8_t data[255];
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    iotsafe_tlv_put(&w, 0x9E, a->digest, a->digest_len);
    /* tag 33 in the form this card uses itself: "33 40" or the default "33 00 40" */
    if (c->sig33_one_byte) {
        iotsafe_tlv_put(&w, 0x33, a->rs, a->rs_len);
    } else {
        const uint8_t hdr[3] = {0x33, (uint8_t)(a->rs_len >> 8), (uint8_t)a->rs_len};
        iotsafe_tlv_put_raw(&w, hdr, sizeof hdr);
        iotsafe_tlv_put_raw(&w, a->rs, a->rs_len);
    }
    if (iotsafe_tlv_writer_status(&w) != IOTSAFE_OK) {
        session_close(c, 0x2C, VERIFY_SESSION);
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "%s: signature too long", cmd);
    }
    const card_apdu up = {
        .ins = 0x2D, .p1 = 0x80, .p2 = VERIFY_SESSION, .data = data, .lc = w.len, .le = -1};
    card_resp r;
    rc = card_exchange(c, &up, &r, st);
    if (rc != IOTSAFE_OK)
        return rc;
    uint16_t sw = r.sw;
    session_close(c, 0x2C, VERIFY_SESSION);
    if (card_sw_ok(sw))
        return IOTSAFE_OK;
    return card_sw_fail(st, sw, cmd, desc);
}

iotsafe_rc iotsafe_verify_digest(iotsafe_card *c, const iotsafe_ref *pub, iotsafe_hash hash,
                                 const uint8_t *digest, size_t digest_len, const uint8_t *rs,
                                 size_t rs_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = check_key_digest(pub, hash, digest, digest_len, "VERIFY SIGNATURE", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (rs == NULL || rs_len == 0 || (rs_len & 1) != 0 || rs_len > 2 * 66)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "VERIFY SIGNATURE: r||s must be two equal halves");
    struct verify_arg a = {pub, hash, digest, digest_len, rs, rs_len};
    return card_run(c, op_verify, &a, st);
}
