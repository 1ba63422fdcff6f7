/* SPDX-License-Identifier: Apache-2.0 */
/* The applet's object store: private/public keys, files, secret keys and their attributes. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

void sim_store_init(sim_store *s)
{
    s->obj = NULL;
    s->n = s->cap = 0;
}

void sim_object_clear_value(sim_object *o)
{
    if (o->value != NULL) {
        OPENSSL_cleanse(o->value, o->value_len);
        free(o->value);
    }
    o->value = NULL;
    o->value_len = 0;
}

void sim_store_free(sim_store *s)
{
    for (size_t i = 0; i < s->n; i++)
        sim_object_clear_value(&s->obj[i]);
    free(s->obj);
    sim_store_init(s);
}

sim_object *sim_store_add(sim_store *s, int kind)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        sim_object *n = realloc(s->obj, ncap * sizeof *n);
        if (n == NULL)
            return NULL;
        s->obj = n;
        s->cap = ncap;
    }
    sim_object *o = &s->obj[s->n++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    return o;
}

sim_object *sim_store_find_id(const sim_store *s, int kind, const uint8_t *id, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        sim_object *o = &s->obj[i];
        if (o->kind == kind && o->id_len == len && memcmp(o->id, id, len) == 0)
            return o;
    }
    return NULL;
}

sim_object *sim_store_find_label(const sim_store *s, int kind, const uint8_t *l, size_t len)
{
    if (len == 0)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        sim_object *o = &s->obj[i];
        if (o->kind == kind && o->label_len == len && memcmp(o->label, l, len) == 0)
            return o;
    }
    return NULL;
}

/* The other half of a key pair: same label, the other key kind (IoT.05 links pairs by label). */
sim_object *sim_store_pair(const sim_store *s, const sim_object *o)
{
    if (o->kind != SIM_PRIV && o->kind != SIM_PUB)
        return NULL;
    return sim_store_find_label(s, o->kind == SIM_PRIV ? SIM_PUB : SIM_PRIV, o->label,
                                o->label_len);
}

size_t sim_store_count(const sim_store *s, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->obj[i].kind == kind;
    return n;
}

int sim_object_set_value(sim_object *o, const uint8_t *v, size_t len)
{
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        if (copy == NULL)
            return -1;
        memcpy(copy, v, len);
    }
    sim_object_clear_value(o);
    o->value = copy;
    o->value_len = len;
    return 0;
}

uint8_t sim_key_type(int curve, int is_volatile)
{
    if (curve == SIM_CURVE_BP256)
        return is_volatile ? SIM_TYPE_BP256_VOLATILE : SIM_TYPE_BP256;
    return is_volatile ? SIM_TYPE_P256_VOLATILE : SIM_TYPE_P256;
}

int sim_key_type_curve(uint8_t type, int *curve, int *is_volatile)
{
    switch (type) {
    case SIM_TYPE_P256:
        *curve = SIM_CURVE_P256;
        *is_volatile = 0;
        return 0;
    case SIM_TYPE_P256_VOLATILE:
        *curve = SIM_CURVE_P256;
        *is_volatile = 1;
        return 0;
    case SIM_TYPE_BP256:
        *curve = SIM_CURVE_BP256;
        *is_volatile = 0;
        return 0;
    case SIM_TYPE_BP256_VOLATILE:
        *curve = SIM_CURVE_BP256;
        *is_volatile = 1;
        return 0;
    default:
        return -1;
    }
}

static size_t put1(uint8_t *p, uint8_t tag, uint8_t v)
{
    return sim_tlv_put(p, tag, &v, 1);
}

/*
 * One object information structure (C1/C2/C3/C4 wrapper included), with the
 * tags in the order ORA's parser requires: label, ID, 60, 4A, then the rest.
 */
int sim_object_info(const sim_object *o, uint8_t key_type, uint8_t *out, size_t cap, size_t *len)
{
    static const uint8_t wrap[SIM_KIND_COUNT] = {0xC1, 0xC2, 0xC3, 0xC4};
    static const uint8_t label_tag[SIM_KIND_COUNT] = {0x74, 0x75, 0x73, 0x76};
    static const uint8_t id_tag[SIM_KIND_COUNT] = {0x84, 0x85, 0x83, 0x86};
    uint8_t b[160];
    size_t n = 0;
    if (o->label_len > 0)
        n += sim_tlv_put(b + n, label_tag[o->kind], o->label, o->label_len);
    n += sim_tlv_put(b + n, id_tag[o->kind], o->id, o->id_len);
    n += put1(b + n, 0x60, o->access);
    n += put1(b + n, 0x4A, o->state);
    switch (o->kind) {
    case SIM_PRIV:
    case SIM_PUB:
        n += put1(b + n, 0x4B, key_type);
        n += put1(b + n, 0x4E, o->usage);
        n += put1(b + n, 0x61, o->functions);
        if (o->sig_algs)
            n += put1(b + n, 0x92, o->sig_algs);
        if (o->hashes) {
            uint8_t h[2] = {(uint8_t)(o->hashes >> 8), (uint8_t)o->hashes};
            n += sim_tlv_put(b + n, 0x91, h, 2);
        }
        if (o->ka_algs)
            n += put1(b + n, 0x6F, o->ka_algs);
        break;
    case SIM_FILE: {
        uint8_t sz[2] = {(uint8_t)(o->value_len >> 8), (uint8_t)o->value_len};
        n += put1(b + n, 0x21, o->usage);
        n += sim_tlv_put(b + n, 0x20, sz, 2);
        break;
    }
    default:
        n += put1(b + n, 0x4B, o->key_type);
        n += put1(b + n, 0x61, o->functions);
        if (o->kd_algs)
            n += put1(b + n, 0x94, o->kd_algs);
        break;
    }
    if (n + 2 > cap)
        return -1;
    *len = sim_tlv_put(out, wrap[o->kind], b, n);
    return 0;
}
