/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state file: every object with its attributes and value, in the same
 * INI style as the provisioning file (all values hex). Written atomically
 * (temp file + fsync + rename) after every change, so a key generated on the
 * card survives a restart and a crash never leaves half a file.
 * Volatile keys are stored empty: a restart is a power cycle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ini.h"
#include "internal.h"

static const char *const kind_name[SIM_KIND_COUNT] = {"private-key", "public-key", "file",
                                                      "secret"};

/* Growing text buffer; the key material inside is wiped on free. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->oom || b->len + extra + 1 <= b->cap)
        return;
    size_t ncap = (b->len + extra + 1) * 2;
    char *n = malloc(ncap);
    if (n == NULL) {
        b->oom = 1;
        return;
    }
    if (b->p) {
        memcpy(n, b->p, b->len);
        OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
    }
    b->p = n;
    b->cap = ncap;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    sb_reserve(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_hex(sbuf *b, const char *key, const uint8_t *v, size_t len)
{
    sb_printf(b, "%s = ", key);
    sb_reserve(b, 2 * len + 1);
    if (b->oom)
        return;
    sim_hex_encode(v, len, b->p + b->len);
    b->len += 2 * len;
    b->p[b->len++] = '\n';
    b->p[b->len] = '\0';
}

static int render(const sim_store *s, sbuf *b)
{
    sb_printf(b, "# iotsafe-sim state v1: written by the simulator after every change.\n"
                 "# Holds private keys. Delete it (or run with --fresh) to re-provision.\n");
    for (size_t i = 0; i < s->n; i++) {
        const sim_object *o = &s->obj[i];
        sb_printf(b, "\n[%s]\n", kind_name[o->kind]);
        if (o->label_len) {
            /* the readable label as a comment; the hex line is what is loaded */
            int printable = 1;
            for (size_t j = 0; j < o->label_len; j++)
                printable &= o->label[j] >= 0x20 && o->label[j] < 0x7F;
            if (printable)
                sb_printf(b, "# %.*s\n", (int)o->label_len, (const char *)o->label);
            sb_hex(b, "label", o->label, o->label_len);
        }
        sb_hex(b, "id", o->id, o->id_len);
        sb_printf(b, "access = %02X\n", o->access);
        int empty = o->value_len == 0 || (o->is_volatile && o->kind != SIM_FILE);
        sb_printf(b, "state = %02X\n", empty && o->kind != SIM_FILE ? 0 : o->state);
        if (o->kind == SIM_FILE) {
            sb_printf(b, "usage = %02X\n", o->usage);
        } else {
            sb_printf(b, "type = %02X\n", o->key_type);
            sb_printf(b, "functions = %02X\n", o->functions);
        }
        if (o->kind == SIM_PRIV || o->kind == SIM_PUB) {
            sb_printf(b, "usage = %02X\n", o->usage);
            sb_printf(b, "sig-algs = %02X\n", o->sig_algs);
            sb_printf(b, "hashes = %04X\n", o->hashes);
            sb_printf(b, "ka-algs = %02X\n", o->ka_algs);
        }
        if (o->kind == SIM_SECRET)
            sb_printf(b, "kd-algs = %02X\n", o->kd_algs);
        if (empty && o->kind != SIM_FILE)
            sb_printf(b, "value = empty\n");
        else if (o->value_len == 0)
            sb_printf(b, "value = empty\n");
        else
            sb_hex(b, "value", o->value, o->value_len);
    }
    return b->oom ? -1 : 0;
}

int sim_state_save(const sim_store *s, const char *path, char *err, size_t errlen)
{
    sbuf b = {0};
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    int fd = -1, rc = -1;
    if (tmp == NULL || render(s, &b) != 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    fd = mkstemp(tmp); /* 0600: the file holds private keys */
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.p + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot replace state file: %s", path, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp && tmp[0])
        unlink(tmp);
    free(tmp);
    if (b.p) {
        OPENSSL_cleanse(b.p, b.cap);
        free(b.p);
    }
    return rc;
}

/* One object being read back; fields arrive as "key = HEX". */
typedef struct loading {
    sim_object *o;
    unsigned line;
    unsigned seen; /* bit per field */
} loading;

/* clang-format off */
enum { F_ID = 1, F_LABEL = 2, F_ACCESS = 4, F_STATE = 8, F_TYPE = 16, F_USAGE = 32,
       F_FUNCS = 64, F_SIG = 128, F_HASH = 256, F_KA = 512, F_KD = 1024, F_VALUE = 2048 };
/* clang-format on */

static unsigned required_fields(int kind)
{
    unsigned base = F_ID | F_ACCESS | F_STATE | F_VALUE;
    switch (kind) {
    case SIM_FILE:
        return base | F_USAGE;
    case SIM_SECRET:
        return base | F_TYPE | F_FUNCS | F_KD;
    default:
        return base | F_TYPE | F_FUNCS | F_USAGE | F_SIG | F_HASH | F_KA;
    }
}

static int hexbyte(const char *v, unsigned *out, size_t nbytes)
{
    uint8_t b[2];
    size_t n;
    if (sim_hex_decode(v, b, nbytes, &n) != 0 || n != nbytes)
        return -1;
    *out = nbytes == 1 ? b[0] : (unsigned)(b[0] << 8 | b[1]);
    return 0;
}

static int set_field(loading *L, const char *key, const char *v)
{
    sim_object *o = L->o;
    unsigned x, bit;
    if (strcmp(key, "id") == 0) {
        bit = F_ID;
        if (sim_hex_decode(v, o->id, SIM_MAX_ID, &o->id_len) != 0 || o->id_len == 0)
            return -1;
    } else if (strcmp(key, "label") == 0) {
        bit = F_LABEL;
        if (sim_hex_decode(v, o->label, SIM_MAX_LABEL, &o->label_len) != 0 || o->label_len == 0)
            return -1;
    } else if (strcmp(key, "value") == 0) {
        bit = F_VALUE;
        if (strcmp(v, "empty") != 0) {
            size_t n = strlen(v) / 2;
            uint8_t *buf = malloc(n + 1);
            int bad = buf == NULL || n > SIM_MAX_FILE_SIZE || sim_hex_decode(v, buf, n, &n) != 0 ||
                      sim_object_set_value(o, buf, n) != 0;
            if (buf) {
                OPENSSL_cleanse(buf, n);
                free(buf);
            }
            if (bad)
                return -1;
        }
    } else {
        static const struct {
            const char *k;
            unsigned bit;
            size_t n;
        } t[] = {{"access", F_ACCESS, 1}, {"state", F_STATE, 1},     {"type", F_TYPE, 1},
                 {"usage", F_USAGE, 1},   {"functions", F_FUNCS, 1}, {"sig-algs", F_SIG, 1},
                 {"hashes", F_HASH, 2},   {"ka-algs", F_KA, 1},      {"kd-algs", F_KD, 1}};
        size_t i;
        for (i = 0; i < sizeof t / sizeof t[0]; i++)
            if (strcmp(key, t[i].k) == 0)
                break;
        if (i == sizeof t / sizeof t[0] || hexbyte(v, &x, t[i].n) != 0)
            return -1;
        bit = t[i].bit;
        switch (bit) {
        case F_ACCESS:
            o->access = (uint8_t)x;
            break;
        case F_STATE:
            o->state = (uint8_t)x;
            break;
        case F_TYPE:
            o->key_type = (uint8_t)x;
            break;
        case F_USAGE:
            o->usage = (uint8_t)x;
            break;
        case F_FUNCS:
            o->functions = (uint8_t)x;
            break;
        case F_SIG:
            o->sig_algs = (uint8_t)x;
            break;
        case F_HASH:
            o->hashes = (uint16_t)x;
            break;
        case F_KA:
            o->ka_algs = (uint8_t)x;
            break;
        default:
            o->kd_algs = (uint8_t)x;
            break;
        }
    }
    if (L->seen & bit)
        return -1;
    L->seen |= bit;
    return 0;
}

/* Cross-field checks: a loaded object must be one the card could hold. */
static const char *check_object(const sim_store *s, const loading *L)
{
    const sim_object *o = L->o;
    if ((L->seen & required_fields(o->kind)) != required_fields(o->kind))
        return "missing fields";
    if (o->state > SIM_STATE_ACTIVE)
        return "bad state";
    if ((o->state == SIM_STATE_ACTIVE) != (o->value_len > 0) && o->kind != SIM_FILE)
        return "state does not match value";
    if (o->kind == SIM_PRIV || o->kind == SIM_PUB) {
        if (sim_key_type_curve(o->key_type, &L->o->curve, &L->o->is_volatile) != 0)
            return "unknown key type";
        if (o->value_len && o->kind == SIM_PRIV &&
            (o->value_len != SIM_EC_LEN || sim_ec_check_scalar(o->curve, o->value) != 0))
            return "bad private key value";
        if (o->value_len && o->kind == SIM_PUB &&
            sim_ec_check_point(o->curve, o->value, o->value_len) != 0)
            return "bad public key value";
    } else if (o->kind == SIM_SECRET) {
        if (o->value_len == 0 || o->value_len > SIM_MAX_SECRET)
            return "bad secret value";
    }
    for (size_t i = 0; i < s->n; i++) {
        const sim_object *p = &s->obj[i];
        if (p == o || p->kind != o->kind)
            continue;
        if (p->id_len == o->id_len && memcmp(p->id, o->id, o->id_len) == 0)
            return "duplicate id";
        if (o->label_len && p->label_len == o->label_len &&
            !memcmp(p->label, o->label, o->label_len))
            return "duplicate label";
    }
    return NULL;
}

int sim_state_parse(sim_store *s, const char *text, size_t len, const char *name, char *err,
                    size_t errlen)
{
    sim_ini r;
    sim_ini_item it;
    loading L = {NULL, 0, 0};
    int t, rc = -1;
    const char *why;
    if (sim_ini_open(&r, text, len) != 0) {
        snprintf(err, errlen, "%s: not a text file", name);
        return -1;
    }
    while ((t = sim_ini_next(&r, &it)) != SIM_INI_END) {
        if (t == SIM_INI_ERROR) {
            snprintf(err, errlen, "%s:%u: %s", name, it.line, it.error);
            goto out;
        }
        if (t == SIM_INI_SECTION) {
            if (L.o && (why = check_object(s, &L)) != NULL) {
                snprintf(err, errlen, "%s:%u: %s", name, L.line, why);
                goto out;
            }
            int kind;
            for (kind = 0; kind < SIM_KIND_COUNT; kind++)
                if (strcmp(it.type, kind_name[kind]) == 0)
                    break;
            if (kind == SIM_KIND_COUNT || it.name != NULL) {
                snprintf(err, errlen, "%s:%u: unknown section", name, it.line);
                goto out;
            }
            L.o = sim_store_add(s, kind);
            L.line = it.line;
            L.seen = 0;
            if (L.o == NULL) {
                snprintf(err, errlen, "%s: out of memory", name);
                goto out;
            }
            continue;
        }
        if (L.o == NULL || set_field(&L, it.key, it.value) != 0) {
            snprintf(err, errlen, "%s:%u: bad line '%s'", name, it.line, it.key);
            goto out;
        }
    }
    if (L.o && (why = check_object(s, &L)) != NULL) {
        snprintf(err, errlen, "%s:%u: %s", name, L.line, why);
        goto out;
    }
    rc = 0;
out:
    sim_ini_close(&r);
    return rc;
}

int sim_state_load(sim_store *s, const char *path, char *err, size_t errlen)
{
    uint8_t *text;
    size_t len;
    if (sim_read_file(path, 64u << 20, &text, &len) != 0) {
        snprintf(err, errlen, "%s: cannot read state file: %s", path, strerror(errno));
        return -1;
    }
    int rc = sim_state_parse(s, (const char *)text, len, path, err, errlen);
    OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}
