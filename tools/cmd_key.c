/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool pubkey, genkey, uri, keyfile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/keyref.h"
#include "tool.h"

int cmd_pubkey(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PUBLIC, KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob, pub;
    int rc = tool_open_object(o, kinds, 2, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    rc = tool_public_of(c, &ob, &pub);
    if (rc != EXIT_OK)
        goto out;
    /* the public key's own type, else the private key's */
    iotsafe_curve curve = IOTSAFE_CURVE_NONE;
    rc = tool_key_curve(&pub, ob.type == IOTSAFE_OBJ_PRIVATE_KEY ? &ob : NULL, IOTSAFE_CURVE_NONE,
                        &curve);
    if (rc != EXIT_OK)
        goto out;
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t plen = sizeof point;
    iotsafe_rc r = iotsafe_read_public_key(c, &ref, point, &plen, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, TOOL_OBJ(&pub));
        goto out;
    }
    rc = tool_write_pubkey_pem(o->out, TOOL_OBJ(&pub), curve, point, plen);
out:
    iotsafe_card_free(c);
    return rc;
}

int cmd_genkey(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    /* before the card replaces the key: the tool must be able to output the new one */
    iotsafe_curve curve = IOTSAFE_CURVE_NONE;
    rc = tool_key_curve(&ob, NULL, IOTSAFE_CURVE_NONE, &curve);
    if (rc != EXIT_OK)
        goto out;
    iotsafe_ref ref = iotsafe_object_ref(&ob);
    iotsafe_keygen_result res;
    memset(&res, 0, sizeof res);
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_generate_key_pair(c, &ref, &res, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, TOOL_OBJ(&ob));
        goto out;
    }
    char what[IOTSAFE_OBJECT_STR_MAX + 32];
    snprintf(what, sizeof what, "the new public key of %s", TOOL_OBJ(&ob));
    rc = tool_write_pubkey_pem(o->out, what, curve, res.point, res.point_len);
out:
    iotsafe_card_free(c);
    return rc;
}

int cmd_uri(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE, KIND_PUBLIC, KIND_FILE, KIND_SECRET};
    iotsafe_card *c = NULL;
    int rc = tool_open_card(o, &c);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_object ob;
    rc = tool_resolve(c, o, kinds, 4, &ob);
    if (rc == EXIT_OK) {
        char *uri = tool_make_uri(&ob);
        rc = uri != NULL ? tool_print_line(uri) : EXIT_MALFORMED;
    }
    iotsafe_card_free(c);
    return rc;
}

/* The v2 key reference of a private key and its paired public key (doc/keyfile.md). */
static int keyfile_v2(iotsafe_card *c, const tool_opts *o, const iotsafe_object *priv, uint8_t *der,
                      size_t cap, size_t *der_len)
{
    iotsafe_object pub;
    iotsafe_status st;
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t point_len = sizeof point;

    iotsafe_curve curve = IOTSAFE_CURVE_NONE;
    int rc = tool_key_curve(priv, NULL, IOTSAFE_CURVE_NONE, &curve);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_rc lrc = iotsafe_find_public_for_private(c, priv, &pub, &st);
    if (lrc != IOTSAFE_OK)
        return tool_fail(lrc, &st, TOOL_OBJ(priv));
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    lrc = iotsafe_read_public_key(c, &ref, point, &point_len, &st);
    if (lrc != IOTSAFE_OK)
        return tool_fail(lrc, &st, TOOL_OBJ(&pub));
    const uint8_t *aid = o->card.aid_len > 0 ? o->card.aid : IOTSAFE_AID_GSMA;
    size_t aid_len = o->card.aid_len > 0 ? o->card.aid_len : sizeof IOTSAFE_AID_GSMA;
    if (iotsafe_keyref_build(priv, NULL, &pub, point, point_len, aid, aid_len, der, cap, der_len) <
        0) {
        tool_err("the public key of %s (%zu bytes) cannot be written to a key reference",
                 TOOL_OBJ(priv), point_len);
        return EXIT_FAILURE_OTHER;
    }
    /* the builder falls back to v1 when something is missing: the tool promises v2 */
    iotsafe_keyref made;
    if (iotsafe_keyref_parse(der, *der_len, &made) != 0 || made.version != 2) {
        tool_err("malformed card answer: %s, the public key object paired with %s, cannot be "
                 "named in a v2 key reference",
                 TOOL_OBJ(&pub), TOOL_OBJ(priv));
        return EXIT_MALFORMED;
    }
    return EXIT_OK;
}

int cmd_keyfile(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    uint8_t der[IOTSAFE_KEYREF_DER_MAX];
    size_t der_len = 0;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    rc = keyfile_v2(c, o, &ob, der, sizeof der, &der_len);
    iotsafe_card_free(c);
    return rc == EXIT_OK ? tool_write_keyref_pem(o->out, der, der_len) : rc;
}
