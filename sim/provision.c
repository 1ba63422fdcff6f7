/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provisioning file parser (format in doc/simulator.md). A real card is
 * personalised by its issuer; the simulator is personalised from this file.
 * Every error names the file and line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "ini.h"
#include "internal.h"

#define MAX_KV 16

typedef struct kv {
    const char *key, *value;
    unsigned line;
    int used;
} kv;

typedef struct section {
    const char *type, *name;
    unsigned line;
    kv kv[MAX_KV];
    size_t n;
} section;

typedef struct ctx {
    const char *name, *base_dir;
    sim_options *opt;
    sim_store *store;
    char *err;
    size_t errlen;
} ctx;

typedef struct flag {
    const char *word;
    unsigned bit;
} flag;

static const flag functions_tab[] = {{"sign", SIM_FN_SIGN},
                                     {"keygen", SIM_FN_KEYGEN},
                                     {"key-agreement", SIM_FN_KA},
                                     {"key-derivation", SIM_FN_KD},
                                     {NULL, 0}};
static const flag hashes_tab[] = {{"sha256", SIM_HASH_SHA256},
                                  {"sha384", SIM_HASH_SHA384},
                                  {"sha512", SIM_HASH_SHA512},
                                  {NULL, 0}};
static const flag access_tab[] = {
    {"read", SIM_ACC_READ}, {"update", SIM_ACC_UPDATE}, {"none", 0}, {NULL, 0}};
static const flag derivations_tab[] = {{"prf", SIM_KD_PRF}, {"hkdf", SIM_KD_HKDF}, {NULL, 0}};
static const flag key_usage_tab[] = {
    {"general", 0x01}, {"tls12", 0x02}, {"tls13", 0x03}, {NULL, 0}};
static const flag file_usage_tab[] = {{"general", 0x01}, {"x509", 0x02}, {NULL, 0}};

static int fail(const ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const ctx *c, unsigned line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        snprintf(c->err, c->errlen, "%s:%u: %s", c->name, line, msg);
    else
        snprintf(c->err, c->errlen, "%s: %s", c->name, msg);
    return -1;
}

static kv *get(section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->kv[i].key, key) == 0) {
            s->kv[i].used = 1;
            return &s->kv[i];
        }
    }
    return NULL;
}

static kv *need(const ctx *c, section *s, const char *key)
{
    kv *k = get(s, key);
    if (k == NULL)
        fail(c, s->line, "[%s] needs '%s'", s->type, key);
    return k;
}

/* A comma/space/'|' separated list of words from a table; OR of their bits. */
static int parse_flags(const ctx *c, const kv *k, const flag *tab, unsigned *out)
{
    char buf[256];
    if (strlen(k->value) >= sizeof buf)
        return fail(c, k->line, "value of '%s' too long", k->key);
    strcpy(buf, k->value);
    unsigned bits = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t,|", &save); w; w = strtok_r(NULL, " \t,|", &save)) {
        size_t i;
        for (i = 0; tab[i].word; i++)
            if (strcmp(w, tab[i].word) == 0)
                break;
        if (tab[i].word == NULL)
            return fail(c, k->line, "unknown word '%s' in '%s'", w, k->key);
        bits |= tab[i].bit;
    }
    *out = bits;
    return 0;
}

/* One word from a table (usage values). */
static int parse_word(const ctx *c, const kv *k, const flag *tab, uint8_t *out)
{
    for (size_t i = 0; tab[i].word; i++) {
        if (strcmp(k->value, tab[i].word) == 0) {
            *out = (uint8_t)tab[i].bit;
            return 0;
        }
    }
    return fail(c, k->line, "bad value '%s' for '%s'", k->value, k->key);
}

static int parse_id(const ctx *c, const kv *k, sim_object *o)
{
    if (sim_hex_decode(k->value, o->id, SIM_MAX_ID, &o->id_len) != 0 || o->id_len == 0)
        return fail(c, k->line, "'%s' must be 1-20 bytes of hex", k->key);
    return 0;
}

static int parse_curve(const ctx *c, section *s, int *curve)
{
    kv *k = get(s, "curve");
    *curve = SIM_CURVE_P256;
    if (k == NULL)
        return 0;
    if (strcasecmp(k->value, "P-256") == 0 || strcmp(k->value, "prime256v1") == 0 ||
        strcmp(k->value, "secp256r1") == 0)
        return 0;
    if (strcmp(k->value, "brainpoolP256r1") == 0) {
        *curve = SIM_CURVE_BP256;
        return 0;
    }
    return fail(c, k->line, "unknown curve '%s' (P-256 or brainpoolP256r1)", k->value);
}

static int parse_yesno_kv(const ctx *c, const kv *k, int *out)
{
    if (strcmp(k->value, "yes") == 0)
        *out = 1;
    else if (strcmp(k->value, "no") == 0)
        *out = 0;
    else
        return fail(c, k->line, "'%s' must be yes or no", k->key);
    return 0;
}

static int all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return 0;
    return 1;
}

static void resolve(const ctx *c, const char *path, char *out, size_t cap)
{
    if (path[0] == '/' || c->base_dir == NULL || c->base_dir[0] == '\0')
        snprintf(out, cap, "%s", path);
    else
        snprintf(out, cap, "%s/%s", c->base_dir, path);
}

static int set_label(const ctx *c, const section *s, sim_object *o, int required)
{
    if (s->name == NULL || s->name[0] == '\0') {
        if (required)
            return fail(c, s->line, "[%s] needs a label: [%s LABEL]", s->type, s->type);
        return 0;
    }
    size_t n = strlen(s->name);
    if (n > SIM_MAX_LABEL)
        return fail(c, s->line, "label longer than %d bytes", SIM_MAX_LABEL);
    memcpy(o->label, s->name, n);
    o->label_len = n;
    return 0;
}

static int check_unique(const ctx *c, const section *s, const sim_object *o)
{
    for (size_t i = 0; i + 1 < c->store->n; i++) {
        const sim_object *p = &c->store->obj[i];
        if (p == o || p->kind != o->kind)
            continue;
        if (p->id_len == o->id_len && memcmp(p->id, o->id, o->id_len) == 0)
            return fail(c, s->line, "duplicate object id in [%s]", s->type);
        if (o->label_len && p->label_len == o->label_len &&
            memcmp(p->label, o->label, o->label_len) == 0)
            return fail(c, s->line, "duplicate label '%s'", s->name);
    }
    return 0;
}

static int do_keypair(const ctx *c, section *s)
{
    int curve, vol = 0;
    unsigned fn = SIM_FN_SIGN, hashes = 0, pacc = SIM_ACC_READ;
    uint8_t usage = 0x01, d[SIM_EC_LEN], q[SIM_POINT_LEN];
    kv *kpriv = need(c, s, "private-id"), *kpub = need(c, s, "public-id"),
       *kkey = need(c, s, "key");
    kv *k;
    if (!kpriv || !kpub || !kkey || parse_curve(c, s, &curve) != 0)
        return -1;
    if ((k = get(s, "functions")) && parse_flags(c, k, functions_tab, &fn) != 0)
        return -1;
    if (fn & SIM_FN_KD)
        return fail(c, k->line, "key-derivation is for [secret] objects");
    if ((k = get(s, "hashes")) && parse_flags(c, k, hashes_tab, &hashes) != 0)
        return -1;
    if (k == NULL && (fn & SIM_FN_SIGN))
        hashes = SIM_HASH_SHA256;
    if ((k = get(s, "usage")) && parse_word(c, k, key_usage_tab, &usage) != 0)
        return -1;
    if ((k = get(s, "volatile")) && parse_yesno_kv(c, k, &vol) != 0)
        return -1;
    if ((k = get(s, "public-access")) && parse_flags(c, k, access_tab, &pacc) != 0)
        return -1;

    int rc = -1;
    if (strcmp(kkey->value, "generate") == 0) {
        if (sim_ec_generate(curve, d, q) != 0)
            return fail(c, kkey->line, "key generation failed");
    } else if (all_hex(kkey->value)) {
        size_t len;
        if (sim_hex_decode(kkey->value, d, sizeof d, &len) != 0 || len != SIM_EC_LEN)
            return fail(c, kkey->line, "key must be 32 bytes of hex, 'generate' or a PEM file");
    } else {
        char path[1024], msg[160];
        resolve(c, kkey->value, path, sizeof path);
        if (sim_load_pem_key(path, curve, d, msg, sizeof msg) != 0)
            return fail(c, kkey->line, "%s", msg);
    }
    if (sim_ec_pub_from_priv(curve, d, q) != 0) {
        fail(c, kkey->line, "private key out of range for the curve");
        goto out;
    }
    for (int kind = SIM_PRIV; kind <= SIM_PUB; kind++) {
        sim_object *o = sim_store_add(c->store, kind);
        if (o == NULL) {
            fail(c, s->line, "out of memory");
            goto out;
        }
        if (parse_id(c, kind == SIM_PRIV ? kpriv : kpub, o) != 0 || set_label(c, s, o, 1) != 0 ||
            check_unique(c, s, o) != 0)
            goto out;
        o->access = kind == SIM_PRIV ? 0x00 : (uint8_t)pacc;
        o->state = SIM_STATE_ACTIVE;
        o->curve = curve;
        o->is_volatile = vol;
        o->key_type = sim_key_type(curve, vol);
        o->usage = usage;
        o->functions = (uint8_t)fn;
        o->sig_algs = (fn & SIM_FN_SIGN) ? SIM_SIG_ECDSA : 0;
        o->hashes = (uint16_t)hashes;
        o->ka_algs = (fn & SIM_FN_KA) ? SIM_KA_ECKA : 0;
        if ((kind == SIM_PRIV ? sim_object_set_value(o, d, sizeof d)
                              : sim_object_set_value(o, q, sizeof q)) != 0) {
            fail(c, s->line, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    OPENSSL_cleanse(d, sizeof d);
    return rc;
}

static int do_public_key(const ctx *c, section *s)
{
    int curve;
    unsigned fn = SIM_FN_SIGN | SIM_FN_KA,
             hashes = SIM_HASH_SHA256 | SIM_HASH_SHA384 | SIM_HASH_SHA512;
    unsigned acc = SIM_ACC_READ;
    uint8_t usage = 0x01, q[SIM_POINT_LEN];
    size_t qlen = 0;
    kv *kid = need(c, s, "id"), *k;
    if (kid == NULL || parse_curve(c, s, &curve) != 0)
        return -1;
    if ((k = get(s, "functions")) && parse_flags(c, k, functions_tab, &fn) != 0)
        return -1;
    if ((k = get(s, "hashes")) && parse_flags(c, k, hashes_tab, &hashes) != 0)
        return -1;
    if ((k = get(s, "access")) && parse_flags(c, k, access_tab, &acc) != 0)
        return -1;
    if ((k = get(s, "usage")) && parse_word(c, k, key_usage_tab, &usage) != 0)
        return -1;
    if ((k = get(s, "value")) && strcmp(k->value, "empty") != 0) {
        if (sim_hex_decode(k->value, q, sizeof q, &qlen) != 0 ||
            sim_ec_check_point(curve, q, qlen) != 0)
            return fail(c, k->line,
                        "value must be 'empty' or an uncompressed point 04||X||Y on the curve");
    }
    sim_object *o = sim_store_add(c->store, SIM_PUB);
    if (o == NULL)
        return fail(c, s->line, "out of memory");
    if (parse_id(c, kid, o) != 0 || set_label(c, s, o, 0) != 0 || check_unique(c, s, o) != 0)
        return -1;
    o->access = (uint8_t)acc;
    o->curve = curve;
    o->key_type = sim_key_type(curve, 0);
    o->usage = usage;
    o->functions = (uint8_t)(fn & (SIM_FN_SIGN | SIM_FN_KA | SIM_FN_KEYGEN));
    o->sig_algs = (fn & SIM_FN_SIGN) ? SIM_SIG_ECDSA : 0;
    o->hashes = (fn & SIM_FN_SIGN) ? (uint16_t)hashes : 0;
    o->ka_algs = (fn & SIM_FN_KA) ? SIM_KA_ECKA : 0;
    o->state = qlen ? SIM_STATE_ACTIVE : SIM_STATE_EMPTY;
    if (qlen && sim_object_set_value(o, q, qlen) != 0)
        return fail(c, s->line, "out of memory");
    return 0;
}

/* File content: PEM (first block, stored as its DER) or raw bytes. */
static int load_content(const ctx *c, const kv *k, sim_object *o)
{
    char path[1024];
    uint8_t *data;
    size_t len;
    resolve(c, k->value, path, sizeof path);
    if (sim_read_file(path, 4 * SIM_MAX_FILE_SIZE, &data, &len) != 0)
        return fail(c, k->line, "cannot read content file %s", path);
    int rc = 0;
    if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        if (b == NULL || PEM_read_bio(b, &name, &header, &der, &dlen) != 1)
            rc = fail(c, k->line, "%s: bad PEM", path);
        else if (dlen <= 0 || (size_t)dlen > SIM_MAX_FILE_SIZE)
            rc = fail(c, k->line, "%s: content larger than %u bytes", path, SIM_MAX_FILE_SIZE);
        else if (sim_object_set_value(o, der, (size_t)dlen) != 0)
            rc = fail(c, k->line, "out of memory");
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        BIO_free(b);
    } else if (len > SIM_MAX_FILE_SIZE) {
        rc = fail(c, k->line, "%s: content larger than %u bytes", path, SIM_MAX_FILE_SIZE);
    } else if (sim_object_set_value(o, data, len) != 0) {
        rc = fail(c, k->line, "out of memory");
    }
    free(data);
    return rc;
}

static int do_file(const ctx *c, section *s)
{
    unsigned acc = SIM_ACC_READ;
    uint8_t usage = 0x01;
    kv *kid = need(c, s, "id"), *content = get(s, "content"), *data = get(s, "data"), *k;
    if (kid == NULL)
        return -1;
    if ((content == NULL) == (data == NULL))
        return fail(c, s->line, "[file] needs exactly one of 'content' (a path) or 'data' (hex)");
    if ((k = get(s, "usage")) && parse_word(c, k, file_usage_tab, &usage) != 0)
        return -1;
    if ((k = get(s, "access")) && parse_flags(c, k, access_tab, &acc) != 0)
        return -1;
    sim_object *o = sim_store_add(c->store, SIM_FILE);
    if (o == NULL)
        return fail(c, s->line, "out of memory");
    if (parse_id(c, kid, o) != 0 || set_label(c, s, o, 0) != 0 || check_unique(c, s, o) != 0)
        return -1;
    o->access = (uint8_t)acc;
    o->usage = usage;
    o->state = SIM_STATE_ACTIVE;
    if (content)
        return load_content(c, content, o);
    size_t n = strlen(data->value) / 2;
    uint8_t *buf = malloc(n + 1);
    if (buf == NULL)
        return fail(c, data->line, "out of memory");
    int rc = 0;
    if (n > SIM_MAX_FILE_SIZE || sim_hex_decode(data->value, buf, n, &n) != 0)
        rc = fail(c, data->line, "data must be hex, at most %u bytes", SIM_MAX_FILE_SIZE);
    else if (sim_object_set_value(o, buf, n) != 0)
        rc = fail(c, data->line, "out of memory");
    free(buf);
    return rc;
}

static int do_secret(const ctx *c, section *s)
{
    unsigned fn = SIM_FN_KD, kd = SIM_KD_PRF | SIM_KD_HKDF;
    uint8_t v[SIM_MAX_SECRET];
    size_t vlen;
    kv *kid = need(c, s, "id"), *kval = need(c, s, "value"), *k;
    if (kid == NULL || kval == NULL)
        return -1;
    if ((k = get(s, "functions")) && parse_flags(c, k, functions_tab, &fn) != 0)
        return -1;
    if ((k = get(s, "derivations")) && parse_flags(c, k, derivations_tab, &kd) != 0)
        return -1;
    if (sim_hex_decode(kval->value, v, sizeof v, &vlen) != 0 || vlen == 0)
        return fail(c, kval->line, "value must be 1-%d bytes of hex", SIM_MAX_SECRET);
    sim_object *o = sim_store_add(c->store, SIM_SECRET);
    int rc = -1;
    if (o == NULL)
        fail(c, s->line, "out of memory");
    else if (parse_id(c, kid, o) == 0 && set_label(c, s, o, 0) == 0 && check_unique(c, s, o) == 0) {
        o->access = 0x00;
        o->state = SIM_STATE_ACTIVE;
        o->key_type = SIM_TYPE_HMAC;
        o->functions = (uint8_t)fn;
        o->kd_algs = (fn & SIM_FN_KD) ? (uint8_t)kd : 0;
        rc = sim_object_set_value(o, v, vlen) == 0 ? 0 : fail(c, s->line, "out of memory");
    }
    OPENSSL_cleanse(v, sizeof v);
    return rc;
}

static int do_applet(const ctx *c, section *s)
{
    for (size_t i = 0; i < s->n; i++) {
        char msg[160];
        int r = sim_options_set(c->opt, s->kv[i].key, s->kv[i].value, msg, sizeof msg);
        if (r == 0)
            return fail(c, s->kv[i].line, "unknown key '%s' in [applet]", s->kv[i].key);
        if (r < 0)
            return fail(c, s->kv[i].line, "%s", msg);
        s->kv[i].used = 1;
    }
    return 0;
}

static int finish_section(const ctx *c, section *s, int *seen_applet)
{
    int rc;
    if (s->type == NULL)
        return 0;
    if (strcmp(s->type, "applet") == 0) {
        if (*seen_applet)
            return fail(c, s->line, "second [applet] section");
        if (s->name != NULL)
            return fail(c, s->line, "[applet] takes no name");
        *seen_applet = 1;
        rc = do_applet(c, s);
    } else if (strcmp(s->type, "keypair") == 0) {
        rc = do_keypair(c, s);
    } else if (strcmp(s->type, "public-key") == 0) {
        rc = do_public_key(c, s);
    } else if (strcmp(s->type, "file") == 0) {
        rc = do_file(c, s);
    } else if (strcmp(s->type, "secret") == 0) {
        rc = do_secret(c, s);
    } else {
        return fail(c, s->line, "unknown section type [%s]", s->type);
    }
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < s->n; i++)
        if (!s->kv[i].used)
            return fail(c, s->kv[i].line, "unknown key '%s' in [%s]", s->kv[i].key, s->type);
    return 0;
}

int sim_provision_parse(const char *text, size_t len, const char *name, const char *base_dir,
                        sim_options *opt, sim_store *store, char *err, size_t errlen)
{
    ctx c = {name, base_dir, opt, store, err, errlen};
    sim_ini r;
    sim_ini_item it;
    section s;
    int seen_applet = 0, rc = -1, t;
    memset(&s, 0, sizeof s);
    if (sim_ini_open(&r, text, len) != 0)
        return fail(&c, 0, "not a text file");
    while ((t = sim_ini_next(&r, &it)) != SIM_INI_END) {
        if (t == SIM_INI_ERROR) {
            fail(&c, it.line, "%s", it.error);
            goto out;
        }
        if (t == SIM_INI_SECTION) {
            if (finish_section(&c, &s, &seen_applet) != 0)
                goto out;
            memset(&s, 0, sizeof s);
            s.type = it.type;
            s.name = it.name;
            s.line = it.line;
            continue;
        }
        if (s.type == NULL) {
            fail(&c, it.line, "'%s' outside of any section", it.key);
            goto out;
        }
        for (size_t i = 0; i < s.n; i++) {
            if (strcmp(s.kv[i].key, it.key) == 0) {
                fail(&c, it.line, "duplicate key '%s'", it.key);
                goto out;
            }
        }
        if (s.n == MAX_KV) {
            fail(&c, it.line, "too many keys in one section");
            goto out;
        }
        s.kv[s.n++] = (kv){it.key, it.value, it.line, 0};
    }
    if (finish_section(&c, &s, &seen_applet) != 0)
        goto out;
    static const char *const kind_key[SIM_KIND_COUNT] = {"max-private-keys", "max-public-keys",
                                                         "max-files", "max-secret-keys"};
    for (int k = 0; k < SIM_KIND_COUNT; k++) {
        if (sim_store_count(store, k) > opt->max_count[k]) {
            fail(&c, 0, "%zu objects exceed %s = %u", sim_store_count(store, k), kind_key[k],
                 opt->max_count[k]);
            goto out;
        }
    }
    rc = 0;
out:
    sim_ini_close(&r);
    return rc;
}

int sim_provision_file(const char *path, sim_options *opt, sim_store *store, char *err,
                       size_t errlen)
{
    uint8_t *text;
    size_t len;
    if (sim_read_file(path, 16u << 20, &text, &len) != 0) {
        snprintf(err, errlen, "%s: cannot read provisioning file", path);
        return -1;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int rc = sim_provision_parse((const char *)text, len, path, dir, opt, store, err, errlen);
    free(text);
    return rc;
}
