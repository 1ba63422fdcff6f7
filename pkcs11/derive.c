/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CKM_ECDH1_DERIVE (CKD_NULL) with a card key: the peer's point goes into
 * the card's peer slot (the `dh-peer-slot` setting, else the first public
 * key the card lets us update, of the key's curve) and the card computes the
 * shared secret, in one transaction (libiotsafe). The secret is checked and
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

/* The public key object that receives the peer point (slot lock held). */
static CK_RV peer_slot(p11_slot *sl, iotsafe_curve curve, iotsafe_object *out)
{
    iotsafe_status st;
    iotsafe_status_clear(&st);
    if (p11_g.opts.dh_peer_slot_len > 0) {
        const iotsafe_ref ref = {.id = p11_g.opts.dh_peer_slot,
                                 .id_len = p11_g.opts.dh_peer_slot_len};
        iotsafe_rc rc = iotsafe_find_object(sl->card, IOTSAFE_OBJ_PUBLIC_KEY, &ref, out, &st);
        if (rc != IOTSAFE_OK)
            return p11_slot_failed(sl, rc, &st);
        return CKR_OK;
    }
    iotsafe_object *objs = NULL;
    size_t n = 0;
    iotsafe_rc rc = iotsafe_list_objects(sl->card, &objs, &n, &st);
    if (rc != IOTSAFE_OK)
        return p11_slot_failed(sl, rc, &st);
    CK_RV rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    for (size_t i = 0; i < n; i++) {
        if (objs[i].type == IOTSAFE_OBJ_PUBLIC_KEY &&
            (objs[i].access & IOTSAFE_ACCESS_UPDATE) != 0 &&
            iotsafe_key_type_curve(objs[i].key_type) == curve) {
            *out = objs[i];
            rv = CKR_OK;
            break;
        }
    }
    free(objs);
    if (rv != CKR_OK)
        p11_log("ECDH on the card needs a public key object it lets us update, for the peer's "
                "%s key: the card in reader '%s' has none (set dh-peer-slot)",
                iotsafe_curve_name(curve), iotsafe_card_reader(sl->card));
    return rv;
}

/* The secret's object from the program's template. */
static CK_RV secret_object(const CK_ATTRIBUTE *t, CK_ULONG n, p11_obj *o, size_t z_len)
{
    memset(o, 0, sizeof(*o));
    o->cls = CKO_SECRET_KEY;
    o->key_type = CKK_GENERIC_SECRET;
    o->extractable = 1;
    o->value_len = z_len;
    for (CK_ULONG i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = &t[i];
        CK_BBOOL b = a->pValue != NULL && a->ulValueLen == sizeof(CK_BBOOL)
                         ? *(const CK_BBOOL *)a->pValue
                         : CK_FALSE;
        CK_ULONG u = a->pValue != NULL && a->ulValueLen == sizeof(CK_ULONG)
                         ? *(const CK_ULONG *)a->pValue
                         : CK_UNAVAILABLE_INFORMATION;
        switch (a->type) {
        case CKA_CLASS:
            if (u != CKO_SECRET_KEY)
                return CKR_TEMPLATE_INCONSISTENT;
            break;
        case CKA_KEY_TYPE:
            if (u != CKK_GENERIC_SECRET && u != CKK_AES)
                return CKR_TEMPLATE_INCONSISTENT;
            o->key_type = u;
            break;
        case CKA_TOKEN:
            if (b) /* the card has no place for a secret */
                return CKR_TEMPLATE_INCONSISTENT;
            break;
        case CKA_SENSITIVE:
            o->sensitive = b;
            break;
        case CKA_EXTRACTABLE:
            o->extractable = b;
            break;
        case CKA_VALUE_LEN:
            if (u == 0 || u > z_len)
                return CKR_TEMPLATE_INCONSISTENT;
            o->value_len = u;
            break;
        case CKA_LABEL:
            if (a->ulValueLen > sizeof(o->card.label))
                return CKR_ATTRIBUTE_VALUE_INVALID;
            memcpy(o->card.label, a->pValue, a->ulValueLen);
            o->card.label_len = a->ulValueLen;
            break;
        case CKA_ID:
            if (a->ulValueLen > sizeof(o->ck_id))
                return CKR_ATTRIBUTE_VALUE_INVALID;
            memcpy(o->ck_id, a->pValue, a->ulValueLen);
            o->ck_id_len = a->ulValueLen;
            break;
        default:
            break; /* usage flags: the secret serves no mechanism here, only reading */
        }
    }
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
    rv = p11_slot_enter(sl, s->generation);
    if (rv != CKR_OK) {
        p11_session_put(s);
        return rv;
    }
    const p11_obj *k = p11_object_find(sl, base);
    if (k == NULL)
        rv = CKR_KEY_HANDLE_INVALID;
    else if (k->cls != CKO_PRIVATE_KEY)
        rv = CKR_KEY_TYPE_INCONSISTENT;
    else if ((k->card.functions & IOTSAFE_FN_KEY_AGREEMENT) == 0)
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    iotsafe_object slot;
    if (rv == CKR_OK)
        rv = peer_slot(sl, k->curve, &slot);
    if (rv == CKR_OK) {
        iotsafe_status st;
        iotsafe_status_clear(&st);
        const iotsafe_ref kref = iotsafe_object_ref(&k->card), sref = iotsafe_object_ref(&slot);
        const iotsafe_curve curve = k->curve;
        char d[IOTSAFE_OBJECT_STR_MAX];
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
    p11_obj o;
    if (rv == CKR_OK)
        rv = secret_object(tmpl, n, &o, z_len);
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
    explicit_bzero(z, sizeof(z));
    p11_session_put(s);
    return rv;
}
