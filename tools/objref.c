/* SPDX-License-Identifier: Apache-2.0 */
/* Naming objects: the iotsafe: URI, opening the card, resolving a name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char URI_SCHEME[] = "iotsafe:";

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out (capacity cap). Returns decoded length or -1. */
static long pct_decode(const char *s, size_t n, uint8_t *out, size_t cap, const char **why)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexdigit(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexdigit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *why = "bad %-escape";
                return -1;
            }
            b = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else {
            b = (uint8_t)s[i];
        }
        if (o == cap) {
            *why = "value too long";
            return -1;
        }
        out[o++] = b;
    }
    return (long)o;
}

int tool_parse_uri(const char *uri, obj_name *name)
{
    const size_t plen = sizeof URI_SCHEME - 1;
    if (strncmp(uri, URI_SCHEME, plen) != 0) {
        tool_err("invalid URI '%s': must start with 'iotsafe:'", uri);
        return -1;
    }
    int seen_id = 0, seen_label = 0, seen_type = 0, seen_reader = 0;
    const char *p = uri + plen;
    if (*p == '\0')
        return 0; /* "iotsafe:" alone names every object */
    for (;;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq) {
            tool_err("invalid URI '%s': attribute without '=' near '%.*s'", uri, (int)n, p);
            return -1;
        }
        size_t alen = (size_t)(eq - p), vlen = n - alen - 1;
        const char *v = eq + 1, *why = NULL;
        if (vlen == 0) {
            tool_err("invalid URI '%s': empty value for '%.*s'", uri, (int)alen, p);
            return -1;
        }
        int *seen;
        uint8_t buf[256];
        long dl;
        if (alen == 2 && strncmp(p, "id", 2) == 0) {
            seen = &seen_id;
            dl = pct_decode(v, vlen, name->id, sizeof name->id, &why);
            if (dl > 0)
                name->id_len = (size_t)dl;
        } else if (alen == 5 && strncmp(p, "label", 5) == 0) {
            seen = &seen_label;
            dl = pct_decode(v, vlen, (uint8_t *)name->label, IOTSAFE_LABEL_MAX, &why);
            if (dl > 0) {
                name->label_len = (size_t)dl;
                name->label[dl] = '\0';
                if (memchr(name->label, '\0', (size_t)dl)) {
                    why = "NUL byte in label";
                    dl = -1;
                }
            }
        } else if (alen == 4 && strncmp(p, "type", 4) == 0) {
            seen = &seen_type;
            dl = pct_decode(v, vlen, buf, sizeof buf - 1, &why);
            if (dl > 0) {
                buf[dl] = '\0';
                if (strcmp((char *)buf, "private") == 0)
                    name->kind = KIND_PRIVATE;
                else if (strcmp((char *)buf, "public") == 0)
                    name->kind = KIND_PUBLIC;
                else if (strcmp((char *)buf, "cert") == 0)
                    name->kind = KIND_FILE;
                else {
                    why = "type must be private, public or cert";
                    dl = -1;
                }
            }
        } else if (alen == 6 && strncmp(p, "reader", 6) == 0) {
            seen = &seen_reader;
            dl = pct_decode(v, vlen, (uint8_t *)name->reader, sizeof name->reader - 1, &why);
            if (dl > 0) {
                name->reader[dl] = '\0';
                if (memchr(name->reader, '\0', (size_t)dl)) {
                    why = "NUL byte in reader";
                    dl = -1;
                }
            }
        } else {
            tool_err("invalid URI '%s': unknown attribute '%.*s'", uri, (int)alen, p);
            return -1;
        }
        if (dl <= 0) {
            tool_err("invalid URI '%s': %.*s: %s", uri, (int)alen, p, why ? why : "empty value");
            return -1;
        }
        if (*seen) {
            tool_err("invalid URI '%s': duplicate attribute '%.*s'", uri, (int)alen, p);
            return -1;
        }
        *seen = 1;
        if (!end)
            break;
        p = end + 1;
        if (*p == '\0') {
            tool_err("invalid URI '%s': trailing ';'", uri);
            return -1;
        }
    }
    name->given = seen_id || seen_label;
    return 0;
}

static int unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append "%XX" for every byte (all = 1) or only for reserved ones. */
static size_t put_pct(char *out, const uint8_t *v, size_t n, int all)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all && unreserved(v[i])) {
            out[o++] = (char)v[i];
        } else {
            out[o++] = '%';
            out[o++] = hex[v[i] >> 4];
            out[o++] = hex[v[i] & 0x0F];
        }
    }
    return o;
}

char *tool_make_uri(const iotsafe_object *obj, const char *type_attr, int with_label)
{
    size_t cap = sizeof URI_SCHEME + 3 * IOTSAFE_ID_MAX + 3 * IOTSAFE_LABEL_MAX + 64;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = 0;
    memcpy(s, URI_SCHEME, sizeof URI_SCHEME - 1);
    o += sizeof URI_SCHEME - 1;
    memcpy(s + o, "id=", 3);
    o += 3;
    o += put_pct(s + o, obj->id, obj->id_len, 1);
    if (with_label && obj->label_len > 0) {
        memcpy(s + o, ";label=", 7);
        o += 7;
        o += put_pct(s + o, obj->label, obj->label_len, 0);
    }
    if (type_attr) {
        int n = snprintf(s + o, cap - o, ";type=%s", type_attr);
        if (n < 0 || (size_t)n >= cap - o) {
            free(s);
            return NULL;
        }
        o += (size_t)n;
    }
    s[o] = '\0';
    return s;
}

int tool_open_card(const tool_opts *o, iotsafe_card **card)
{
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    if (o->aid_len) {
        cfg.aid = o->aid;
        cfg.aid_len = o->aid_len;
    }
    cfg.cla = o->cla;
    cfg.basic_channel = o->basic_channel;
    cfg.trace = o->trace;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    if (o->modem != NULL) {
        const iotsafe_at_options at = {.mode = o->at_mode};
        iotsafe_rc rc = iotsafe_card_open_at(&cfg, o->modem, &at, card, &st);
        if (rc != IOTSAFE_OK)
            return tool_fail(rc, &st, o->modem);
        return EXIT_OK;
    }
    const char *reader = o->reader;
    if (!reader && o->obj.reader[0])
        reader = o->obj.reader;
    if (!reader) {
        const char *env = getenv("IOTSAFE_READER");
        if (env && *env)
            reader = env;
    }
    iotsafe_rc rc = iotsafe_card_open(&cfg, reader, card, &st);
    if (rc != IOTSAFE_OK)
        return tool_fail(rc, &st, reader ? reader : "opening the card");
    return EXIT_OK;
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

static const char *kind_words(enum obj_kind k)
{
    switch (k) {
    case KIND_PRIVATE:
        return "private key";
    case KIND_PUBLIC:
        return "public key";
    case KIND_FILE:
        return "file";
    case KIND_SECRET:
        return "secret key";
    case KIND_ANY:
        break;
    }
    return "object";
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
                     kind_words(nm->kind));
            return EXIT_BAD_ARGS;
        }
        only[0] = nm->kind;
        kinds = only;
        n_kinds = 1;
    }
    for (size_t i = 0; i < n_kinds; i++) {
        iotsafe_status st;
        iotsafe_status_clear(&st);
        iotsafe_rc rc = iotsafe_find_object(c, kind_type(kinds[i]), &ref, out, &st);
        if (rc == IOTSAFE_E_NOT_FOUND)
            continue;
        if (rc != IOTSAFE_OK)
            return tool_fail(rc, &st, refbuf);
        /* A URI may give both: the label must then match the object found by ID. */
        if (nm->id_len && nm->label_len &&
            (out->label_len != nm->label_len || memcmp(out->label, nm->label, nm->label_len) != 0))
            continue;
        return EXIT_OK;
    }
    char what[128] = "";
    size_t w = 0;
    for (size_t i = 0; i < n_kinds && w < sizeof what; i++) {
        int n = snprintf(what + w, sizeof what - w, "%s%s", i ? (i + 1 == n_kinds ? " or " : ", ") : "",
                         kind_words(kinds[i]));
        if (n < 0)
            break;
        w += (size_t)n;
    }
    if (nm->id_len && nm->label_len)
        tool_err("unknown object: no %s with %s and label=%s on the card", what, refbuf, nm->label);
    else
        tool_err("unknown object: no %s with %s on the card", what, refbuf);
    return EXIT_NOT_FOUND;
}
