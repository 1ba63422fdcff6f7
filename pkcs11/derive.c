/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CKM_ECDH1_DERIVE (CKD_NULL) with a card key: the peer's point goes into
 * the card's peer slot (the `dh-peer-slot` setting, else the first public
 * key the card lets us update, of the key's curve, that is no key pair's:
 * libiotsafe's iotsafe_find_peer_slot) and the card computes the shared
 * secret, in one transaction (libiotsafe). The peer point and the template
 * are checked before anything goes to the card. The secret is checked and
 * becomes a session object: a generic secret (or AES key) the program reads
 * or keeps sensitive, as its template says. It lives in this process only.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The peer point: a raw uncompressed point, or one in a DER OCTET STRING. */
static int peer_point(const CK_ECDH1_DERIVE_PARAMS *p, const uint8_t **pt, size_t *len)
{
    const uint8_t *d = p->pPublicData;
    size_t n = p->ulPublicDataLen;
    if (d == NULL || n == 0)
        return 0;
    if (n == IOTSAFE_POINT_MAX + 2 && d[0] == 0x04 && d[1] == IOTSAFE_POINT_MAX) {
        d += 2;
        n -= 2;
    }
    *pt = d;
    *len = n;
    return n == IOTSAFE_POINT_MAX && d[0] == 0x04;
}

/* The public key object that receives the peer point (slot lock held): the provider's rule. */
static CK_RV peer_slot(p11_slot *sl, iotsafe_curve curve, iotsafe_object *out)
{
    iotsafe_status st;
    const iotsafe_options *o = &p11_g.opts;
    iotsafe_rc rc = iotsafe_find_peer_slot(sl->card, curve,
                                           o->dh_peer_slot_len > 0 ? o->dh_peer_slot : NULL,
                                           o->dh_peer_slot_len, out, &st);
    if (rc == IOTSAFE_E_NOT_FOUND || rc == IOTSAFE_E_USAGE) {
        /* the card has no slot for this key, or the setting names one that cannot be used */
        p11_log("%s", st.msg);
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    }
    return rc == IOTSAFE_OK ? CKR_OK : p11_slot_failed(sl, rc, &st);
}

/*
 * A CK_BBOOL or CK_ULONG attribute of the template: exactly its size, or
 * CKR_ATTRIBUTE_VALUE_INVALID (a wrong length must not read as FALSE: a
 * CKA_SENSITIVE in a 4-byte buffer would give an extractable secret).
 */
static CK_RV get_bool(const CK_ATTRIBUTE *a, CK_BBOOL *b)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    *b = *(const CK_BBOOL *)a->pValue != CK_FALSE; /* any other byte is true, never false */
    return CKR_OK;
}

static CK_RV get_ulong(const CK_ATTRIBUTE *a, CK_ULONG *u)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    memcpy(u, a->pValue, sizeof(*u));
    return CKR_OK;
}

/* CKA_LABEL, CKA_ID: up to max bytes (an empty value may come without a buffer). */
static CK_RV get_bytes(const CK_ATTRIBUTE *a, uint8_t *dst, size_t max, size_t *len)
{
    if (a->ulValueLen > max || (a->pValue == NULL && a->ulValueLen != 0))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen != 0)
        memcpy(dst, a->pValue, a->ulValueLen);
    *len = a->ulValueLen;
    return CKR_OK;
}

/* The secret's object from the program's template, for a secret of z_len bytes. No card I/O. */
static CK_RV secret_object(const CK_ATTRIBUTE *t, CK_ULONG n, p11_obj *o, size_t z_len)
{
    memset(o, 0, sizeof(*o));
    o->cls = CKO_SECRET_KEY;
    o->key_type = CKK_GENERIC_SECRET;
    o->extractable = 1;
    o->value_len = z_len;
    for (CK_ULONG i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = &t[i];
        CK_BBOOL b = CK_FALSE;
        CK_ULONG u = 0;
        CK_RV rv = CKR_OK;
        switch (a->type) {
        case CKA_CLASS:
            if ((rv = get_ulong(a, &u)) == CKR_OK && u != CKO_SECRET_KEY)
                rv = CKR_TEMPLATE_INCONSISTENT;
            break;
        case CKA_KEY_TYPE:
            if ((rv = get_ulong(a, &u)) == CKR_OK && u != CKK_GENERIC_SECRET && u != CKK_AES)
                rv = CKR_TEMPLATE_INCONSISTENT;
            o->key_type = u;
            break;
        case CKA_TOKEN:
            if ((rv = get_bool(a, &b)) == CKR_OK && b) /* the card has no place for a secret */
                rv = CKR_TEMPLATE_INCONSISTENT;
            break;
        case CKA_SENSITIVE:
            rv = get_bool(a, &b);
            o->sensitive = b;
            break;
        case CKA_EXTRACTABLE:
            rv = get_bool(a, &b);
            o->extractable = b;
            break;
        case CKA_VALUE_LEN:
            if ((rv = get_ulong(a, &u)) == CKR_OK && (u == 0 || u > z_len))
                rv = CKR_TEMPLATE_INCONSISTENT;
            o->value_len = u;
            break;
        case CKA_LABEL:
            rv = get_bytes(a, o->card.label, sizeof(o->card.label), &o->card.label_len);
            break;
        case CKA_ID:
            rv = get_bytes(a, o->ck_id, sizeof(o->ck_id), &o->ck_id_len);
            break;
        case CKA_PRIVATE:
        case CKA_MODIFIABLE:
        case CKA_ENCRYPT:
        case CKA_DECRYPT:
        case CKA_SIGN:
        case CKA_VERIFY:
        case CKA_WRAP:
        case CKA_UNWRAP:
        case CKA_DERIVE:
            /* the secret serves no mechanism here, only reading: well-formed, then ignored */
            rv = get_bool(a, &b);
            break;
        default:
            break;
        }
        if (rv != CKR_OK)
            return rv;
    }
    /* an AES key has an AES key's length, given or the secret's own */
    if (o->key_type == CKK_AES && o->value_len != 16 && o->value_len != 24 && o->value_len != 32)
        return CKR_TEMPLATE_INCONSISTENT;
    return CKR_OK;
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE base,
                  CK_ATTRIBUTE_PTR tmpl, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
    p11_session *s;
    p11_slot *sl;
    if (mech == NULL || out == NULL || (tmpl == NULL && n > 0))
        return CKR_ARGUMENTS_BAD;
    if (mech->mechanism != CKM_ECDH1_DERIVE)
        return p11_ready() != CKR_OK ? p11_ready() : CKR_MECHANISM_INVALID;
    const CK_ECDH1_DERIVE_PARAMS *p = mech->pParameter;
    const uint8_t *pt = NULL;
    size_t pt_len = 0;
    if (p == NULL || mech->ulParameterLen != sizeof(*p) || p->kdf != CKD_NULL ||
        p->ulSharedDataLen != 0 || !peer_point(p, &pt, &pt_len))
        return p11_ready() != CKR_OK ? p11_ready() : CKR_MECHANISM_PARAM_INVALID;

    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    uint8_t z[IOTSAFE_POINT_MAX];
    size_t z_len = sizeof(z);
    p11_obj o;
    char d[IOTSAFE_OBJECT_STR_MAX];
    /* the session's card is open: entering sends it nothing */
    rv = p11_slot_enter(sl, s->generation);
    if (rv != CKR_OK) {
        p11_session_put(s);
        return rv;
    }
    const p11_obj *k = p11_object_find(sl, base);
    if (k == NULL)
        rv = CKR_KEY_HANDLE_INVALID;
    else if (k->cls != CKO_PRIVATE_KEY || k->curve == IOTSAFE_CURVE_NONE)
        rv = CKR_KEY_TYPE_INCONSISTENT;
    else if ((k->card.functions & IOTSAFE_FN_KEY_AGREEMENT) == 0)
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    /* All that needs no card first: nothing is written to it for a derive that cannot end well. */
    if (rv == CKR_OK)
        rv = secret_object(tmpl, n, &o, iotsafe_curve_field_len(k->curve));
    if (rv == CKR_OK && !p11_point_ok(k->curve, pt, pt_len)) {
        p11_log("the ECDH peer point is not an uncompressed point on %s, the curve of %s",
                iotsafe_curve_name(k->curve), iotsafe_object_str(&k->card, d, sizeof(d)));
        rv = CKR_MECHANISM_PARAM_INVALID;
    }
    iotsafe_object slot;
    if (rv == CKR_OK)
        rv = peer_slot(sl, k->curve, &slot);
    if (rv == CKR_OK) {
        iotsafe_status st;
        iotsafe_status_clear(&st);
        const iotsafe_ref kref = iotsafe_object_ref(&k->card), sref = iotsafe_object_ref(&slot);
        const iotsafe_curve curve = k->curve;
        iotsafe_object_str(&k->card, d, sizeof(d));
        iotsafe_rc rc = iotsafe_compute_dh_with_peer(sl->card, &kref, &sref, pt, pt_len, z, &z_len,
                                                     &st);
        if (rc != IOTSAFE_OK) {
            rv = p11_slot_failed(sl, rc, &st);
        } else {
            const char *why = p11_secret_problem(curve, z, z_len);
            if (why != NULL) {
                p11_log("card returned an invalid shared secret for %s in reader '%s': %s", d,
                        iotsafe_card_reader(sl->card), why);
                rv = CKR_DEVICE_ERROR;
            }
        }
    }
    p11_slot_leave(sl);
    if (rv == CKR_OK) {
        o.value = malloc(o.value_len);
        if (o.value == NULL) {
            rv = CKR_HOST_MEMORY;
        } else {
            memcpy(o.value, z, o.value_len);
            rv = p11_session_add_object(s, &o, out);
            if (rv != CKR_OK) {
                explicit_bzero(o.value, o.value_len);
                free(o.value);
            }
        }
    }
    explicit_bzero(z, sizeof(z)); /* the secret lives in the session object only */
    p11_session_put(s);
    return rv;
}
