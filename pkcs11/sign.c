/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA with a card key: CKM_ECDSA (the program hashed; any digest length,
 * handed to the card as libiotsafe's iotsafe_ecdsa_card_input says) and
 * CKM_ECDSA_SHA256/384/512 (the module hashes, in one or several parts).
 * The card's r||s is checked and verified with the key's public point
 * before the program gets it; the signature is r||s, as PKCS#11 defines it.
 */
#include <string.h>

#include "p11.h"

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    p11_session *s;
    p11_slot *sl;
    if (mech == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (s->op != P11_OP_NONE)
        rv = CKR_OPERATION_ACTIVE;
    else if ((p11_mechanism_flags(mech->mechanism) & CKF_SIGN) == 0)
        rv = CKR_MECHANISM_INVALID;
    else if (mech->ulParameterLen != 0)
        rv = CKR_MECHANISM_PARAM_INVALID;
    if (rv != CKR_OK) {
        p11_session_put(s);
        return rv;
    }
    pthread_mutex_lock(&sl->lock);
    const p11_obj *o = p11_object_find(sl, key);
    if (o == NULL)
        rv = CKR_KEY_HANDLE_INVALID;
    else if (o->cls != CKO_PRIVATE_KEY || o->curve == IOTSAFE_CURVE_NONE)
        rv = CKR_KEY_TYPE_INCONSISTENT;
    else if ((o->card.functions & IOTSAFE_FN_SIGN) == 0)
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    pthread_mutex_unlock(&sl->lock);
    if (rv == CKR_OK && mech->mechanism != CKM_ECDSA) {
        s->md = p11_digest_new(mech->mechanism);
        if (s->md == NULL)
            rv = CKR_HOST_MEMORY;
    }
    if (rv == CKR_OK) {
        s->op = P11_OP_SIGN;
        s->mech = mech->mechanism;
        s->key = key;
    }
    p11_session_put(s);
    return rv;
}

/* Say why the card's signature is refused, as the provider words it. */
static CK_RV bad_signature(const p11_slot *sl, const p11_obj *o, const char *why)
{
    char d[IOTSAFE_OBJECT_STR_MAX];
    p11_log("card returned an invalid signature for %s in reader '%s': %s",
            iotsafe_object_str(&o->card, d, sizeof(d)), iotsafe_card_reader(sl->card), why);
    return CKR_DEVICE_ERROR;
}

/*
 * Verify r||s (DER der) over digest with key's point (slot lock held). When it
 * fails, the key may have been generated anew by another process: the card's
 * objects are read again (handles stay) and the same signature is checked
 * with the point read now, with no second signature from the card.
 */
static CK_RV check_signature(p11_slot *sl, CK_OBJECT_HANDLE key, const uint8_t *digest, size_t dlen,
                             const uint8_t *der, size_t der_len)
{
    const p11_obj *o = p11_object_find(sl, key);
    for (int reread = 0;; reread++) {
        if (o == NULL)
            return CKR_KEY_HANDLE_INVALID;
        if (o->point_len == 0)
            return bad_signature(sl, o, "the key has no public point to verify it with");
        int v = p11_verify_signature(o->curve, o->point, o->point_len, digest, dlen, der, der_len);
        if (v > 0)
            return CKR_OK;
        if (v < 0)
            return bad_signature(sl, o, "it cannot be verified on the host (no ECDSA in OpenSSL?)");
        if (reread)
            return bad_signature(sl, o,
                                 "it does not verify with the key's public key, read again from "
                                 "the card");
        sl->objs_valid = 0;
        CK_RV rv = p11_objects_load(sl);
        if (rv != CKR_OK)
            return rv;
        o = p11_object_find(sl, key);
    }
}

/* Sign digest with key on the slot's card for a session of card generation gen: r||s into sig. */
static CK_RV card_sign(p11_slot *sl, unsigned long gen, CK_OBJECT_HANDLE key, const uint8_t *digest,
                       size_t dlen, uint8_t *sig, size_t *sig_len)
{
    iotsafe_status st;
    iotsafe_status_clear(&st);
    CK_RV rv = p11_slot_enter(sl, gen);
    if (rv != CKR_OK)
        return rv;
    const p11_obj *o = p11_object_find(sl, key);
    if (o == NULL)
        rv = CKR_KEY_HANDLE_INVALID;
    uint8_t in[64];
    size_t in_len = sizeof(in);
    iotsafe_hash hash = 0;
    if (rv == CKR_OK) {
        iotsafe_rc rc = iotsafe_ecdsa_card_input(o->curve, o->hashes, digest, dlen, in, &in_len,
                                                 &hash);
        if (rc != IOTSAFE_OK) {
            char d[IOTSAFE_OBJECT_STR_MAX];
            p11_log("%s cannot sign a %zu-byte digest: the card allows no hash that carries it",
                    iotsafe_object_str(&o->card, d, sizeof(d)), dlen);
            rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
        }
    }
    uint8_t rs[IOTSAFE_RS_MAX];
    size_t rs_len = sizeof(rs);
    if (rv == CKR_OK) {
        iotsafe_ref ref = iotsafe_object_ref(&o->card);
        char d[IOTSAFE_OBJECT_STR_MAX];
        p11_debug("signing a %zu-byte digest with %s as %s (%zu bytes to the card)", dlen,
                  iotsafe_object_str(&o->card, d, sizeof(d)), iotsafe_hash_name(hash), in_len);
        iotsafe_rc rc = iotsafe_sign_digest(sl->card, &ref, hash, in, in_len, rs, &rs_len, &st);
        if (rc != IOTSAFE_OK)
            rv = p11_slot_failed(sl, rc, &st);
    }
    if (rv == CKR_OK) {
        const char *why = iotsafe_ecdsa_rs_problem(o->curve, rs, rs_len);
        if (why != NULL)
            rv = bad_signature(sl, o, why);
    }
    if (rv == CKR_OK && p11_g.opts.verify_signatures) {
        uint8_t der[IOTSAFE_RS_MAX + 16];
        size_t der_len = sizeof(der);
        if (iotsafe_ecdsa_rs_to_der(rs, rs_len, der, &der_len) != IOTSAFE_OK)
            rv = bad_signature(sl, o, "r||s has no DER form");
        else
            rv = check_signature(sl, key, digest, dlen, der, der_len);
    }
    if (rv == CKR_OK) {
        memcpy(sig, rs, rs_len);
        *sig_len = rs_len;
    }
    p11_slot_leave(sl);
    return rv;
}

/* The signature's length for the session's key. */
static size_t sig_length(p11_slot *sl, CK_OBJECT_HANDLE key)
{
    pthread_mutex_lock(&sl->lock);
    const p11_obj *o = p11_object_find(sl, key);
    size_t n = o != NULL ? 2 * iotsafe_curve_field_len(o->curve) : 0;
    pthread_mutex_unlock(&sl->lock);
    return n;
}

/*
 * The common end of C_Sign and C_SignFinal: the size query, the digest
 * (final hash or the data itself), the card's signature.
 */
static CK_RV finish(CK_SESSION_HANDLE h, const uint8_t *data, size_t data_len, int final,
                    CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    p11_session *s;
    p11_slot *sl;
    if (sig_len == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (s->op != P11_OP_SIGN) {
        p11_session_put(s);
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    if (!final && s->multipart) {
        p11_session_put(s);
        return CKR_OPERATION_ACTIVE; /* C_Sign after C_SignUpdate */
    }
    const size_t need = sig_length(sl, s->key);
    if (need == 0) {
        p11_session_reset_op(s);
        p11_session_put(s);
        return CKR_KEY_HANDLE_INVALID;
    }
    if (sig == NULL || *sig_len < need) {
        /* A size query, or too small a buffer: the operation stays. */
        rv = sig == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
        *sig_len = need;
        p11_session_put(s);
        return rv;
    }
    uint8_t digest[64];
    size_t dlen = 0;
    if (s->md != NULL) {
        if ((data_len > 0 && !p11_digest_update(s->md, data, data_len)) ||
            !p11_digest_final(s->md, digest, &dlen))
            rv = CKR_FUNCTION_FAILED;
    } else if (data_len == 0 || data == NULL) {
        rv = CKR_DATA_LEN_RANGE;
    } else {
        /* CKM_ECDSA: ECDSA uses the leftmost bytes of a digest longer than 64. */
        dlen = data_len < sizeof(digest) ? data_len : sizeof(digest);
        memcpy(digest, data, dlen);
    }
    size_t n = 0;
    if (rv == CKR_OK)
        rv = card_sign(sl, s->generation, s->key, digest, dlen, sig, &n);
    if (rv == CKR_OK)
        *sig_len = n;
    p11_session_reset_op(s); /* done, or failed: either way the operation ends */
    p11_session_put(s);
    return rv;
}

CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
             CK_ULONG_PTR sig_len)
{
    if (data == NULL && data_len > 0)
        return CKR_ARGUMENTS_BAD;
    return finish(h, data, data_len, 0, sig, sig_len);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG part_len)
{
    p11_session *s;
    p11_slot *sl;
    if (part == NULL && part_len > 0)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (s->op != P11_OP_SIGN) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
    } else if (s->md == NULL) {
        /* CKM_ECDSA signs one digest: it has no parts. */
        p11_session_reset_op(s);
        rv = CKR_FUNCTION_NOT_SUPPORTED;
    } else if (part_len > 0 && !p11_digest_update(s->md, part, part_len)) {
        p11_session_reset_op(s);
        rv = CKR_FUNCTION_FAILED;
    } else {
        s->multipart = 1;
    }
    p11_session_put(s);
    return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    return finish(h, NULL, 0, 1, sig, sig_len);
}
