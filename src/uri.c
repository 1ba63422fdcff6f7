/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parser and formatter for iotsafe: URIs (see doc/uri.md). */
#include "iotsafe/uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iotsafe/hex.h"
#include "iotsafe/escape.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 7512 p11-pchar minus what we use as delimiters (';' separates attributes). */
static int is_value_char(unsigned char c)
{
    return is_unreserved(c) || (c != 0 && strchr(":[]@!$'()*+,=", c) != NULL);
}

/* Well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t more;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            more = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < more)
            return 0;
        for (size_t k = 1; k <= more; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += more + 1;
    }
    return 1;
}

/* Percent-decode v[0..vlen) into out (capacity cap). Returns decoded length or -1. */
static long pct_decode(const char *name, const char *v, size_t vlen, uint8_t *out, size_t cap,
                       char *err, size_t errlen)
{
    size_t o = 0;
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        uint8_t b;
        if (c == '%') {
            int hi, lo;
            if (vlen - i < 3 || (hi = iotsafe_hex_digit((unsigned char)v[i + 1])) < 0 ||
                (lo = iotsafe_hex_digit((unsigned char)v[i + 2])) < 0)
                return fail(err, errlen, "bad percent-escape in value of '%s'", name);
            b = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else if (is_value_char(c)) {
            b = c;
        } else if (c >= 0x21 && c < 0x7F) {
            return fail(err, errlen, "character '%c' in value of '%s' must be percent-encoded", c,
                        name);
        } else {
            return fail(err, errlen, "byte 0x%02X in value of '%s' must be percent-encoded", c,
                        name);
        }
        if (o == cap)
            return fail(err, errlen, "value of '%s' is too long (at most %zu bytes)", name, cap);
        out[o++] = b;
    }
    return (long)o;
}

static int set_text(const char *name, const uint8_t *buf, size_t n, char *dst, size_t *dst_len,
                    char *err, size_t errlen)
{
    if (memchr(buf, 0, n) != NULL)
        return fail(err, errlen, "value of '%s' contains a NUL byte", name);
    if (!utf8_valid(buf, n))
        return fail(err, errlen, "value of '%s' is not valid UTF-8", name);
    memcpy(dst, buf, n);
    dst[n] = '\0';
    if (dst_len != NULL)
        *dst_len = n;
    return 0;
}

static int parse_attr(const char *a, size_t alen, iotsafe_uri *u, char *err, size_t errlen)
{
    char esc[48]; /* user text quoted in a message: escaped, cut with a marker */
#define ESC(p, n) iotsafe_escape((p), (n), esc, sizeof(esc))
    const char *eq = memchr(a, '=', alen);
    uint8_t buf[IOTSAFE_URI_READER_MAX];
    size_t nlen;
    long n;

    if (alen == 0)
        return fail(err, errlen, "empty attribute (stray ';')");
    if (eq == NULL)
        return fail(err, errlen, "attribute '%s' has no '=value'", ESC(a, alen));
    nlen = (size_t)(eq - a);
    if (nlen == 0)
        return fail(err, errlen, "attribute with an empty name");
    const char *v = eq + 1;
    size_t vlen = alen - nlen - 1;

#define ATTR_IS(lit) (nlen == sizeof(lit) - 1 && memcmp(a, lit, nlen) == 0)
    if (ATTR_IS("id")) {
        if (u->has_id)
            return fail(err, errlen, "duplicate attribute 'id'");
        if (vlen == 0)
            return fail(err, errlen, "empty value for 'id'");
        n = pct_decode("id", v, vlen, u->id, sizeof(u->id), err, errlen);
        if (n < 0)
            return -1;
        u->id_len = (size_t)n;
        u->has_id = 1;
    } else if (ATTR_IS("label")) {
        if (u->has_label)
            return fail(err, errlen, "duplicate attribute 'label'");
        if (vlen == 0)
            return fail(err, errlen, "empty value for 'label'");
        n = pct_decode("label", v, vlen, buf, IOTSAFE_LABEL_MAX, err, errlen);
        if (n < 0 || set_text("label", buf, (size_t)n, u->label, &u->label_len, err, errlen) < 0)
            return -1;
        u->has_label = 1;
    } else if (ATTR_IS("reader")) {
        if (u->has_reader)
            return fail(err, errlen, "duplicate attribute 'reader'");
        if (vlen == 0)
            return fail(err, errlen, "empty value for 'reader'");
        n = pct_decode("reader", v, vlen, buf, IOTSAFE_URI_READER_MAX, err, errlen);
        if (n < 0 || set_text("reader", buf, (size_t)n, u->reader, NULL, err, errlen) < 0)
            return -1;
        u->has_reader = 1;
    } else if (ATTR_IS("type")) {
        char t[16];
        if (u->type != IOTSAFE_URI_TYPE_ANY)
            return fail(err, errlen, "duplicate attribute 'type'");
        if (vlen == 0)
            return fail(err, errlen, "empty value for 'type'");
        n = pct_decode("type", v, vlen, (uint8_t *)t, sizeof(t) - 1, err, errlen);
        if (n < 0)
            return fail(err, errlen, "bad value for 'type' (expected private, public or cert)");
        t[n] = '\0';
        if (strlen(t) != (size_t)n)
            return fail(err, errlen, "bad value for 'type' (expected private, public or cert)");
        if (strcmp(t, "private") == 0)
            u->type = IOTSAFE_URI_TYPE_PRIVATE;
        else if (strcmp(t, "public") == 0)
            u->type = IOTSAFE_URI_TYPE_PUBLIC;
        else if (strcmp(t, "cert") == 0)
            u->type = IOTSAFE_URI_TYPE_CERT;
        else
            return fail(err, errlen, "bad value '%s' for 'type' (expected private, public or cert)",
                        ESC(t, (size_t)n));
    } else {
        return fail(err, errlen, "unknown attribute '%s' (known: id, label, type, reader)",
                    ESC(a, nlen));
    }
#undef ATTR_IS
#undef ESC
    return 0;
}

int iotsafe_uri_parse(const char *s, size_t len, iotsafe_uri *out, char *err, size_t errlen)
{
    static const char scheme[] = IOTSAFE_URI_SCHEME;
    const size_t slen = sizeof(scheme) - 1;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return fail(err, errlen, "no output");
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return fail(err, errlen, "no URI");
    if (len > IOTSAFE_URI_MAX)
        return fail(err, errlen, "URI longer than %d bytes", IOTSAFE_URI_MAX);
    /* The scheme is case-insensitive (RFC 3986), attribute names are not. */
    if (len < slen)
        return fail(err, errlen, "not an iotsafe: URI");
    for (size_t i = 0; i < slen; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != scheme[i])
            return fail(err, errlen, "not an iotsafe: URI");
    }
    const char *p = s + slen;
    const char *end = s + len;
    if (p == end)
        return 0; /* "iotsafe:" names every object */
    for (;;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *aend = semi != NULL ? semi : end;
        if (parse_attr(p, (size_t)(aend - p), out, err, errlen) < 0) {
            memset(out, 0, sizeof(*out));
            return -1;
        }
        if (semi == NULL)
            break;
        p = semi + 1;
    }
    return 0;
}

static int put_str(char *buf, size_t buflen, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (buflen - *pos <= n)
        return -1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
    return 0;
}

static int put_value(char *buf, size_t buflen, size_t *pos, const uint8_t *v, size_t n, int all)
{
    for (size_t i = 0; i < n; i++) {
        if (!all && is_unreserved(v[i])) {
            if (buflen - *pos <= 1)
                return -1;
            buf[(*pos)++] = (char)v[i];
        } else {
            if (buflen - *pos <= 3)
                return -1;
            buf[(*pos)++] = '%';
            iotsafe_hex_format(v + i, 1, buf + *pos, buflen - *pos);
            *pos += 2;
        }
    }
    buf[*pos] = '\0';
    return 0;
}

const char *iotsafe_uri_type_name(iotsafe_uri_type t)
{
    switch (t) {
    case IOTSAFE_URI_TYPE_PRIVATE:
        return "private";
    case IOTSAFE_URI_TYPE_PUBLIC:
        return "public";
    case IOTSAFE_URI_TYPE_CERT:
        return "cert";
    case IOTSAFE_URI_TYPE_ANY:
        break;
    }
    return NULL;
}

int iotsafe_uri_format(const iotsafe_uri *u, char *buf, size_t buflen)
{
    size_t pos = 0;
    const char *sep = "";

    if (u == NULL || buf == NULL || buflen == 0)
        return -1;
    buf[0] = '\0';
    if (put_str(buf, buflen, &pos, IOTSAFE_URI_SCHEME) < 0)
        return -1;
    if (u->has_id) {
        /* IDs are bytes: always escape them so the form is unambiguous. */
        if (put_str(buf, buflen, &pos, "id=") < 0 ||
            put_value(buf, buflen, &pos, u->id, u->id_len, 1) < 0)
            return -1;
        sep = ";";
    }
    if (u->has_label) {
        if (put_str(buf, buflen, &pos, sep) < 0 || put_str(buf, buflen, &pos, "label=") < 0 ||
            put_value(buf, buflen, &pos, (const uint8_t *)u->label, u->label_len, 0) < 0)
            return -1;
        sep = ";";
    }
    if (u->type != IOTSAFE_URI_TYPE_ANY) {
        if (put_str(buf, buflen, &pos, sep) < 0 || put_str(buf, buflen, &pos, "type=") < 0 ||
            put_str(buf, buflen, &pos, iotsafe_uri_type_name(u->type)) < 0)
            return -1;
        sep = ";";
    }
    if (u->has_reader) {
        if (put_str(buf, buflen, &pos, sep) < 0 || put_str(buf, buflen, &pos, "reader=") < 0 ||
            put_value(buf, buflen, &pos, (const uint8_t *)u->reader, strlen(u->reader), 0) < 0)
            return -1;
    }
    return pos > (size_t)IOTSAFE_URI_MAX ? -1 : (int)pos;
}

int iotsafe_uri_matches(const iotsafe_uri *uri, const iotsafe_object *obj)
{
    switch (uri->type) {
    case IOTSAFE_URI_TYPE_PRIVATE:
        if (obj->type != IOTSAFE_OBJ_PRIVATE_KEY)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_PUBLIC:
        if (obj->type != IOTSAFE_OBJ_PUBLIC_KEY)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_CERT:
        if (obj->type != IOTSAFE_OBJ_FILE)
            return 0;
        break;
    case IOTSAFE_URI_TYPE_ANY:
        break;
    }
    if (uri->has_id && (uri->id_len != obj->id_len || memcmp(uri->id, obj->id, obj->id_len) != 0))
        return 0;
    if (uri->has_label &&
        (uri->label_len != obj->label_len || memcmp(uri->label, obj->label, obj->label_len) != 0))
        return 0;
    return 1;
}

int iotsafe_uri_from_object(const iotsafe_object *o, iotsafe_uri_type type, const char *reader,
                            iotsafe_uri *out)
{
    memset(out, 0, sizeof(*out));
    if (o == NULL || o->id_len == 0 || o->id_len > sizeof(out->id))
        return -1;
    out->has_id = 1;
    memcpy(out->id, o->id, o->id_len);
    out->id_len = o->id_len;
    /* The label rides along so a re-provisioned card with other IDs is not silently used;
     * one the URI cannot carry (NUL inside) is left out: the ID names the object. */
    if (o->label_len > 0 && o->label_len <= IOTSAFE_LABEL_MAX &&
        memchr(o->label, 0, o->label_len) == NULL) {
        out->has_label = 1;
        memcpy(out->label, o->label, o->label_len);
        out->label[o->label_len] = '\0';
        out->label_len = o->label_len;
    }
    out->type = type;
    if (reader != NULL && strlen(reader) <= IOTSAFE_URI_READER_MAX) {
        out->has_reader = 1;
        memcpy(out->reader, reader, strlen(reader) + 1);
    }
    return 0;
}
