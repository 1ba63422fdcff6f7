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

static int is_ecdsa(CK_MECHANISM_TYPE m)
{
    return m == CKM_ECDSA || m == CKM_ECDSA_SHA256 || m == CKM_ECDSA_SHA384 ||
           m == CKM_ECDSA_SHA512;
}

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
    p11_session *s;
    p11_slot *sl;
    if (mech == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (s->op != P11_OP_NONE) {
        p11_session_put();
        return CKR_OPERATION_ACTIVE;
    }
    if (!is_ecdsa(mech->mechanism)) {
        p11_session_put();
        return CKR_MECHANISM_INVALID;
    }
    if (mech->ulParameterLen != 0) {
        p11_session_put();
        return CKR_MECHANISM_PARAM_INVALID;
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
    p11_session_put();
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

/* Sign digest with key on the slot's card (no module lock held): r||s into sig. */
static CK_RV card_sign(p11_slot *sl, CK_OBJECT_HANDLE key, const uint8_t *digest, size_t dlen,
                       uint8_t *sig, size_t *sig_len)
{
    iotsafe_status st;
    iotsafe_status_clear(&st);
    pthread_mutex_lock(&sl->lock);
    CK_RV rv = p11_slot_card(sl);
    const p11_obj *o = rv == CKR_OK ? p11_object_find(sl, key) : NULL;
    if (rv == CKR_OK && o == NULL)
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
        if (rc != IOTSAFE_OK) {
            rv = p11_slot_failed(sl, rc, &st);
            o = NULL;
        }
    }
    if (rv == CKR_OK) {
        const char *why = iotsafe_ecdsa_rs_problem(o->curve, rs, rs_len);
        if (why != NULL)
            rv = bad_signature(sl, o, why);
    }
    if (rv == CKR_OK && p11_g.opts.verify_signatures) {
        uint8_t der[IOTSAFE_RS_MAX + 16];
        size_t der_len = sizeof(der);
        int v = -1;
        if (o->point_len == 0)
            rv = bad_signature(sl, o, "the key has no public point to verify it with");
        else if (iotsafe_ecdsa_rs_to_der(rs, rs_len, der, &der_len) == IOTSAFE_OK)
            v = p11_verify_signature(o->curve, o->point, o->point_len, digest, dlen, der, der_len);
        if (rv == CKR_OK && v == 0)
            rv = bad_signature(sl, o,
                               "it does not verify with the key's public key (the key on the "
                               "card may have changed since it was read)");
        else if (rv == CKR_OK && v < 0)
            rv = bad_signature(sl, o, "it cannot be verified on the host (no ECDSA in OpenSSL?)");
        if (v == 0)
            sl->objs_valid = 0; /* most often the key was regenerated: read the card again */
    }
    if (rv == CKR_OK) {
        memcpy(sig, rs, rs_len);
        *sig_len = rs_len;
    }
    pthread_mutex_unlock(&sl->lock);
    return rv;
}

/* The signature's length for the session's key (module lock held). */
static size_t sig_length(p11_slot *sl, CK_OBJECT_HANDLE key)
{
    pthread_mutex_lock(&sl->lock);
    const p11_obj *o = p11_object_find(sl, key);
    size_t n = o != NULL ? 2 * iotsafe_curve_field_len(o->curve) : 0;
    pthread_mutex_unlock(&sl->lock);
    return n;
}

/* End the session's signature, unless it has gone meanwhile. */
static void end_op(CK_SESSION_HANDLE h)
{
    p11_session *s;
    p11_slot *sl;
    if (p11_session_get(h, &s, &sl) == CKR_OK) {
        p11_session_reset_op(s);
        p11_session_put();
    }
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
        p11_session_put();
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    if (!final && s->multipart) {
        p11_session_put();
        return CKR_OPERATION_ACTIVE; /* C_Sign after C_SignUpdate */
    }
    const size_t need = sig_length(sl, s->key);
    if (need == 0) {
        p11_session_reset_op(s);
        p11_session_put();
        return CKR_KEY_HANDLE_INVALID;
    }
    if (sig == NULL || *sig_len < need) {
        /* A size query, or too small a buffer: the operation stays. */
        rv = sig == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
        *sig_len = need;
        p11_session_put();
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
    const CK_OBJECT_HANDLE key = s->key;
    p11_session_put();
    size_t n = 0;
    if (rv == CKR_OK)
        rv = card_sign(sl, key, digest, dlen, sig, &n);
    if (rv == CKR_OK)
        *sig_len = n;
    end_op(h);
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
    p11_session_put();
    return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    return finish(h, NULL, 0, 1, sig, sig_len);
}
