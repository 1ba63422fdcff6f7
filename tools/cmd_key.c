/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool pubkey, genkey, uri, keyfile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* Curve of a key object; NONE when the card did not say. */
static iotsafe_curve obj_curve(const iotsafe_object *ob)
{
    if (!(ob->present & IOTSAFE_HAS_KEY_TYPE))
        return IOTSAFE_CURVE_NONE;
    return iotsafe_key_type_curve(ob->key_type);
}

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
    char refbuf[2 * IOTSAFE_LABEL_MAX + 64];
    if (ob.type == IOTSAFE_OBJ_PRIVATE_KEY) {
        iotsafe_rc r = iotsafe_find_public_for_private(c, &ob, &pub, &st);
        if (r != IOTSAFE_OK) {
            iotsafe_ref pr = iotsafe_object_ref(&ob);
            rc = tool_fail(r, &st, iotsafe_ref_str(&pr, refbuf, sizeof refbuf));
            goto out;
        }
    } else {
        pub = ob;
    }
    iotsafe_curve curve = obj_curve(&pub);
    if (curve == IOTSAFE_CURVE_NONE)
        curve = obj_curve(&ob);
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t plen = sizeof point;
    iotsafe_rc r = iotsafe_read_public_key(c, &ref, point, &plen, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, iotsafe_ref_str(&ref, refbuf, sizeof refbuf));
        goto out;
    }
    rc = tool_write_pubkey_pem(o->out, curve, point, plen);
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
    iotsafe_ref ref = iotsafe_object_ref(&ob);
    iotsafe_keygen_result res;
    memset(&res, 0, sizeof res);
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_generate_key_pair(c, &ref, &res, &st);
    if (r != IOTSAFE_OK) {
        char refbuf[2 * IOTSAFE_LABEL_MAX + 64];
        rc = tool_fail(r, &st, iotsafe_ref_str(&ref, refbuf, sizeof refbuf));
        goto out;
    }
    rc = tool_write_pubkey_pem(o->out, obj_curve(&ob), res.point, res.point_len);
out:
    iotsafe_card_free(c);
    return rc;
}

static const char *uri_type(iotsafe_obj_type t)
{
    switch (t) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        return "private";
    case IOTSAFE_OBJ_PUBLIC_KEY:
        return "public";
    case IOTSAFE_OBJ_FILE:
        return "cert";
    case IOTSAFE_OBJ_SECRET_KEY:
        break;
    }
    return NULL; /* the URI has no type value for secret keys */
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
        char *uri = tool_make_uri(&ob, uri_type(ob.type), 1);
        if (!uri) {
            tool_err("out of memory");
            rc = EXIT_FAILURE_OTHER;
        } else {
            printf("%s\n", uri);
            free(uri);
            rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
        }
    }
    iotsafe_card_free(c);
    return rc;
}

int cmd_keyfile(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    int rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_card_free(c); /* the key file needs only the object's ID and label */
    char *uri = tool_make_uri(&ob, "private", 0);
    if (!uri) {
        tool_err("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    rc = tool_write_keyref_pem(o->out, uri);
    free(uri);
    return rc;
}
