/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ECDH peer slot: the public key object PUT PUBLIC KEY overwrites with
 * the peer's point before COMPUTE DH. One rule for the provider and the
 * PKCS#11 module, decided on one consistent object list (one transaction).
 */
#include <string.h>

#include "card_internal.h"

/* Does some private key of the list pair with public key o (the pairing rule of objects.c)? */
static int is_pair_half(const iotsafe_card *c, const iotsafe_object *o)
{
    for (size_t i = 0; i < c->n_objs; i++)
        if (c->objs[i].type == IOTSAFE_OBJ_PRIVATE_KEY && objects_pair_locked(c, &c->objs[i]) == o)
            return 1;
    return 0;
}

static int slot_fits(const iotsafe_card *c, iotsafe_curve curve, const iotsafe_object *o)
{
    if (o->type != IOTSAFE_OBJ_PUBLIC_KEY || (o->access & IOTSAFE_ACCESS_UPDATE) == 0)
        return 0;
    if ((o->present & IOTSAFE_HAS_KEY_TYPE) != 0 && iotsafe_key_type_curve(o->key_type) != curve)
        return 0;
    /* a key pair's public point, overwritten, would make that key's signatures fail */
    return !is_pair_half(c, o);
}

struct peer_arg {
    iotsafe_curve curve;
    const uint8_t *id;
    size_t id_len;
    iotsafe_object *out;
};

static iotsafe_rc op_peer_slot(iotsafe_card *c, void *varg, iotsafe_status *st)
{
    const struct peer_arg *a = varg;
    iotsafe_rc rc = objects_load(c, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (a->id != NULL) {
        char h[2 * IOTSAFE_ID_MAX + 1];
        iotsafe_hex_format(a->id, a->id_len, h, sizeof h);
        for (size_t i = 0; i < c->n_objs; i++) {
            const iotsafe_object *o = &c->objs[i];
            if (o->type != IOTSAFE_OBJ_PUBLIC_KEY || o->id_len != a->id_len ||
                memcmp(o->id, a->id, a->id_len) != 0)
                continue;
            if (!slot_fits(c, a->curve, o))
                return iotsafe_status_set(st, IOTSAFE_E_USAGE, 0,
                                          "dh-peer-slot %s cannot take a %s peer key (it needs "
                                          "update access, the same curve, and must not be a key "
                                          "pair's public key)",
                                          h, iotsafe_curve_name(a->curve));
            *a->out = *o;
            return IOTSAFE_OK;
        }
        return iotsafe_status_set(st, IOTSAFE_E_NOT_FOUND, 0,
                                  "dh-peer-slot %s: no public key object with this ID on the card "
                                  "in reader '%s'",
                                  h, c->reader);
    }
    for (size_t i = 0; i < c->n_objs; i++) {
        if (slot_fits(c, a->curve, &c->objs[i])) {
            *a->out = c->objs[i];
            return IOTSAFE_OK;
        }
    }
    return iotsafe_status_set(st, IOTSAFE_E_NOT_FOUND, 0,
                              "no public key object with update access on %s to receive the ECDH "
                              "peer key on the card in reader '%s' (see dh-peer-slot)",
                              iotsafe_curve_name(a->curve), c->reader);
}

iotsafe_rc iotsafe_find_peer_slot(iotsafe_card *c, iotsafe_curve curve, const uint8_t *id,
                                  size_t id_len, iotsafe_object *out, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (c == NULL || out == NULL || iotsafe_curve_field_len(curve) == 0 ||
        (id != NULL && (id_len == 0 || id_len > IOTSAFE_ID_MAX)))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "ECDH peer slot: bad argument");
    struct peer_arg a = {curve, id, id_len, out};
    return card_run(c, op_peer_slot, &a, st);
}
