/* SPDX-License-Identifier: Apache-2.0 */
/* Naming objects: the iotsafe: URI, opening the card, resolving a name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/*
 * The tool parses and writes iotsafe: URIs with libiotsafe's parser, the
 * provider's too (src/uri.c), so a URI one accepts the other accepts too.
 */
int tool_parse_uri(const char *uri, obj_name *name)
{
    iotsafe_uri u;
    char why[160];
    if (iotsafe_uri_parse(uri, strlen(uri), &u, why, sizeof why) != 0) {
        char e[200];
        tool_err("invalid URI '%s': %s", iotsafe_escape_str(uri, e, sizeof e), why);
        return -1;
    }
    if (u.has_id) {
        memcpy(name->id, u.id, u.id_len);
        name->id_len = u.id_len;
    }
    if (u.has_label) {
        memcpy(name->label, u.label, u.label_len + 1);
        name->label_len = u.label_len;
    }
    switch (u.type) {
    case IOTSAFE_URI_TYPE_PRIVATE:
        name->kind = KIND_PRIVATE;
        break;
    case IOTSAFE_URI_TYPE_PUBLIC:
        name->kind = KIND_PUBLIC;
        break;
    case IOTSAFE_URI_TYPE_CERT:
        name->kind = KIND_FILE;
        break;
    case IOTSAFE_URI_TYPE_ANY:
        break;
    }
    if (u.has_reader)
        snprintf(name->reader, sizeof name->reader, "%s", u.reader);
    name->given = u.has_id || u.has_label;
    return 0;
}

char *tool_make_uri(const iotsafe_object *obj)
{
    iotsafe_uri_type type = IOTSAFE_URI_TYPE_ANY; /* a URI has no type value for secret keys */
    iotsafe_uri u;
    if (obj->type == IOTSAFE_OBJ_PRIVATE_KEY)
        type = IOTSAFE_URI_TYPE_PRIVATE;
    else if (obj->type == IOTSAFE_OBJ_PUBLIC_KEY)
        type = IOTSAFE_URI_TYPE_PUBLIC;
    else if (obj->type == IOTSAFE_OBJ_FILE)
        type = IOTSAFE_URI_TYPE_CERT;
    if (iotsafe_uri_from_object(obj, type, NULL, &u) < 0) {
        tool_err("malformed card answer: the object has an ID of %zu bytes, which no URI can name",
                 obj->id_len);
        return NULL;
    }
    char *s = malloc(IOTSAFE_URI_MAX + 1);
    if (s == NULL)
        tool_err("out of memory");
    else
        iotsafe_uri_format(&u, s, IOTSAFE_URI_MAX + 1); /* fits: IOTSAFE_URI_MAX bounds any URI */
    return s;
}

int tool_open_card(const tool_opts *o, iotsafe_card **card)
{
    const char *reader = o->reader;
    if (!reader && o->obj.reader[0])
        reader = o->obj.reader;
    if (!reader) {
        const char *env = getenv(iotsafe_option_env(IOTSAFE_OPT_READER));
        if (env && *env)
            reader = env;
    }
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc rc = iotsafe_options_open_card(&o->card, reader, o->trace_out, card, &st);
    if (rc == IOTSAFE_OK)
        return EXIT_OK;
    if (o->card.modem != NULL) /* a modem is used whatever the reader */
        return tool_fail(rc, &st, TOOL_ESC(o->card.modem));
    return tool_fail(rc, &st, reader ? TOOL_ESC(reader) : "opening the card");
}

static iotsafe_obj_type kind_type(enum obj_kind k)
{
    switch (k) {
    case KIND_PUBLIC:
        return IOTSAFE_OBJ_PUBLIC_KEY;
    case KIND_FILE:
        return IOTSAFE_OBJ_FILE;
    case KIND_SECRET:
        return IOTSAFE_OBJ_SECRET_KEY;
    case KIND_PRIVATE:
    case KIND_ANY:
        break;
    }
    return IOTSAFE_OBJ_PRIVATE_KEY;
}

int tool_resolve(iotsafe_card *c, const tool_opts *o, const enum obj_kind *kinds, size_t n_kinds,
                 iotsafe_object *out)
{
    const obj_name *nm = &o->obj;
    if (!nm->given) {
        tool_err("invalid argument: name an object with --id, --label or --uri");
        return EXIT_BAD_ARGS;
    }
    iotsafe_ref ref = {0};
    if (nm->id_len) {
        ref.id = nm->id;
        ref.id_len = nm->id_len;
    } else {
        ref.label = (const uint8_t *)nm->label;
        ref.label_len = nm->label_len;
    }
    char refbuf[2 * IOTSAFE_LABEL_MAX + 64];
    iotsafe_ref_str(&ref, refbuf, sizeof refbuf);

    /* A kind fixed by --type or the URI must also be one this command accepts. */
    enum obj_kind only[1];
    if (nm->kind != KIND_ANY) {
        size_t i;
        for (i = 0; i < n_kinds && kinds[i] != nm->kind; i++)
            ;
        if (i == n_kinds) {
            tool_err("invalid argument: this command does not work on a %s",
                     iotsafe_obj_type_words(kind_type(nm->kind)));
            return EXIT_BAD_ARGS;
        }
        only[0] = nm->kind;
        kinds = only;
        n_kinds = 1;
    }
    /* the shared resolution (the provider's too): id and label must both match when both given */
    iotsafe_uri u;
    iotsafe_obj_type types[4];
    memset(&u, 0, sizeof u);
    u.has_id = nm->id_len > 0;
    memcpy(u.id, nm->id, nm->id_len);
    u.id_len = nm->id_len;
    u.has_label = nm->label_len > 0;
    memcpy(u.label, nm->label, nm->label_len);
    u.label_len = nm->label_len;
    for (size_t i = 0; i < n_kinds && i < sizeof types / sizeof types[0]; i++)
        types[i] = kind_type(kinds[i]);
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc rc = iotsafe_uri_find(c, &u, types, n_kinds < 4 ? n_kinds : 4, out, &st);
    if (rc == IOTSAFE_OK)
        return EXIT_OK;
    if (rc != IOTSAFE_E_NOT_FOUND)
        return tool_fail(rc, &st, refbuf);
    tool_err("unknown object: %s", st.msg);
    return EXIT_NOT_FOUND;
}

int tool_open_object(const tool_opts *o, const enum obj_kind *kinds, size_t n_kinds,
                     iotsafe_card **card, iotsafe_object *out)
{
    int rc = tool_open_card(o, card);
    if (rc != EXIT_OK)
        return rc;
    rc = tool_resolve(*card, o, kinds, n_kinds, out);
    if (rc != EXIT_OK) {
        iotsafe_card_free(*card);
        *card = NULL;
    }
    return rc;
}

int tool_public_of(iotsafe_card *c, const iotsafe_object *key, iotsafe_object *pub)
{
    iotsafe_status st;
    iotsafe_status_clear(&st);
    if (key->type != IOTSAFE_OBJ_PRIVATE_KEY) {
        *pub = *key;
        return EXIT_OK;
    }
    iotsafe_rc r = iotsafe_find_public_for_private(c, key, pub, &st);
    if (r != IOTSAFE_OK)
        return tool_fail(r, &st, TOOL_OBJ(key));
    return EXIT_OK;
}
