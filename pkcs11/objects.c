/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card's objects as PKCS#11 objects: each active private key, each
 * public key that holds a point, and each X.509 certificate file. CKA_ID is
 * the key's container ID; a public key paired with a private key (same
 * label, else same ID: libiotsafe's rule) and a certificate whose public key
 * is a card key's take that key's ID, so programs that pair key and
 * certificate by CKA_ID find both. Read once per card handle (the list, the
 * points, the certificates); handles stay the same while the card stays.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The handle an object had before the reload, so handles survive a refresh. */
static CK_OBJECT_HANDLE old_handle(const p11_obj *old, size_t n, CK_OBJECT_CLASS cls,
                                   const iotsafe_object *o)
{
    for (size_t i = 0; i < n; i++)
        if (old[i].cls == cls && old[i].card.type == o->type && old[i].card.id_len == o->id_len &&
            memcmp(old[i].card.id, o->id, o->id_len) == 0)
            return old[i].handle;
    return CK_INVALID_HANDLE;
}

static p11_obj *add(p11_slot *s, p11_obj *prev, size_t nprev, CK_OBJECT_CLASS cls,
                    const iotsafe_object *o)
{
    if (s->nobjs == P11_OBJ_MAX)
        return NULL;
    p11_obj *x = &s->objs[s->nobjs++];
    memset(x, 0, sizeof(*x));
    x->cls = cls;
    x->card = *o;
    x->token = CK_TRUE;
    memcpy(x->ck_id, o->id, o->id_len);
    x->ck_id_len = o->id_len;
    x->curve = iotsafe_key_type_curve(o->key_type);
    x->handle = old_handle(prev, nprev, cls, o);
    if (x->handle == CK_INVALID_HANDLE)
        x->handle = s->next_handle++;
    return x;
}

/* A stable serial number for the token: FNV-1a over the key containers' IDs and labels. */
static void make_serial(p11_slot *s, const iotsafe_object *objs, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_PRIVATE_KEY)
            continue;
        const uint8_t *parts[2] = {objs[i].id, objs[i].label};
        const size_t lens[2] = {objs[i].id_len, objs[i].label_len};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < lens[k]; j++)
                h = (h ^ parts[k][j]) * 0x100000001b3ULL;
    }
    snprintf(s->serial, sizeof(s->serial), "%016llx", (unsigned long long)h);
}

CK_RV p11_objects_load(p11_slot *s)
{
    CK_RV rv = p11_slot_card(s);
    if (rv != CKR_OK || s->objs_valid)
        return rv;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_object *objs = NULL;
    size_t n = 0;
    iotsafe_card_flush_cache(s->card); /* another process may have changed the card */
    iotsafe_rc rc = iotsafe_list_objects(s->card, &objs, &n, &st);
    if (rc != IOTSAFE_OK)
        return p11_slot_failed(s, rc, &st);

    p11_obj prev[P11_OBJ_MAX];
    const size_t nprev = s->nobjs;
    memcpy(prev, s->objs, nprev * sizeof(prev[0]));
    s->nobjs = 0;
    rv = CKR_OK;
    /* Private keys, with the point of their public key when the card has one. */
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_PRIVATE_KEY || objs[i].state != 1)
            continue;
        p11_obj *x = add(s, prev, nprev, CKO_PRIVATE_KEY, &objs[i]);
        if (x == NULL)
            break;
        x->hashes = (objs[i].present & IOTSAFE_HAS_HASHES) != 0 ? objs[i].hashes : 0;
        iotsafe_object pub;
        if (iotsafe_find_public_for_private(s->card, &objs[i], &pub, &st) == IOTSAFE_OK &&
            pub.state == 1) {
            iotsafe_ref ref = iotsafe_object_ref(&pub);
            x->point_len = sizeof(x->point);
            rc = iotsafe_read_public_key(s->card, &ref, x->point, &x->point_len, &st);
            if (rc != IOTSAFE_OK) {
                x->point_len = 0;
                rv = p11_slot_failed(s, rc, &st);
            }
        }
    }
    /* Public keys that hold a point, with their private key's ID when paired. */
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_PUBLIC_KEY || objs[i].state != 1)
            continue;
        p11_obj *x = add(s, prev, nprev, CKO_PUBLIC_KEY, &objs[i]);
        if (x == NULL)
            break;
        iotsafe_ref ref = iotsafe_object_ref(&objs[i]);
        x->point_len = sizeof(x->point);
        rc = iotsafe_read_public_key(s->card, &ref, x->point, &x->point_len, &st);
        if (rc != IOTSAFE_OK) {
            rv = p11_slot_failed(s, rc, &st);
            break;
        }
        for (size_t k = 0; k < n; k++) {
            iotsafe_object pub;
            if (objs[k].type == IOTSAFE_OBJ_PRIVATE_KEY &&
                iotsafe_find_public_for_private(s->card, &objs[k], &pub, NULL) == IOTSAFE_OK &&
                pub.id_len == objs[i].id_len && memcmp(pub.id, objs[i].id, pub.id_len) == 0) {
                memcpy(x->ck_id, objs[k].id, objs[k].id_len);
                x->ck_id_len = objs[k].id_len;
                break;
            }
        }
    }
    /* X.509 certificates, with the ID of the card key they certify. */
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_FILE || (objs[i].present & IOTSAFE_HAS_FILE_USAGE) == 0 ||
            objs[i].file_usage != IOTSAFE_FILE_X509)
            continue;
        iotsafe_ref ref = iotsafe_object_ref(&objs[i]);
        uint8_t *der = NULL;
        size_t len = 0;
        rc = iotsafe_read_file(s->card, &ref, &der, &len, &st);
        if (rc != IOTSAFE_OK) {
            rv = p11_slot_failed(s, rc, &st);
            break;
        }
        p11_obj *x = add(s, prev, nprev, CKO_CERTIFICATE, &objs[i]);
        if (x == NULL) {
            free(der);
            break;
        }
        x->value = der;
        x->value_len = len;
        uint8_t point[IOTSAFE_POINT_MAX];
        size_t plen = sizeof(point);
        if (!p11_cert_point(der, len, point, &plen))
            continue;
        for (size_t k = 0; k < s->nobjs; k++) {
            const p11_obj *key = &s->objs[k];
            if (key->cls == CKO_PRIVATE_KEY && key->point_len == plen &&
                memcmp(key->point, point, plen) == 0) {
                memcpy(x->ck_id, key->ck_id, key->ck_id_len);
                x->ck_id_len = key->ck_id_len;
                x->curve = key->curve;
                break;
            }
        }
    }
    for (size_t k = 0; k < nprev; k++)
        free(prev[k].value); /* the old certificates: the new list has its own copies */
    if (rv == CKR_OK) {
        make_serial(s, objs, n);
        s->objs_valid = 1;
    } else {
        for (size_t k = 0; k < s->nobjs; k++)
            free(s->objs[k].value);
        s->nobjs = 0;
    }
    free(objs);
    return rv;
}

p11_obj *p11_object_find(p11_slot *s, CK_OBJECT_HANDLE h)
{
    for (size_t i = 0; i < s->nobjs; i++)
        if (s->objs[i].handle == h)
            return &s->objs[i];
    return NULL;
}

const p11_obj *p11_object_public_of(const p11_slot *s, const p11_obj *priv)
{
    for (size_t i = 0; i < s->nobjs; i++)
        if (s->objs[i].cls == CKO_PUBLIC_KEY && s->objs[i].ck_id_len == priv->ck_id_len &&
            memcmp(s->objs[i].ck_id, priv->ck_id, priv->ck_id_len) == 0)
            return &s->objs[i];
    return NULL;
}
