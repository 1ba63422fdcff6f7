/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CKM_EC_KEY_PAIR_GEN: a new key pair in one of the card's existing key
 * containers, chosen by the template's CKA_ID (else CKA_LABEL), private
 * template first. IoT SAFE creates no containers, so a template that names
 * none, or one the card does not have, or asks for another curve than the
 * container's, is refused with a message that says so.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The container the templates name. */
static int container_ref(const CK_ATTRIBUTE *priv, CK_ULONG np, const CK_ATTRIBUTE *pub,
                         CK_ULONG npub, iotsafe_ref *ref)
{
    const CK_ATTRIBUTE *sets[2] = {priv, pub};
    const CK_ULONG ns[2] = {np, npub};
    for (CK_ATTRIBUTE_TYPE want = CKA_ID;; want = CKA_LABEL) {
        for (int k = 0; k < 2; k++) {
            for (CK_ULONG i = 0; i < ns[k]; i++) {
                const CK_ATTRIBUTE *a = &sets[k][i];
                if (a->type != want || a->pValue == NULL || a->ulValueLen == 0)
                    continue;
                memset(ref, 0, sizeof(*ref));
                if (want == CKA_ID && a->ulValueLen <= IOTSAFE_ID_MAX) {
                    ref->id = a->pValue;
                    ref->id_len = a->ulValueLen;
                    return 1;
                }
                if (want == CKA_LABEL && a->ulValueLen <= IOTSAFE_LABEL_MAX) {
                    ref->label = a->pValue;
                    ref->label_len = a->ulValueLen;
                    return 1;
                }
            }
        }
        if (want == CKA_LABEL)
            return 0;
    }
}

/* What the templates ask that the container cannot be: CKR_OK or the refusal. */
static CK_RV check_template(const CK_ATTRIBUTE *t, CK_ULONG n, const iotsafe_object *c,
                            const char *desc)
{
    for (CK_ULONG i = 0; i < n; i++) {
        const CK_ATTRIBUTE *a = &t[i];
        const int yes = a->pValue != NULL && a->ulValueLen == sizeof(CK_BBOOL) &&
                        *(const CK_BBOOL *)a->pValue == CK_TRUE;
        if (a->type == CKA_EC_PARAMS && a->pValue != NULL) {
            size_t len = 0;
            const uint8_t *oid = iotsafe_curve_oid_der(iotsafe_key_type_curve(c->key_type), &len);
            if (oid == NULL || len != a->ulValueLen || memcmp(oid, a->pValue, len) != 0) {
                p11_log("%s holds %s keys: the template asks for another curve", desc,
                        iotsafe_curve_name(iotsafe_key_type_curve(c->key_type)));
                return CKR_TEMPLATE_INCONSISTENT;
            }
        } else if (a->type == CKA_TOKEN && !yes) {
            p11_log("%s is on the card: a key pair generated there is a token object", desc);
            return CKR_TEMPLATE_INCONSISTENT;
        } else if (a->type == CKA_EXTRACTABLE && yes) {
            p11_log("%s never leaves the card: it cannot be extractable", desc);
            return CKR_TEMPLATE_INCONSISTENT;
        }
        /*
         * CKA_SIGN / CKA_DERIVE are not checked: the container's usage is fixed on the
         * card, programs ask for both by habit, and the new key's attributes say what
         * it may do.
         */
    }
    return CKR_OK;
}

/* The handle of the slot's object of class cls for the card object of type t with this ID. */
static CK_OBJECT_HANDLE handle_of(p11_slot *sl, CK_OBJECT_CLASS cls, iotsafe_obj_type t,
                                  const uint8_t *id, size_t id_len)
{
    const p11_obj *o = p11_object_by_id(sl, cls, t, id, id_len);
    return o != NULL ? o->handle : CK_INVALID_HANDLE;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR pub_t,
                        CK_ULONG npub, CK_ATTRIBUTE_PTR priv_t, CK_ULONG npriv,
                        CK_OBJECT_HANDLE_PTR pub_out, CK_OBJECT_HANDLE_PTR priv_out)
{
    p11_session *s;
    p11_slot *sl;
    if (mech == NULL || pub_out == NULL || priv_out == NULL || (pub_t == NULL && npub > 0) ||
        (priv_t == NULL && npriv > 0))
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    iotsafe_ref ref;
    if (mech->mechanism != CKM_EC_KEY_PAIR_GEN) {
        rv = CKR_MECHANISM_INVALID;
    } else if ((s->flags & CKF_RW_SESSION) == 0) {
        rv = CKR_SESSION_READ_ONLY; /* it writes the card */
    } else if (!container_ref(priv_t, npriv, pub_t, npub, &ref)) {
        p11_log("EC key pair generation on the card needs CKA_ID or CKA_LABEL naming one of "
                "its key containers (IoT SAFE makes no new containers)");
        rv = CKR_TEMPLATE_INCOMPLETE;
    }
    if (rv == CKR_OK)
        rv = p11_slot_enter(sl, s->generation);
    if (rv != CKR_OK) {
        p11_session_put(s);
        return rv;
    }
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_object c;
    char desc[IOTSAFE_OBJECT_STR_MAX];
    iotsafe_rc rc = iotsafe_find_object(sl->card, IOTSAFE_OBJ_PRIVATE_KEY, &ref, &c, &st);
    if (rc == IOTSAFE_E_NOT_FOUND) {
        p11_log("%s", st.msg);
        rv = CKR_TEMPLATE_INCONSISTENT;
    } else if (rc != IOTSAFE_OK) {
        rv = p11_slot_failed(sl, rc, &st);
    }
    if (rv == CKR_OK) {
        iotsafe_object_str(&c, desc, sizeof(desc));
        rv = check_template(priv_t, npriv, &c, desc);
        if (rv == CKR_OK)
            rv = check_template(pub_t, npub, &c, desc);
    }
    iotsafe_keygen_result kg;
    if (rv == CKR_OK) {
        const iotsafe_ref cref = iotsafe_object_ref(&c);
        rc = iotsafe_generate_key_pair(sl->card, &cref, &kg, &st);
        if (rc != IOTSAFE_OK)
            rv = p11_slot_failed(sl, rc, &st);
    }
    if (rv == CKR_OK) {
        sl->objs_valid = 0; /* the new point, and the container may have just become active */
        rv = p11_objects_load(sl);
    }
    if (rv == CKR_OK) {
        *priv_out = handle_of(sl, CKO_PRIVATE_KEY, IOTSAFE_OBJ_PRIVATE_KEY, kg.priv_id,
                              kg.priv_id_len);
        *pub_out = handle_of(sl, CKO_PUBLIC_KEY, IOTSAFE_OBJ_PUBLIC_KEY, kg.pub_id, kg.pub_id_len);
        if (*priv_out == CK_INVALID_HANDLE || *pub_out == CK_INVALID_HANDLE) {
            p11_log("%s: the card generated a key pair but does not list it as active", desc);
            rv = CKR_DEVICE_ERROR;
        }
    }
    p11_slot_leave(sl);
    p11_session_put(s);
    return rv;
}
