/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool list (objects or readers) and info (applet capabilities). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* Bit names shared by object attributes and applet capabilities. */
static const char *const FN_NAMES[] = {"sign", "keygen", "key-agreement", "key-derivation"};
static const char *const ACCESS_NAMES[] = {"read", "update"};
static const char *const SIGALG_NAMES[] = {"rsa-pkcs1", "rsa-pss", "ecdsa"};
static const char *const KA_NAMES[] = {"ecka"};
static const char *const KDF_NAMES[] = {"tls12-prf-sha256", "hkdf"};

/* "a,b,c" (or "-" when no bit is set) for the low bits of v; unknown bits as 0xNN. */
static void bits_str(char *buf, size_t cap, unsigned v, const char *const *names, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!(v & (1u << i)))
            continue;
        int w = snprintf(buf + o, cap - o, "%s%s", o ? "," : "", names[i]);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
    unsigned rest = v & ~((1u << n) - 1u);
    if (rest) {
        int w = snprintf(buf + o, cap - o, "%s0x%02X", o ? "," : "", rest);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
    if (o == 0)
        snprintf(buf, cap, "-");
}

static void hashes_str(char *buf, size_t cap, uint16_t h)
{
    static const char *const names[] = {"SHA256", "SHA384", "SHA512"};
    bits_str(buf, cap, h, names, 3);
}

/*
 * Card or reader text on a text line, whole: the one escaping of untrusted
 * text (iotsafe/escape.h). -1 (after a message) when out of memory.
 */
static int print_text(const uint8_t *b, size_t n)
{
    char small[IOTSAFE_ESCAPED_SIZE(IOTSAFE_LABEL_MAX)];
    size_t cap = n <= IOTSAFE_LABEL_MAX ? sizeof small : IOTSAFE_ESCAPED_SIZE(n);
    char *e = n <= IOTSAFE_LABEL_MAX ? small : malloc(cap);
    if (e == NULL) {
        tool_err("out of memory");
        return -1;
    }
    fputs(iotsafe_escape(b, n, e, cap), stdout);
    if (e != small)
        free(e);
    return 0;
}

/*
 * A JSON string, quotes included: controls, C1 controls, bidirectional
 * controls and line separators as \uXXXX, each byte of malformed UTF-8 as
 * \ufffd (iotsafe_escape_json). -1 (after a message) when out of memory.
 */
static int print_json_string(const uint8_t *b, size_t n)
{
    char small[IOTSAFE_JSON_ESCAPED_SIZE(IOTSAFE_LABEL_MAX)];
    size_t cap = n <= IOTSAFE_LABEL_MAX ? sizeof small : IOTSAFE_JSON_ESCAPED_SIZE(n);
    char *e = n <= IOTSAFE_LABEL_MAX ? small : malloc(cap);
    const char *s = e != NULL ? iotsafe_escape_json(b, n, e, cap) : NULL;
    if (s != NULL)
        printf("\"%s\"", s);
    else
        tool_err("out of memory");
    if (e != small)
        free(e);
    return s != NULL ? 0 : -1;
}

static void print_json_bits(const char *key, unsigned v, const char *const *names, size_t n)
{
    printf(", \"%s\": [", key);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (v & (1u << i)) {
            printf("%s\"%s\"", first ? "" : ", ", names[i]);
            first = 0;
        }
    }
    putchar(']');
}

static const char *short_type(iotsafe_obj_type t)
{
    switch (t) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        return "private";
    case IOTSAFE_OBJ_PUBLIC_KEY:
        return "public";
    case IOTSAFE_OBJ_FILE:
        return "file";
    case IOTSAFE_OBJ_SECRET_KEY:
        return "secret";
    }
    return "unknown";
}

static int is_key(const iotsafe_object *ob)
{
    return ob->type != IOTSAFE_OBJ_FILE;
}

static void print_object_text(const iotsafe_object *ob)
{
    char buf[160];
    char *id = tool_hex(ob->id, ob->id_len);
    printf("%-11s id=%s", tool_type_name(ob->type), id ? id : "?");
    free(id);
    if (ob->present & IOTSAFE_HAS_LABEL) {
        fputs(" label=", stdout);
        print_text(ob->label, ob->label_len); /* a label never needs memory */
    }
    if (is_key(ob) && (ob->present & IOTSAFE_HAS_KEY_TYPE))
        printf(" key-type=%s", tool_key_type_name(ob->key_type));
    if (ob->present & IOTSAFE_HAS_USAGE)
        printf(" usage=%s", tool_usage_name(ob->usage));
    if (is_key(ob) && (ob->present & IOTSAFE_HAS_FUNCTIONS)) {
        bits_str(buf, sizeof buf, ob->functions, FN_NAMES, 4);
        printf(" functions=%s", buf);
    }
    if (ob->present & IOTSAFE_HAS_HASHES) {
        hashes_str(buf, sizeof buf, ob->hashes);
        printf(" hashes=%s", buf);
    }
    if (ob->present & IOTSAFE_HAS_FILE_USAGE)
        printf(" file-usage=%s", ob->file_usage == IOTSAFE_FILE_X509 ? "x509" : "general");
    if (ob->present & IOTSAFE_HAS_FILE_SIZE)
        printf(" size=%lu", (unsigned long)ob->file_size);
    bits_str(buf, sizeof buf, ob->access, ACCESS_NAMES, 2);
    printf(" access=%s state=%s\n", buf, ob->state == 1 ? "active" : "empty");
}

static void print_object_json(const iotsafe_object *ob)
{
    char *id = tool_hex(ob->id, ob->id_len);
    printf("  {\"type\": \"%s\", \"id\": \"%s\"", short_type(ob->type), id ? id : "");
    free(id);
    if (ob->present & IOTSAFE_HAS_LABEL) {
        fputs(", \"label\": ", stdout);
        print_json_string(ob->label, ob->label_len); /* a label never needs memory */
    }
    if (is_key(ob) && (ob->present & IOTSAFE_HAS_KEY_TYPE)) {
        printf(", \"key_type\": \"%s\"", tool_key_type_name(ob->key_type));
        iotsafe_curve cv = iotsafe_key_type_curve(ob->key_type);
        if (cv != IOTSAFE_CURVE_NONE)
            printf(", \"curve\": \"%s\"", iotsafe_curve_name(cv));
    }
    if (ob->present & IOTSAFE_HAS_USAGE)
        printf(", \"usage\": \"%s\"", tool_usage_name(ob->usage));
    if (is_key(ob) && (ob->present & IOTSAFE_HAS_FUNCTIONS))
        print_json_bits("functions", ob->functions, FN_NAMES, 4);
    if (ob->present & IOTSAFE_HAS_HASHES) {
        static const char *const hn[] = {"SHA256", "SHA384", "SHA512"};
        print_json_bits("hashes", ob->hashes, hn, 3);
    }
    if (ob->present & IOTSAFE_HAS_FILE_USAGE)
        printf(", \"file_usage\": \"%s\"",
               ob->file_usage == IOTSAFE_FILE_X509 ? "x509" : "general");
    if (ob->present & IOTSAFE_HAS_FILE_SIZE)
        printf(", \"size\": %lu", (unsigned long)ob->file_size);
    print_json_bits("access", ob->access, ACCESS_NAMES, 2);
    printf(", \"state\": \"%s\"}", ob->state == 1 ? "active" : "empty");
}

static int list_readers(const tool_opts *o)
{
    char *names = NULL;
    size_t count = 0;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc rc = iotsafe_pcsc_list_readers(&names, &count, &st);
    if (rc != IOTSAFE_OK)
        return tool_fail(rc, &st, "listing readers");
    if (o->json)
        fputs("[", stdout);
    size_t i = 0;
    int bad = 0;
    /* reader names come from drivers and devices: escaped like card text */
    for (const char *p = names; !bad && p && *p; p += strlen(p) + 1, i++) {
        if (o->json) {
            fputs(i ? ", " : "", stdout);
            bad = print_json_string((const uint8_t *)p, strlen(p));
        } else {
            if ((bad = print_text((const uint8_t *)p, strlen(p))) == 0)
                putchar('\n');
        }
    }
    if (o->json && !bad)
        fputs("]\n", stdout);
    free(names);
    if (bad) {
        fflush(stdout);
        return EXIT_FAILURE_OTHER;
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}

int cmd_list(const tool_opts *o)
{
    if (o->readers)
        return list_readers(o);
    iotsafe_card *c = NULL;
    int rc = tool_open_card(o, &c);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_object *objs = NULL;
    size_t n = 0;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_list_objects(c, &objs, &n, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, "listing objects");
        iotsafe_card_free(c);
        return rc;
    }
    if (o->json) {
        puts("[");
        for (size_t i = 0; i < n; i++) {
            print_object_json(&objs[i]);
            puts(i + 1 < n ? "," : "");
        }
        puts("]");
    } else {
        for (size_t i = 0; i < n; i++)
            print_object_text(&objs[i]);
    }
    free(objs);
    iotsafe_card_free(c);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}

int cmd_info(const tool_opts *o)
{
    iotsafe_card *c = NULL;
    int rc = tool_open_card(o, &c);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_app_info ai;
    memset(&ai, 0, sizeof ai);
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_get_app_info(c, &ai, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, "reading the applet information");
        iotsafe_card_free(c);
        return rc;
    }
    size_t plen = ai.proprietary_len <= sizeof ai.proprietary ? ai.proprietary_len : 0;
    char *prop = tool_hex(ai.proprietary, plen);
    char fn[96], hs[64], sa[64], ka[32], kd[64];
    bits_str(fn, sizeof fn, ai.functions, FN_NAMES, 4);
    hashes_str(hs, sizeof hs, ai.hashes);
    bits_str(sa, sizeof sa, ai.sig_algs, SIGALG_NAMES, 3);
    bits_str(ka, sizeof ka, ai.key_agreement, KA_NAMES, 1);
    bits_str(kd, sizeof kd, ai.kdf_algs, KDF_NAMES, 2);
    const char *reader = iotsafe_card_reader(c); /* escaped already (card.h) */
    if (o->json) {
        fputs("{\"reader\": ", stdout);
        if (print_json_string((const uint8_t *)(reader ? reader : ""),
                              reader ? strlen(reader) : 0) != 0) {
            free(prop);
            iotsafe_card_free(c);
            return EXIT_FAILURE_OTHER;
        }
        printf(", \"version\": %u, \"proprietary_id\": \"%s\", \"max_files\": %u, "
               "\"max_private_keys\": %u, \"max_public_keys\": %u, \"max_secret_keys\": %u",
               ai.version, prop ? prop : "", ai.max_files, ai.max_private_keys, ai.max_public_keys,
               ai.max_secret_keys);
        print_json_bits("functions", ai.functions, FN_NAMES, 4);
        static const char *const hn[] = {"SHA256", "SHA384", "SHA512"};
        print_json_bits("hashes", ai.hashes, hn, 3);
        print_json_bits("signature_algorithms", ai.sig_algs, SIGALG_NAMES, 3);
        print_json_bits("key_agreement", ai.key_agreement, KA_NAMES, 1);
        print_json_bits("key_derivation", ai.kdf_algs, KDF_NAMES, 2);
        printf(", \"max_sessions\": %u}\n", ai.max_sessions);
    } else {
        printf("reader: %s\n", reader ? reader : "?"); /* escaped by libiotsafe */
        printf("version: %u\n", ai.version);
        printf("proprietary-id: %s\n", plen && prop ? prop : "-");
        printf("max-files: %u\n", ai.max_files);
        printf("max-private-keys: %u\n", ai.max_private_keys);
        printf("max-public-keys: %u\n", ai.max_public_keys);
        printf("max-secret-keys: %u\n", ai.max_secret_keys);
        printf("functions: %s\n", fn);
        printf("hashes: %s\n", hs);
        printf("signature-algorithms: %s\n", sa);
        printf("key-agreement: %s\n", ka);
        printf("key-derivation: %s\n", kd);
        printf("max-sessions: %u\n", ai.max_sessions);
    }
    free(prop);
    iotsafe_card_free(c);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}
