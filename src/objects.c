/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object list (GET DATA 01, paged with 63 00 / P2=01), application info
 * (GET DATA 00) and lookups by ID or label. The list parser accepts the
 * groups in any order and several objects per structure: a new object starts
 * when an ID or label arrives after the current object's attributes, or
 * repeats one the current object already has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"

#define LIST_MAX_PAGES 64
#define LIST_MAX_BYTES (64 * 1024)

struct kind {
    uint8_t type, id_tag, label_tag;
};

static const struct kind kinds[] = {
    {IOTSAFE_OBJ_PRIVATE_KEY, 0x84, 0x74},
    {IOTSAFE_OBJ_PUBLIC_KEY, 0x85, 0x75},
    {IOTSAFE_OBJ_FILE, 0x83, 0x73},
    {IOTSAFE_OBJ_SECRET_KEY, 0x86, 0x76},
};

struct objvec {
    iotsafe_object *v;
    size_t n, cap;
};

static iotsafe_object *vec_push(struct objvec *o)
{
    if (o->n == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 8;
        iotsafe_object *nv = realloc(o->v, ncap * sizeof *nv);
        if (nv == NULL)
            return NULL;
        o->v = nv;
        o->cap = ncap;
    }
    iotsafe_object *obj = &o->v[o->n++];
    memset(obj, 0, sizeof *obj);
    return obj;
}

static iotsafe_rc bad(iotsafe_status *st, const char *what, uint8_t tag)
{
    return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0, "object list: %s (tag %02X)", what, tag);
}

static iotsafe_rc one_byte(const iotsafe_tlv *t, uint8_t *dst, iotsafe_status *st)
{
    if (t->len != 1)
        return bad(st, "attribute must be 1 byte", t->tag);
    *dst = t->value[0];
    return IOTSAFE_OK;
}

static iotsafe_rc set_attr(iotsafe_object *o, const iotsafe_tlv *t, iotsafe_status *st)
{
    switch (t->tag) {
    case 0x60:
        return one_byte(t, &o->access, st);
    case 0x4A:
        return one_byte(t, &o->state, st);
    case 0x4B:
        o->present |= IOTSAFE_HAS_KEY_TYPE;
        return one_byte(t, &o->key_type, st);
    case 0x4E:
        o->present |= IOTSAFE_HAS_USAGE;
        return one_byte(t, &o->usage, st);
    case 0x61:
        o->present |= IOTSAFE_HAS_FUNCTIONS;
        return one_byte(t, &o->functions, st);
    case 0x92:
        o->present |= IOTSAFE_HAS_SIG_ALGS;
        return one_byte(t, &o->sig_algs, st);
    case 0x6F:
        o->present |= IOTSAFE_HAS_KEY_AGREEMENT;
        return one_byte(t, &o->key_agreement, st);
    case 0x94:
        o->present |= IOTSAFE_HAS_KDF;
        return one_byte(t, &o->kdf_algs, st);
    case 0x21:
        o->present |= IOTSAFE_HAS_FILE_USAGE;
        return one_byte(t, &o->file_usage, st);
    case 0x91: /* 2 bytes per the spec; one applet was seen sending 1 */
        if (t->len == 1)
            o->hashes = t->value[0];
        else if (t->len == 2)
            o->hashes = (uint16_t)(t->value[0] << 8 | t->value[1]);
        else
            return bad(st, "hash algorithms must be 1 or 2 bytes", t->tag);
        o->present |= IOTSAFE_HAS_HASHES;
        return IOTSAFE_OK;
    case 0x20: /* file size, big-endian */
        if (t->len < 1 || t->len > 4)
            return bad(st, "file size must be 1..4 bytes", t->tag);
        o->file_size = 0;
        for (size_t i = 0; i < t->len; i++)
            o->file_size = o->file_size << 8 | t->value[i];
        o->present |= IOTSAFE_HAS_FILE_SIZE;
        return IOTSAFE_OK;
    default:
        return IOTSAFE_OK; /* unknown attribute: later applet versions may add some */
    }
}

static iotsafe_rc parse_structure(const struct kind *k, const uint8_t *buf, size_t len,
                                  struct objvec *out, iotsafe_status *st)
{
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_rc rc;
    iotsafe_object *cur = NULL;
    int seen_attr = 0;
    iotsafe_tlv_reader_init(&r, buf, len);
    while ((rc = iotsafe_tlv_next(&r, &t)) == IOTSAFE_OK) {
        if (t.tag == k->id_tag || t.tag == k->label_tag) {
            const int is_id = t.tag == k->id_tag;
            if (cur == NULL || seen_attr || (is_id ? cur->id_len != 0 : cur->label_len != 0)) {
                if (cur != NULL && cur->id_len == 0)
                    return bad(st, "object without an ID", k->type);
                cur = vec_push(out);
                if (cur == NULL)
                    return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "object list: out of memory");
                cur->type = (iotsafe_obj_type)k->type;
                seen_attr = 0;
            }
            if (is_id) {
                if (t.len == 0 || t.len > IOTSAFE_ID_MAX)
                    return bad(st, "ID must be 1..20 bytes", t.tag);
                memcpy(cur->id, t.value, t.len);
                cur->id_len = t.len;
            } else {
                if (t.len == 0 || t.len > IOTSAFE_LABEL_MAX)
                    return bad(st, "label must be 1..60 bytes", t.tag);
                memcpy(cur->label, t.value, t.len);
                cur->label_len = t.len;
                cur->present |= IOTSAFE_HAS_LABEL;
            }
            continue;
        }
        if (cur == NULL)
            return bad(st, "attribute before any ID or label", t.tag);
        seen_attr = 1;
        rc = set_attr(cur, &t, st);
        if (rc != IOTSAFE_OK)
            return rc;
    }
    if (rc != IOTSAFE_E_NOT_FOUND)
        return bad(st, "TLV length runs past the end of its structure", k->type);
    if (cur != NULL && cur->id_len == 0)
        return bad(st, "object without an ID", k->type);
    return IOTSAFE_OK;
}

iotsafe_rc iotsafe_parse_object_list(const uint8_t *buf, size_t len, iotsafe_object **objs,
                                     size_t *n, iotsafe_status *st)
{
    if (objs == NULL || n == NULL || (buf == NULL && len != 0))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "object list: NULL argument");
    struct objvec v = {NULL, 0, 0};
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_rc rc;
    iotsafe_tlv_reader_init(&r, buf, len);
    while ((rc = iotsafe_tlv_next(&r, &t)) == IOTSAFE_OK) {
        const struct kind *k = NULL;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (kinds[i].type == t.tag)
                k = &kinds[i];
        if (k == NULL)
            continue; /* not an object structure */
        rc = parse_structure(k, t.value, t.len, &v, st);
        if (rc != IOTSAFE_OK) {
            free(v.v);
            return rc;
        }
    }
    if (rc != IOTSAFE_E_NOT_FOUND) {
        free(v.v);
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "object list: TLV at offset %zu runs past the end (%zu bytes)",
                                  r.pos, len);
    }
    if (v.n == 0) {
        free(v.v);
        return IOTSAFE_OK;
    }
    iotsafe_object *all = realloc(*objs, (*n + v.n) * sizeof *all);
    if (all == NULL) {
        free(v.v);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "object list: out of memory");
    }
    memcpy(all + *n, v.v, v.n * sizeof *all);
    *objs = all;
    *n += v.n;
    free(v.v);
    return IOTSAFE_OK;
}

iotsafe_rc objects_load(iotsafe_card *c, iotsafe_status *st)
{
    if (c->objs_valid)
        return IOTSAFE_OK;
    static const char cmd[] = "GET DATA (object list)";
    uint8_t *acc = NULL;
    size_t acc_len = 0;
    card_resp r;
    iotsafe_rc rc = IOTSAFE_OK;
    int page;
    card_ctx(st, cmd, NULL);
    for (page = 0; page < LIST_MAX_PAGES; page++) {
        const card_apdu a = {.ins = 0xCB, .p1 = 0x01, .p2 = page == 0 ? 0x00 : 0x01, .le = 256};
        rc = card_exchange(c, &a, &r, st);
        if (rc != IOTSAFE_OK)
            break;
        if (r.sw != 0x6300 && !card_sw_ok(r.sw)) {
            rc = card_sw_fail(st, r.sw, cmd, NULL);
            break;
        }
        if (acc_len + r.len > LIST_MAX_BYTES) {
            rc = card_malformed(st, r.sw, cmd, NULL, "object list longer than 64 KiB");
            break;
        }
        uint8_t *na = realloc(acc, acc_len + r.len + 1);
        if (na == NULL) {
            rc = iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "%s: out of memory", cmd);
            break;
        }
        acc = na;
        memcpy(acc + acc_len, r.data, r.len);
        acc_len += r.len;
        if (r.sw != 0x6300)
            break;
    }
    if (rc == IOTSAFE_OK && page == LIST_MAX_PAGES)
        rc = card_malformed(st, 0x6300, cmd, NULL, "more than 64 pages");
    if (rc == IOTSAFE_OK) {
        iotsafe_object *objs = NULL;
        size_t n = 0;
        rc = iotsafe_parse_object_list(acc, acc_len, &objs, &n, st);
        if (rc == IOTSAFE_E_MALFORMED && st != NULL) { /* the parser knows no command or reader */
            char what[sizeof st->msg];
            memcpy(what, st->msg, sizeof what);
            rc = card_malformed(st, st->sw, cmd, NULL, what);
        }
        if (rc == IOTSAFE_OK) {
            free(c->objs);
            c->objs = objs;
            c->n_objs = n;
            c->objs_valid = 1;
        }
    }
    free(acc);
    return rc;
}

static const iotsafe_object *objects_lookup(const iotsafe_card *c, iotsafe_obj_type type,
                                            const iotsafe_ref *ref)
{
    if (!c->objs_valid)
        return NULL;
    for (size_t i = 0; i < c->n_objs; i++) {
        const iotsafe_object *o = &c->objs[i];
        if (o->type == type && ref_equal_bytes(ref, o->id, o->id_len, o->label, o->label_len))
            return o;
    }
    return NULL;
}

const char *card_obj_desc(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref, char *buf,
                          size_t len)
{
    char rs[72];
    const iotsafe_object *o = ref->id != NULL && c != NULL ? objects_lookup(c, type, ref) : NULL;
    if (o != NULL) { /* the one wording of an object (refs.c), label escaped and cut */
        iotsafe_object_str(o, buf, len);
    } else {
        iotsafe_ref_str(ref, rs, sizeof rs);
        snprintf(buf, len, "%s %s", iotsafe_obj_type_words(type), rs);
    }
    if (c != NULL) /* the operation's object, for deadline and connection-loss messages */
        snprintf(c->cur_obj, sizeof c->cur_obj, "%s", buf);
    return buf;
}

iotsafe_rc objects_find_locked(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref,
                               iotsafe_object *out, iotsafe_status *st)
{
    iotsafe_rc rc = objects_load(c, st);
    if (rc != IOTSAFE_OK)
        return rc;
    const iotsafe_object *o = objects_lookup(c, type, ref);
    if (o == NULL) {
        char d[CARD_DESC_MAX];
        card_obj_desc(NULL, type, ref, d, sizeof d);
        return iotsafe_status_set(st, IOTSAFE_E_NOT_FOUND, 0, "no %s on the card in '%s'", d,
                                  c->reader);
    }
    *out = *o;
    return IOTSAFE_OK;
}

struct list_arg {
    iotsafe_object **objs;
    size_t *n;
};

static iotsafe_rc op_list(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    struct list_arg *a = arg;
    iotsafe_rc rc = objects_load(c, st);
    if (rc != IOTSAFE_OK)
        return rc;
    iotsafe_object *copy = malloc(c->n_objs ? c->n_objs * sizeof *copy : 1);
    if (copy == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "list objects: out of memory");
    if (c->n_objs != 0)
        memcpy(copy, c->objs, c->n_objs * sizeof *copy);
    *a->objs = copy;
    *a->n = c->n_objs;
    return IOTSAFE_OK;
}

iotsafe_rc iotsafe_list_objects(iotsafe_card *c, iotsafe_object **objs, size_t *n,
                                iotsafe_status *st)
{
    if (objs == NULL || n == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "list objects: NULL argument");
    *objs = NULL;
    *n = 0;
    struct list_arg a = {objs, n};
    return card_run(c, op_list, &a, st);
}

struct find_arg {
    iotsafe_obj_type type;
    const iotsafe_ref *ref;
    const iotsafe_object *priv;
    iotsafe_object *out;
};

static iotsafe_rc op_find(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    struct find_arg *a = arg;
    return objects_find_locked(c, a->type, a->ref, a->out, st);
}

iotsafe_rc iotsafe_find_object(iotsafe_card *c, iotsafe_obj_type type, const iotsafe_ref *ref,
                               iotsafe_object *out, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(ref, "find object", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "find object: NULL output");
    struct find_arg a = {type, ref, NULL, out};
    return card_run(c, op_find, &a, st);
}

const iotsafe_object *objects_pair_locked(const iotsafe_card *c, const iotsafe_object *p)
{
    /* a pair is linked by its label; the ID is the fallback (separate ID spaces) */
    if (p->label_len != 0) {
        for (size_t i = 0; i < c->n_objs; i++) {
            const iotsafe_object *o = &c->objs[i];
            if (o->type == IOTSAFE_OBJ_PUBLIC_KEY && o->label_len == p->label_len &&
                memcmp(o->label, p->label, p->label_len) == 0)
                return o;
        }
    }
    for (size_t i = 0; i < c->n_objs; i++) {
        const iotsafe_object *o = &c->objs[i];
        if (o->type == IOTSAFE_OBJ_PUBLIC_KEY && o->id_len == p->id_len &&
            memcmp(o->id, p->id, p->id_len) == 0)
            return o;
    }
    return NULL;
}

static iotsafe_rc op_find_pub(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    struct find_arg *a = arg;
    iotsafe_rc rc = objects_load(c, st);
    if (rc != IOTSAFE_OK)
        return rc;
    const iotsafe_object *p = a->priv, *pub = objects_pair_locked(c, p);
    if (pub != NULL) {
        *a->out = *pub;
        return IOTSAFE_OK;
    }
    char d[CARD_DESC_MAX];
    iotsafe_ref pr = iotsafe_object_ref(p);
    card_obj_desc(c, IOTSAFE_OBJ_PRIVATE_KEY, &pr, d, sizeof d);
    return iotsafe_status_set(st, IOTSAFE_E_NOT_FOUND, 0, "no public key pairs with %s", d);
}

iotsafe_rc iotsafe_find_public_for_private(iotsafe_card *c, const iotsafe_object *priv,
                                           iotsafe_object *out, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (priv == NULL || out == NULL || priv->id_len == 0 || priv->id_len > IOTSAFE_ID_MAX ||
        priv->label_len > IOTSAFE_LABEL_MAX)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "find public key: bad argument");
    struct find_arg a = {IOTSAFE_OBJ_PUBLIC_KEY, NULL, priv, out};
    return card_run(c, op_find_pub, &a, st);
}

/* Application information: tags in any order, tolerating a 1-byte 91 and a short 11. */
static iotsafe_rc parse_app_info(const uint8_t *buf, size_t len, iotsafe_app_info *out,
                                 iotsafe_status *st)
{
    static const char cmd[] = "GET DATA (application)";
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_rc rc;
    memset(out, 0, sizeof *out);
    iotsafe_tlv_reader_init(&r, buf, len);
    while ((rc = iotsafe_tlv_next(&r, &t)) == IOTSAFE_OK) {
        uint8_t *one = NULL;
        switch (t.tag) {
        case 0x10:
            one = &out->version;
            break;
        case 0xB1:
            one = &out->max_files;
            break;
        case 0xB2:
            one = &out->max_private_keys;
            break;
        case 0xB3:
            one = &out->max_public_keys;
            break;
        case 0xB4:
            one = &out->max_secret_keys;
            break;
        case 0x90:
            one = &out->functions;
            break;
        case 0x92:
            one = &out->sig_algs;
            break;
        case 0x93:
            one = &out->key_agreement;
            break;
        case 0x94:
            one = &out->kdf_algs;
            break;
        case 0xB7:
            one = &out->max_sessions;
            break;
        case 0x11:
            if (t.len > sizeof out->proprietary)
                return card_malformed(st, 0, cmd, NULL, "tag 11 longer than 32 bytes");
            memcpy(out->proprietary, t.value, t.len);
            out->proprietary_len = t.len;
            continue;
        case 0x91:
            if (t.len == 1)
                out->hashes = t.value[0];
            else if (t.len == 2)
                out->hashes = (uint16_t)(t.value[0] << 8 | t.value[1]);
            else
                return card_malformed(st, 0, cmd, NULL, "tag 91 must be 1 or 2 bytes");
            continue;
        default:
            continue;
        }
        if (t.len != 1) {
            char what[48];
            snprintf(what, sizeof what, "tag %02X must be 1 byte", t.tag);
            return card_malformed(st, 0, cmd, NULL, what);
        }
        *one = t.value[0];
    }
    if (rc != IOTSAFE_E_NOT_FOUND)
        return card_malformed(st, 0, cmd, NULL, "TLV length runs past the end");
    return IOTSAFE_OK;
}

static iotsafe_rc op_app_info(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    card_resp r;
    /* Le 44 is the exact size with a 32-byte identifier; a 6Cxx answer corrects it */
    const card_apdu a = {.ins = 0xCB, .p1 = 0x00, .p2 = 0x00, .le = 0x44};
    iotsafe_rc rc = card_command(c, &a, &r, "GET DATA (application)", NULL, st);
    if (rc != IOTSAFE_OK)
        return rc;
    return parse_app_info(r.data, r.len, arg, st);
}

iotsafe_rc iotsafe_get_app_info(iotsafe_card *c, iotsafe_app_info *out, iotsafe_status *st)
{
    if (out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "application info: NULL output");
    return card_run(c, op_app_info, out, st);
}
