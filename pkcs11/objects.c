/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card's objects as PKCS#11 objects: each active private key, each
 * public key that holds a point (but the ECDH peer slot), and each X.509
 * certificate file. CKA_ID is the key's container ID; a public key paired
 * with a private key (same label, else same ID: libiotsafe's rule) and a
 * certificate whose public key is a card key's take that key's ID, so
 * programs that pair key and certificate by CKA_ID find both. Read once per
 * card handle (the list, the points, the certificates) and again after a key
 * generation or a signature that fails verification; handles stay the same
 * while the card stays, also when a reload fails.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The object of class cls for the card object of type t with this ID among objs[0..n). */
static p11_obj *by_id(p11_obj *objs, size_t n, CK_OBJECT_CLASS cls, iotsafe_obj_type t,
                      const uint8_t *id, size_t id_len)
{
    for (size_t i = 0; i < n; i++)
        if (objs[i].cls == cls && objs[i].card.type == t && objs[i].card.id_len == id_len &&
            memcmp(objs[i].card.id, id, id_len) == 0)
            return &objs[i];
    return NULL;
}

p11_obj *p11_object_by_id(p11_slot *s, CK_OBJECT_CLASS cls, iotsafe_obj_type t, const uint8_t *id,
                          size_t id_len)
{
    return by_id(s->objs, s->nobjs, cls, t, id, id_len);
}

/* The table being built: the new objects, and the old ones whose handles they keep. */
typedef struct build {
    p11_obj objs[P11_OBJ_MAX];
    size_t n;
    p11_slot *slot;
} build;

static p11_obj *add(build *b, CK_OBJECT_CLASS cls, const iotsafe_object *o)
{
    if (b->n == P11_OBJ_MAX)
        return NULL;
    p11_obj *x = &b->objs[b->n++];
    memset(x, 0, sizeof(*x));
    x->cls = cls;
    x->card = *o;
    x->token = CK_TRUE;
    memcpy(x->ck_id, o->id, o->id_len);
    x->ck_id_len = o->id_len;
    x->curve = iotsafe_key_type_curve(o->key_type);
    const p11_obj *old = by_id(b->slot->objs, b->slot->nobjs, cls, o->type, o->id, o->id_len);
    x->handle = old != NULL ? old->handle : b->slot->next_handle++;
    return x;
}

/*
 * An object of an unpaired public key or file: CKA_ID is the card's ID with
 * the object's type in front, since IoT SAFE numbers each type apart and a
 * bare ID could equal a key pair's (programs pair by CKA_ID).
 */
static void own_id(p11_obj *x)
{
    x->ck_id[0] = (uint8_t)x->card.type;
    memcpy(x->ck_id + 1, x->card.id, x->card.id_len);
    x->ck_id_len = x->card.id_len + 1;
}

/* A failure reading one object: skip it when the card refused (said), fail when it went. */
static int skippable(p11_slot *s, iotsafe_rc rc, const iotsafe_status *st, CK_RV *rv)
{
    if (rc == IOTSAFE_E_SW || rc == IOTSAFE_E_NOT_FOUND || rc == IOTSAFE_E_MALFORMED ||
        rc == IOTSAFE_E_USAGE) {
        p11_log("%s: the object is left out", st->msg);
        return 1;
    }
    *rv = p11_slot_failed(s, rc, st);
    return 0;
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

/* Read what the card lists into b (the slot's table unchanged). */
static CK_RV read_objects(p11_slot *s, const iotsafe_object *objs, size_t n, build *b)
{
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc rc;
    CK_RV rv = CKR_OK;
    /* Private keys, with the point of their public key when the card has one. */
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_PRIVATE_KEY || objs[i].state != 1)
            continue;
        p11_obj *x = add(b, CKO_PRIVATE_KEY, &objs[i]);
        if (x == NULL)
            break;
        x->hashes = (objs[i].present & IOTSAFE_HAS_HASHES) != 0 ? objs[i].hashes : 0;
        iotsafe_object pub;
        if (iotsafe_find_public_for_private(s->card, &objs[i], &pub, &st) != IOTSAFE_OK ||
            pub.state != 1)
            continue;
        iotsafe_ref ref = iotsafe_object_ref(&pub);
        x->point_len = sizeof(x->point);
        rc = iotsafe_read_public_key(s->card, &ref, x->point, &x->point_len, &st);
        if (rc != IOTSAFE_OK) {
            x->point_len = 0;
            skippable(s, rc, &st, &rv); /* the key stays, without a point to verify with */
        }
    }
    /* Public keys that hold a point: a key pair's takes its private key's ID. */
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if (objs[i].type != IOTSAFE_OBJ_PUBLIC_KEY || objs[i].state != 1)
            continue;
        const iotsafe_object *paired = NULL;
        for (size_t k = 0; k < n && paired == NULL; k++) {
            iotsafe_object pub;
            if (objs[k].type == IOTSAFE_OBJ_PRIVATE_KEY &&
                iotsafe_find_public_for_private(s->card, &objs[k], &pub, NULL) == IOTSAFE_OK &&
                pub.id_len == objs[i].id_len && memcmp(pub.id, objs[i].id, pub.id_len) == 0)
                paired = &objs[k];
        }
        /* An unpaired one the card lets us write is scratch space (the ECDH peer slot). */
        if (paired == NULL && (objs[i].access & IOTSAFE_ACCESS_UPDATE) != 0)
            continue;
        p11_obj *x = add(b, CKO_PUBLIC_KEY, &objs[i]);
        if (x == NULL)
            break;
        if (paired != NULL) {
            memcpy(x->ck_id, paired->id, paired->id_len);
            x->ck_id_len = paired->id_len;
        } else {
            own_id(x);
        }
        iotsafe_ref ref = iotsafe_object_ref(&objs[i]);
        x->point_len = sizeof(x->point);
        rc = iotsafe_read_public_key(s->card, &ref, x->point, &x->point_len, &st);
        if (rc != IOTSAFE_OK && skippable(s, rc, &st, &rv))
            b->n--;
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
            if (skippable(s, rc, &st, &rv))
                continue;
            break;
        }
        p11_obj *x = add(b, CKO_CERTIFICATE, &objs[i]);
        if (x == NULL) {
            free(der);
            break;
        }
        x->value = der;
        x->value_len = len;
        own_id(x);
        uint8_t point[IOTSAFE_POINT_MAX];
        size_t plen = sizeof(point);
        if (!p11_cert_point(der, len, point, &plen))
            continue;
        for (size_t k = 0; k < b->n; k++) {
            const p11_obj *key = &b->objs[k];
            if (key->cls == CKO_PRIVATE_KEY && key->point_len == plen &&
                memcmp(key->point, point, plen) == 0) {
                memcpy(x->ck_id, key->ck_id, key->ck_id_len);
                x->ck_id_len = key->ck_id_len;
                x->curve = key->curve;
                break;
            }
        }
    }
    return rv;
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
    build *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        free(objs);
        return CKR_HOST_MEMORY;
    }
    b->slot = s;
    const unsigned long gen = atomic_load(&s->generation);
    rv = read_objects(s, objs, n, b);
    if (rv == CKR_OK && atomic_load(&s->generation) == gen) {
        /* The new table replaces the old; handles of the same objects stayed. */
        for (size_t k = 0; k < s->nobjs; k++)
            free(s->objs[k].value);
        memcpy(s->objs, b->objs, b->n * sizeof(b->objs[0]));
        s->nobjs = b->n;
        make_serial(s, objs, n);
        s->objs_valid = 1;
    } else {
        /* The old table stays (its handles with it) while the card does. */
        for (size_t k = 0; k < b->n; k++)
            free(b->objs[k].value);
    }
    free(b);
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
