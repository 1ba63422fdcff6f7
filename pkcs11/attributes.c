/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attributes of the module's objects, as the card defines them. A private
 * key's value is never available (CKR_ATTRIBUTE_SENSITIVE); attributes an
 * object of its class cannot have are CKR_ATTRIBUTE_TYPE_INVALID. Keys say
 * ALWAYS_SENSITIVE and NEVER_EXTRACTABLE because the applet has no command
 * that reads a private key; CKA_LOCAL is false because the card does not
 * tell whether a key was made on it or put there when it was personalised.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

static CK_RV put(CK_ATTRIBUTE *a, const void *v, size_t n)
{
    if (a->pValue == NULL) {
        a->ulValueLen = n;
        return CKR_OK;
    }
    if (a->ulValueLen < n) {
        a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (n > 0)
        memcpy(a->pValue, v, n);
    a->ulValueLen = n;
    return CKR_OK;
}

static CK_RV put_bool(CK_ATTRIBUTE *a, int v)
{
    const CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
    return put(a, &b, sizeof(b));
}

static CK_RV put_ulong(CK_ATTRIBUTE *a, CK_ULONG v)
{
    return put(a, &v, sizeof(v));
}

static CK_RV invalid(CK_ATTRIBUTE *a, CK_RV why)
{
    a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return why;
}

/* CKA_EC_POINT: the uncompressed point as a DER OCTET STRING. */
static CK_RV put_ec_point(CK_ATTRIBUTE *a, const p11_obj *o)
{
    uint8_t der[2 + IOTSAFE_POINT_MAX];
    if (o->point_len == 0 || o->point_len > IOTSAFE_POINT_MAX)
        return invalid(a, CKR_ATTRIBUTE_TYPE_INVALID);
    der[0] = 0x04;
    der[1] = (uint8_t)o->point_len;
    memcpy(der + 2, o->point, o->point_len);
    return put(a, der, 2 + o->point_len);
}

static CK_RV put_ec_params(CK_ATTRIBUTE *a, const p11_obj *o)
{
    size_t n = 0;
    const uint8_t *oid = iotsafe_curve_oid_der(o->curve, &n);
    return oid == NULL ? invalid(a, CKR_ATTRIBUTE_TYPE_INVALID) : put(a, oid, n);
}

/* CKA_PUBLIC_KEY_INFO: SubjectPublicKeyInfo (id-ecPublicKey, named curve). */
static CK_RV put_spki(CK_ATTRIBUTE *a, const p11_obj *o)
{
    static const uint8_t ec_pub_oid[] = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
    size_t cn = 0;
    const uint8_t *curve = iotsafe_curve_oid_der(o->curve, &cn);
    if (curve == NULL || o->point_len == 0)
        return invalid(a, CKR_ATTRIBUTE_TYPE_INVALID);
    uint8_t der[128];
    const size_t alg = sizeof(ec_pub_oid) + cn, bits = 1 + o->point_len;
    const size_t body = 2 + alg + 2 + bits;
    if (body > 127 || alg > 127 || bits > 127)
        return invalid(a, CKR_ATTRIBUTE_TYPE_INVALID);
    size_t k = 0;
    der[k++] = 0x30;
    der[k++] = (uint8_t)body;
    der[k++] = 0x30;
    der[k++] = (uint8_t)alg;
    memcpy(der + k, ec_pub_oid, sizeof(ec_pub_oid));
    k += sizeof(ec_pub_oid);
    memcpy(der + k, curve, cn);
    k += cn;
    der[k++] = 0x03;
    der[k++] = (uint8_t)bits;
    der[k++] = 0x00;
    memcpy(der + k, o->point, o->point_len);
    k += o->point_len;
    return put(a, der, k);
}

static CK_RV put_cert_field(CK_ATTRIBUTE *a, const p11_obj *o)
{
    uint8_t *v = NULL;
    size_t n = 0;
    CK_RV rv = p11_cert_field(o->value, o->value_len, a->type, &v, &n);
    if (rv != CKR_OK)
        return invalid(a, rv);
    rv = put(a, v, n);
    free(v);
    return rv;
}

/* What every object has. CKR_ATTRIBUTE_TYPE_INVALID: not one of them. */
static CK_RV common(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_CLASS:
        return put_ulong(a, o->cls);
    case CKA_TOKEN:
        return put_bool(a, o->token);
    case CKA_PRIVATE:
        return put_bool(a, 0); /* no login exists to guard anything */
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
        return put_bool(a, 0);
    case CKA_DESTROYABLE:
        return put_bool(a, !o->token);
    case CKA_LABEL:
        return put(a, o->card.label, o->card.label_len);
    default:
        return invalid(a, CKR_ATTRIBUTE_TYPE_INVALID);
    }
}

static CK_RV key_common(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_ID:
        return put(a, o->ck_id, o->ck_id_len);
    case CKA_START_DATE:
    case CKA_END_DATE:
        return put(a, NULL, 0);
    case CKA_LOCAL:
        return put_bool(a, 0);
    case CKA_KEY_GEN_MECHANISM:
        return put_ulong(a, CK_UNAVAILABLE_INFORMATION);
    default:
        return common(o, a);
    }
}

/* What an EC key of the card, private or public, has. */
static CK_RV ec_key(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_KEY_TYPE:
        return put_ulong(a, CKK_EC);
    case CKA_EC_PARAMS:
        return put_ec_params(a, o);
    case CKA_EC_POINT: /* on a private key not in the spec, but programs ask */
        return put_ec_point(a, o);
    case CKA_PUBLIC_KEY_INFO:
        return put_spki(a, o);
    case CKA_SUBJECT:
        return put(a, NULL, 0);
    default:
        return key_common(o, a);
    }
}

static CK_RV private_key(const p11_obj *o, CK_ATTRIBUTE *a)
{
    const int sign = (o->card.functions & IOTSAFE_FN_SIGN) != 0;
    const int derive = (o->card.functions & IOTSAFE_FN_KEY_AGREEMENT) != 0;
    switch (a->type) {
    case CKA_SENSITIVE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE:
        return put_bool(a, 1);
    case CKA_EXTRACTABLE:
    case CKA_DECRYPT:
    case CKA_SIGN_RECOVER:
    case CKA_UNWRAP:
    case CKA_WRAP_WITH_TRUSTED:
    case CKA_ALWAYS_AUTHENTICATE:
        return put_bool(a, 0);
    case CKA_SIGN:
        return put_bool(a, sign);
    case CKA_DERIVE:
        return put_bool(a, derive);
    case CKA_ALLOWED_MECHANISMS: {
        CK_MECHANISM_TYPE m[8];
        size_t n = 0;
        for (size_t i = 0; i < p11_mechanism_count() && n < 8; i++) {
            const CK_FLAGS f = p11_mechanism_flags(p11_mechanism_at(i));
            if ((sign && (f & CKF_SIGN) != 0) || (derive && (f & CKF_DERIVE) != 0))
                m[n++] = p11_mechanism_at(i);
        }
        return put(a, m, n * sizeof(m[0]));
    }
    case CKA_VALUE:
        return invalid(a, CKR_ATTRIBUTE_SENSITIVE); /* never leaves the card */
    default:
        return ec_key(o, a);
    }
}

static CK_RV public_key(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_VERIFY:
        return put_bool(a, 1);
    case CKA_ENCRYPT:
    case CKA_WRAP:
    case CKA_VERIFY_RECOVER:
    case CKA_DERIVE:
    case CKA_TRUSTED:
        return put_bool(a, 0);
    default:
        return ec_key(o, a);
    }
}

static CK_RV certificate(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_ID:
        return put(a, o->ck_id, o->ck_id_len);
    case CKA_CERTIFICATE_TYPE:
        return put_ulong(a, CKC_X_509);
    case CKA_CERTIFICATE_CATEGORY:
        return put_ulong(a, 0); /* unspecified: the card does not say */
    case CKA_TRUSTED:
        return put_bool(a, 0);
    case CKA_VALUE:
        return put(a, o->value, o->value_len);
    case CKA_SUBJECT:
    case CKA_ISSUER:
    case CKA_SERIAL_NUMBER:
        return put_cert_field(a, o);
    case CKA_START_DATE:
    case CKA_END_DATE:
    case CKA_URL:
    case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
    case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
        return put(a, NULL, 0);
    case CKA_JAVA_MIDP_SECURITY_DOMAIN:
        return put_ulong(a, 0);
    default:
        return common(o, a);
    }
}

static CK_RV secret_key(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (a->type) {
    case CKA_KEY_TYPE:
        return put_ulong(a, o->key_type);
    case CKA_VALUE:
        if (o->sensitive || !o->extractable)
            return invalid(a, CKR_ATTRIBUTE_SENSITIVE);
        return put(a, o->value, o->value_len);
    case CKA_VALUE_LEN:
        return put_ulong(a, o->value_len);
    case CKA_SENSITIVE:
        return put_bool(a, o->sensitive);
    case CKA_EXTRACTABLE:
        return put_bool(a, o->extractable);
    case CKA_ALWAYS_SENSITIVE:
        return put_bool(a, o->sensitive);
    case CKA_NEVER_EXTRACTABLE:
        return put_bool(a, !o->extractable);
    case CKA_LOCAL:
        return put_bool(a, 0);
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_SIGN:
    case CKA_VERIFY:
    case CKA_WRAP:
    case CKA_UNWRAP:
    case CKA_DERIVE:
        return put_bool(a, 0);
    default:
        return key_common(o, a);
    }
}

CK_RV p11_object_attribute(const p11_obj *o, CK_ATTRIBUTE *a)
{
    switch (o->cls) {
    case CKO_PRIVATE_KEY:
        return private_key(o, a);
    case CKO_PUBLIC_KEY:
        return public_key(o, a);
    case CKO_CERTIFICATE:
        return certificate(o, a);
    case CKO_SECRET_KEY:
        return secret_key(o, a);
    default:
        return invalid(a, CKR_ATTRIBUTE_TYPE_INVALID);
    }
}

int p11_object_matches(const p11_obj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    for (CK_ULONG i = 0; i < n; i++) {
        CK_ATTRIBUTE a = {tmpl[i].type, NULL, 0};
        if (p11_object_attribute(o, &a) != CKR_OK || a.ulValueLen != tmpl[i].ulValueLen)
            return 0;
        if (a.ulValueLen == 0)
            continue;
        a.pValue = malloc(a.ulValueLen);
        if (a.pValue == NULL)
            return 0;
        int same = p11_object_attribute(o, &a) == CKR_OK && tmpl[i].pValue != NULL &&
                   memcmp(a.pValue, tmpl[i].pValue, a.ulValueLen) == 0;
        free(a.pValue);
        if (!same)
            return 0;
    }
    return 1;
}

/* C_GetAttributeValue, C_FindObjects* and the object calls a card cannot honour. */

static int is_session_object(CK_OBJECT_HANDLE h)
{
    return (h & P11_SESSION_OBJ) != 0;
}

/* Answer every attribute of tmpl; the result is the last failure's, as the spec says. */
static CK_RV attributes(const p11_obj *o, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_RV rv = CKR_OK;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_RV r = p11_object_attribute(o, &tmpl[i]);
        if (r != CKR_OK)
            rv = r;
    }
    return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG n)
{
    p11_session *s;
    p11_slot *sl;
    if (tmpl == NULL && n > 0)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (is_session_object(obj)) {
        pthread_mutex_lock(&p11_g.lock);
        const p11_obj *o = p11_session_object(obj);
        rv = o == NULL ? CKR_OBJECT_HANDLE_INVALID : attributes(o, tmpl, n);
        pthread_mutex_unlock(&p11_g.lock);
    } else {
        pthread_mutex_lock(&sl->lock);
        const p11_obj *o = p11_object_find(sl, obj);
        rv = o == NULL ? CKR_OBJECT_HANDLE_INVALID : attributes(o, tmpl, n);
        pthread_mutex_unlock(&sl->lock);
    }
    p11_session_put(s);
    return rv;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
    p11_session *s;
    p11_slot *sl;
    if (tmpl == NULL && n > 0)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (s->finding) {
        p11_session_put(s);
        return CKR_OPERATION_ACTIVE;
    }
    CK_OBJECT_HANDLE *found = calloc(P11_OBJ_MAX, sizeof(*found));
    size_t nfound = 0;
    if (found == NULL)
        rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK)
        rv = p11_slot_enter(sl, s->generation);
    if (rv == CKR_OK) {
        rv = p11_objects_load(sl);
        for (size_t i = 0; rv == CKR_OK && i < sl->nobjs; i++)
            if (p11_object_matches(&sl->objs[i], tmpl, n))
                found[nfound++] = sl->objs[i].handle;
        p11_slot_leave(sl);
    }
    if (rv == CKR_OK) {
        pthread_mutex_lock(&p11_g.lock);
        size_t cap = P11_OBJ_MAX + p11_g.nsobjs;
        CK_OBJECT_HANDLE *more = realloc(found, cap * sizeof(*found));
        if (more == NULL) {
            rv = CKR_HOST_MEMORY;
        } else {
            found = more;
            for (size_t i = 0; i < p11_g.nsobjs; i++)
                if (p11_object_matches(&p11_g.sobjs[i], tmpl, n))
                    found[nfound++] = p11_g.sobjs[i].handle;
        }
        pthread_mutex_unlock(&p11_g.lock);
    }
    if (rv == CKR_OK) {
        free(s->found);
        s->found = found;
        s->nfound = nfound;
        s->found_pos = 0;
        s->finding = 1;
    } else {
        free(found);
    }
    p11_session_put(s);
    return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR count)
{
    p11_session *s;
    p11_slot *sl;
    if (out == NULL || count == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (!s->finding) {
        p11_session_put(s);
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    CK_ULONG k = 0;
    while (k < max && s->found_pos < s->nfound)
        out[k++] = s->found[s->found_pos++];
    *count = k;
    p11_session_put(s);
    return CKR_OK;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (!s->finding)
        rv = CKR_OPERATION_NOT_INITIALIZED;
    free(s->found);
    s->found = NULL;
    s->nfound = s->found_pos = 0;
    s->finding = 0;
    p11_session_put(s);
    return rv;
}

/* Does obj exist for session s: CKR_OK or CKR_OBJECT_HANDLE_INVALID. */
static CK_RV exists(p11_slot *sl, CK_OBJECT_HANDLE obj)
{
    const p11_obj *o;
    if (is_session_object(obj)) {
        pthread_mutex_lock(&p11_g.lock);
        o = p11_session_object(obj);
        pthread_mutex_unlock(&p11_g.lock);
    } else {
        pthread_mutex_lock(&sl->lock);
        o = p11_object_find(sl, obj);
        pthread_mutex_unlock(&sl->lock);
    }
    return o != NULL ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG_PTR size)
{
    p11_session *s;
    p11_slot *sl;
    if (size == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    rv = exists(sl, obj);
    if (rv == CKR_OK)
        *size = CK_UNAVAILABLE_INFORMATION;
    p11_session_put(s);
    return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG n)
{
    (void)tmpl;
    (void)n;
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    /* Labels and IDs are the card's (the applet has no command to change them); secrets are fixed. */
    rv = exists(sl, obj);
    if (rv == CKR_OK)
        rv = CKR_ATTRIBUTE_READ_ONLY;
    p11_session_put(s);
    return rv;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj)
{
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (is_session_object(obj)) {
        rv = CKR_OBJECT_HANDLE_INVALID;
        pthread_mutex_lock(&p11_g.lock);
        for (size_t i = 0; i < p11_g.nsobjs; i++) {
            if (p11_g.sobjs[i].handle == obj) {
                p11_session_object_remove(i);
                rv = CKR_OK;
                break;
            }
        }
        pthread_mutex_unlock(&p11_g.lock);
    } else {
        rv = exists(sl, obj);
        if (rv == CKR_OK)
            rv = CKR_ACTION_PROHIBITED; /* no command deletes a card object */
    }
    p11_session_put(s);
    return rv;
}
