/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool internals shared by the subcommand files. */
#ifndef IOTSAFE_TOOL_H
#define IOTSAFE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iotsafe/hex.h"
#include "iotsafe/iotsafe.h"
#include "iotsafe/uri.h"

/* Exit codes: documented in --help and doc/iotsafe-tool.md. */
enum tool_exit {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1, /* other card error status word, unsupported feature */
    EXIT_BAD_ARGS = 2,      /* bad command line, unreadable input file */
    EXIT_NO_READER = 3,     /* no PC/SC service or no (matching) reader */
    EXIT_NO_CARD = 4,       /* reader empty */
    EXIT_NO_APPLET = 5,     /* SELECT of the applet answered 6A82 */
    EXIT_NOT_FOUND = 6,     /* no such object */
    EXIT_USAGE_REFUSED = 7, /* 6985 or the object's attributes forbid it */
    EXIT_MALFORMED = 8,     /* the card's answer does not parse */
    EXIT_CARD_LOST = 9,     /* card removed/reset mid-operation, transport failure */
    EXIT_SIG_MISMATCH = 10, /* verify: signature does not match */
    EXIT_IO = 11,           /* cannot write the output file */
};

/* Which kind of object a name must resolve to; 0 = any. */
enum obj_kind {
    KIND_ANY = 0,
    KIND_PRIVATE,
    KIND_PUBLIC,
    KIND_FILE,
    KIND_SECRET,
};

/* An object name from --id / --label / --uri / --type. */
typedef struct obj_name {
    uint8_t id[IOTSAFE_ID_MAX];
    size_t id_len;
    char label[IOTSAFE_LABEL_MAX + 1];
    size_t label_len;
    enum obj_kind kind;
    char reader[256]; /* reader= from a URI, "" if none */
    int given;        /* an ID or label was given */
} obj_name;

typedef struct tool_opts {
    /* global */
    const char *reader; /* --reader */
    /*
     * The settings every front end takes (iotsafe/options.h): --aid, --cla,
     * --basic-channel, --modem, --at-mode, --timeout, --trace, and
     * IOTSAFE_TRACE, IOTSAFE_TIMEOUT, IOTSAFE_STATE_DIR. Its reader stays
     * unset: tool_open_card picks one. Cleared by main.
     */
    iotsafe_options card;
    FILE *trace_out; /* the trace FILE of LEVEL:FILE, opened before the command runs; NULL: stderr */
    int at_mode_given;
    /* object naming */
    obj_name obj;
    int obj_named; /* --id/--label/--uri seen (only one may be) */
    /* subcommand options */
    const char *in;
    const char *out;
    const char *sig;
    iotsafe_hash hash;
    int json;
    int readers;
    int der;
    unsigned long repeat;
    unsigned long interval_ms;
    int stats;
    const char *positional[2];
    size_t n_positional;
} tool_opts;

/*
 * Text from a user or a card (reader names, paths, words of the command line)
 * for a message: escaped as every message escapes it (iotsafe/escape.h), cut
 * with a marker past 255 bytes. The buffer lives until the end of the block.
 */
#define TOOL_ESC(s) iotsafe_escape_str((s), (char[256]){0}, 256)

/* "private key id=01 (DEVKEY)": an object in a message, as libiotsafe names it. */
#define TOOL_OBJ(ob) \
    iotsafe_object_str((ob), (char[IOTSAFE_OBJECT_STR_MAX]){0}, IOTSAFE_OBJECT_STR_MAX)

/* Print "iotsafe-tool: <message>" to stderr. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a libiotsafe failure with a category prefix; returns the exit code. */
int tool_fail(iotsafe_rc rc, const iotsafe_status *st, const char *what);

/* Exit code for a libiotsafe result (EXIT_OK for IOTSAFE_OK). */
int tool_exit_code(iotsafe_rc rc, uint16_t sw);

/* Lower-case hex of buf into a new string (caller frees); NULL on OOM. */
char *tool_hex(const uint8_t *buf, size_t len);

/* Print s (malloc'ed, freed here) and a newline on stdout; NULL means out of memory. Exit code. */
int tool_print_line(char *s);

/* Whole file into memory (caller frees). Returns 0 or -1 after printing the reason. */
int tool_read_file(const char *path, uint8_t **data, size_t *len);

/* Write bytes to path, or stdout when path is NULL or "-". Returns exit code. */
int tool_write_output(const char *path, const uint8_t *data, size_t len);

/* Parse an iotsafe: URI into name (strict). Returns 0 or -1 after printing the reason. */
int tool_parse_uri(const char *uri, obj_name *name);

/* iotsafe: URI of an object (malloc'ed): ID, label, and type for keys and files. NULL after a message. */
char *tool_make_uri(const iotsafe_object *obj);

/* Open the card per the global options (reader from --reader, URI, or IOTSAFE_READER). */
int tool_open_card(const tool_opts *o, iotsafe_card **card);

/*
 * Resolve o->obj to one object on the card. kinds lists acceptable kinds in
 * order of preference when the name does not fix the kind.
 */
int tool_resolve(iotsafe_card *c, const tool_opts *o, const enum obj_kind *kinds, size_t n_kinds,
                 iotsafe_object *out);
/* The public key object of a key: itself, or the one paired with a private key. Exit code. */
int tool_public_of(iotsafe_card *c, const iotsafe_object *key, iotsafe_object *pub);
/* Open the card and resolve the object named in o; on failure nothing stays open. */
int tool_open_object(const tool_opts *o, const enum obj_kind *kinds, size_t n_kinds,
                     iotsafe_card **card, iotsafe_object *out);

/*
 * The EC curve of a key from its key type, or from its pair's (may be NULL)
 * when its own names none; dflt when neither gives a key type at all.
 * EXIT_OK, or (exit code 1, unsupported feature) a message naming the key
 * and its key type when that is not an EC curve the tool knows, or when
 * there is no key type and no dflt (IOTSAFE_CURVE_NONE).
 */
int tool_key_curve(const iotsafe_object *key, const iotsafe_object *pair, iotsafe_curve dflt,
                   iotsafe_curve *curve);

/* Names for display / JSON. */
const char *tool_type_name(iotsafe_obj_type t);
const char *tool_usage_name(uint8_t usage);
const char *tool_key_type_name(uint8_t key_type);

/*
 * PEM output helpers (OpenSSL). Each returns an exit code. what names the
 * key in messages ("public key id=01 (DEVKEY)").
 */
int tool_write_pubkey_pem(const char *path, const char *what, iotsafe_curve curve,
                          const uint8_t *point, size_t point_len);
int tool_write_cert(const char *path, const uint8_t *der, size_t len, int as_der, int *is_cert);
int tool_write_keyref_pem(const char *path, const uint8_t *der, size_t len);

/* Subcommands. */
int cmd_list(const tool_opts *o);
int cmd_info(const tool_opts *o);
int cmd_pubkey(const tool_opts *o);
int cmd_genkey(const tool_opts *o);
int cmd_uri(const tool_opts *o);
int cmd_keyfile(const tool_opts *o);
int cmd_read_file(const tool_opts *o);
int cmd_random(const tool_opts *o);
int cmd_sign(const tool_opts *o);
int cmd_verify(const tool_opts *o);

#endif
