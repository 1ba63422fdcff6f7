/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool: command line access to an IoT SAFE applet through PC/SC. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tool.h"

/* Option bits, to check that each subcommand only gets options it uses. */
enum {
    O_OBJ = 1 << 0, /* --id --label --uri --type */
    O_IN = 1 << 1,
    O_OUT = 1 << 2,
    O_SIG = 1 << 3,
    O_HASH = 1 << 4,
    O_JSON = 1 << 5,
    O_READERS = 1 << 6,
    O_DER = 1 << 7,
    O_REPEAT = 1 << 8, /* --repeat --interval --stats */
};

typedef struct command {
    const char *name;
    int (*run)(const tool_opts *o);
    unsigned allowed;
    size_t positional;
    const char *synopsis;
    const char *help; /* `iotsafe-tool COMMAND --help`; doc/iotsafe-tool.md says the same */
} command;

static const command COMMANDS[] = {
    {"list", cmd_list, O_JSON | O_READERS, 0, "list [--readers] [--json]",
     "Lists the card's objects, one line each (type, id, label, key type, usage,\n"
     "functions, hashes, file usage, size, access, state). --readers lists the\n"
     "PC/SC reader names instead; --json prints the same information as JSON.\n"},
    {"info", cmd_info, O_JSON, 0, "info [--json]",
     "Applet capabilities from GET DATA: version, proprietary ID, maximum numbers\n"
     "of objects, functions, hashes, algorithms, maximum sessions.\n"},
    {"pubkey", cmd_pubkey, O_OBJ | O_OUT, 0, "pubkey OBJECT [--out FILE]",
     "The public key as a PEM SubjectPublicKeyInfo. OBJECT may name the public\n"
     "key or the private key (then the matching public key is read).\n"},
    {"read-file", cmd_read_file, O_OBJ | O_OUT | O_DER, 0, "read-file OBJECT [--der] [--out FILE]",
     "Reads a whole file. A file holding one X.509 certificate is written as PEM\n"
     "(DER with --der); any other file is written raw.\n"},
    {"genkey", cmd_genkey, O_OBJ | O_OUT, 0, "genkey OBJECT [--out FILE]",
     "Generates a new key pair in an existing container (the private key needs\n"
     "the key generation function) and prints the new public key as PEM.\n"
     "The old key is gone.\n"},
    {"random", cmd_random, O_OUT, 1, "random N [--out FILE]",
     "N random bytes from the card (1 to 65536): hex on stdout, or raw bytes\n"
     "with --out.\n"},
    {"sign", cmd_sign, O_OBJ | O_IN | O_OUT | O_HASH | O_REPEAT, 0,
     "sign OBJECT --in FILE [--hash sha256|sha384|sha512] [--out FILE]\n"
     "       [--repeat N [--interval MS]] [--stats]",
     "Hashes FILE on the host (SHA-256 by default), has the card sign the digest\n"
     "and writes a DER ECDSA-Sig-Value. --repeat N signs N times in one session,\n"
     "--interval MS idles between repeats outside any card transaction, --stats\n"
     "prints the APDUs of each signature on stderr.\n"},
    {"verify", cmd_verify, O_OBJ | O_IN | O_SIG | O_HASH, 0,
     "verify OBJECT --in FILE --sig FILE [--hash sha256|sha384|sha512]",
     "Has the card verify a DER (or raw r||s) signature over FILE's digest.\n"
     "Prints \"signature OK\", or fails with exit code 10.\n"},
    {"uri", cmd_uri, O_OBJ, 0, "uri OBJECT", "Prints the object's iotsafe: URI.\n"},
    {"keyfile", cmd_keyfile, O_OBJ | O_OUT, 0, "keyfile OBJECT [--out FILE]",
     "Writes a PEM IOTSAFE KEY REFERENCE file for a private key: programs that\n"
     "only take a key file use the card key through the OpenSSL provider.\n"},
};

static int bad_args(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_args(const char *fmt, ...)
{
    char msg[512], esc[IOTSAFE_ESCAPED_SIZE(512)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* the message quotes the user's words: escaped, like every message */
    fprintf(stderr, "iotsafe-tool: invalid argument: %s (see iotsafe-tool --help)\n",
            iotsafe_escape_str(msg, esc, sizeof esc));
    return EXIT_BAD_ARGS;
}

/* A whole decimal number in [lo, hi]; -1 if s is anything else. */
static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (errno || *end != '\0' || s[0] < '0' || s[0] > '9' || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* ---- one setter per option: EXIT_OK, or bad_args() naming the option ---- */

static int set_reader(tool_opts *o, const char *v)
{
    o->reader = v;
    return EXIT_OK;
}

/*
 * A shared card setting, parsed by libiotsafe's one parser for it. what: the
 * option or variable that gave v, for the message about a bad value.
 */
static int set_card(tool_opts *o, iotsafe_option which, const char *v, const char *what)
{
    int r = iotsafe_options_set(&o->card, which, v);
    if (r < 0)
        return bad_args("%s '%s' must be %s", what, v, iotsafe_option_words(which));
    if (r == 0) {
        tool_err("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    return EXIT_OK;
}

static int set_aid(tool_opts *o, const char *v)
{
    return set_card(o, IOTSAFE_OPT_AID, v, "--aid");
}

static int set_cla(tool_opts *o, const char *v)
{
    return set_card(o, IOTSAFE_OPT_CLA, v, "--cla");
}

static int set_basic_channel(tool_opts *o, const char *v)
{
    (void)v;
    return set_card(o, IOTSAFE_OPT_CHANNEL, "basic", "--basic-channel");
}

static int set_modem(tool_opts *o, const char *v)
{
    return set_card(o, IOTSAFE_OPT_MODEM, v, "--modem");
}

static int set_at_mode(tool_opts *o, const char *v)
{
    o->at_mode_given = 1;
    return set_card(o, IOTSAFE_OPT_MODEM_MODE, v, "--at-mode");
}

static int set_timeout(tool_opts *o, const char *v)
{
    return set_card(o, IOTSAFE_OPT_TIMEOUT, v, "--timeout");
}

static int set_trace(tool_opts *o, const char *v)
{
    (void)v;
    if (o->card.trace == IOTSAFE_TRACE_OFF)
        o->card.trace = IOTSAFE_TRACE_APDU;
    return EXIT_OK;
}

static int name_once(tool_opts *o, const char *opt)
{
    if (o->obj_named++)
        return bad_args("%s: name the object only once", opt);
    return EXIT_OK;
}

static int set_id(tool_opts *o, const char *v)
{
    if (name_once(o, "--id") != EXIT_OK)
        return EXIT_BAD_ARGS;
    if (iotsafe_hex_parse(v, NULL, o->obj.id, sizeof o->obj.id, &o->obj.id_len) != 0)
        return bad_args("--id '%s' must be 1 to 20 bytes of hex", v);
    o->obj.given = 1;
    return EXIT_OK;
}

static int set_label(tool_opts *o, const char *v)
{
    if (name_once(o, "--label") != EXIT_OK)
        return EXIT_BAD_ARGS;
    size_t n = strlen(v);
    if (n > IOTSAFE_LABEL_MAX)
        return bad_args("--label '%s' is longer than 60 bytes", v);
    memcpy(o->obj.label, v, n + 1);
    o->obj.label_len = n;
    o->obj.given = 1;
    return EXIT_OK;
}

static int set_uri(tool_opts *o, const char *v)
{
    if (name_once(o, "--uri") != EXIT_OK)
        return EXIT_BAD_ARGS;
    enum obj_kind before = o->obj.kind;
    if (tool_parse_uri(v, &o->obj) != 0)
        return EXIT_BAD_ARGS;
    if (before != KIND_ANY && o->obj.kind != KIND_ANY && before != o->obj.kind)
        return bad_args("--type contradicts the URI's type in '%s'", v);
    if (o->obj.kind == KIND_ANY)
        o->obj.kind = before;
    return EXIT_OK;
}

static int set_type(tool_opts *o, const char *v)
{
    static const struct {
        const char *name;
        enum obj_kind kind;
    } kinds[] = {{"private", KIND_PRIVATE},
                 {"public", KIND_PUBLIC},
                 {"cert", KIND_FILE},
                 {"file", KIND_FILE},
                 {"secret", KIND_SECRET}};
    size_t i = 0;
    while (i < sizeof kinds / sizeof kinds[0] && strcmp(v, kinds[i].name) != 0)
        i++;
    if (i == sizeof kinds / sizeof kinds[0])
        return bad_args("--type '%s' must be private, public, cert, file or secret", v);
    if (o->obj.kind != KIND_ANY && o->obj.kind != kinds[i].kind)
        return bad_args("--type '%s' contradicts the URI's type", v);
    o->obj.kind = kinds[i].kind;
    return EXIT_OK;
}

static int set_in(tool_opts *o, const char *v)
{
    o->in = v;
    return EXIT_OK;
}

static int set_out(tool_opts *o, const char *v)
{
    o->out = v;
    return EXIT_OK;
}

static int set_sig(tool_opts *o, const char *v)
{
    o->sig = v;
    return EXIT_OK;
}

static int set_hash(tool_opts *o, const char *v)
{
    if (iotsafe_hash_from_name(v, &o->hash) != 0)
        return bad_args("--hash '%s' must be sha256, sha384 or sha512", v);
    return EXIT_OK;
}

static int set_repeat(tool_opts *o, const char *v)
{
    if (parse_ulong(v, 1, 100000, &o->repeat) != 0)
        return bad_args("--repeat '%s' must be 1..100000", v);
    return EXIT_OK;
}

static int set_interval(tool_opts *o, const char *v)
{
    if (parse_ulong(v, 0, 60000, &o->interval_ms) != 0)
        return bad_args("--interval '%s' must be 0..60000 (ms)", v);
    return EXIT_OK;
}

static int set_stats(tool_opts *o, const char *v)
{
    (void)v;
    o->stats = 1;
    return EXIT_OK;
}

static int set_json(tool_opts *o, const char *v)
{
    (void)v;
    o->json = 1;
    return EXIT_OK;
}

static int set_readers(tool_opts *o, const char *v)
{
    (void)v;
    o->readers = 1;
    return EXIT_OK;
}

static int set_der(tool_opts *o, const char *v)
{
    (void)v;
    o->der = 1;
    return EXIT_OK;
}

/* Every option: its name, whether it takes a value, the O_* bit a command must allow (0: global). */
typedef struct option {
    const char *name;
    int takes_value;
    unsigned bit;
    int (*set)(tool_opts *o, const char *val);
} option;

static const option OPTIONS[] = {
    {"--reader", 1, 0, set_reader},
    {"--aid", 1, 0, set_aid},
    {"--cla", 1, 0, set_cla},
    {"--basic-channel", 0, 0, set_basic_channel},
    {"--modem", 1, 0, set_modem},
    {"--at-mode", 1, 0, set_at_mode},
    {"--timeout", 1, 0, set_timeout},
    {"--trace", 0, 0, set_trace},
    {"--id", 1, O_OBJ, set_id},
    {"--label", 1, O_OBJ, set_label},
    {"--uri", 1, O_OBJ, set_uri},
    {"--type", 1, O_OBJ, set_type},
    {"--in", 1, O_IN, set_in},
    {"--out", 1, O_OUT, set_out},
    {"--sig", 1, O_SIG, set_sig},
    {"--hash", 1, O_HASH, set_hash},
    {"--repeat", 1, O_REPEAT, set_repeat},
    {"--interval", 1, O_REPEAT, set_interval},
    {"--stats", 0, O_REPEAT, set_stats},
    {"--json", 0, O_JSON, set_json},
    {"--readers", 0, O_READERS, set_readers},
    {"--der", 0, O_DER, set_der},
};

static const option *find_option(const char *name)
{
    for (size_t k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0]; k++)
        if (strcmp(name, OPTIONS[k].name) == 0)
            return &OPTIONS[k];
    return NULL;
}

static int takes_value(const char *name)
{
    const option *opt = find_option(name);
    return opt != NULL && opt->takes_value;
}

static const command *find_command(const char *name)
{
    for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
        if (strcmp(name, COMMANDS[k].name) == 0)
            return &COMMANDS[k];
    return NULL;
}

static void command_help(const command *c)
{
    printf("usage: iotsafe-tool [GLOBAL OPTIONS] %s\n\n%s", c->synopsis, c->help);
    if (c->allowed & O_OBJ)
        fputs("\nOBJECT is one of:\n"
              "  --id HEX | --label TEXT | --uri iotsafe:id=%01;label=..;type=..;reader=..\n"
              "  optionally with --type private|public|cert|file|secret\n",
              stdout);
    fputs("\nGlobal options and exit codes: iotsafe-tool --help\n", stdout);
}

/* -h/--help anywhere: the help of the command named on the line, else the usage. */
static const command *help_command(int argc, char **argv, int *asked)
{
    const command *found = NULL;
    *asked = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *asked = 1;
        } else if (a[0] == '-') {
            if (strchr(a, '=') == NULL && takes_value(a))
                i++; /* skip the option's value */
        } else if (found == NULL) {
            found = find_command(a);
        }
    }
    return found;
}

static void usage(FILE *f)
{
    fputs("usage: iotsafe-tool [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
          "\n"
          "Global options:\n"
          "  --reader SEL        reader: exact name, substring, or #N (default: the first\n"
          "                      reader whose card answers SELECT of the applet;\n"
          "                      also taken from IOTSAFE_READER)\n"
          "  --aid HEX           applet AID (default A0000005590010)\n"
          "  --cla auto|proprietary|interindustry   CLA style (default auto)\n"
          "  --basic-channel     stay on the basic channel (no MANAGE CHANNEL)\n"
          "  --modem DEV         talk to the SIM through an AT modem on serial device DEV\n"
          "                      instead of PC/SC\n"
          "  --at-mode csim|cgla with --modem: AT+CSIM (default) or AT+CCHO/AT+CGLA\n"
          "  --timeout SECONDS   deadline of every card command, 0.1 to 3600 (also\n"
          "                      IOTSAFE_TIMEOUT; default: per command, as the provider)\n"
          "  --trace             APDU trace on stderr (also IOTSAFE_TRACE=yes, or\n"
          "                      IOTSAFE_TRACE=yes:FILE to append it to FILE)\n"
          "  -h, --help          this help; after a command, that command's help\n"
          "\n"
          "OBJECT is one of:\n"
          "  --id HEX | --label TEXT | --uri iotsafe:id=%01;label=..;type=..;reader=..\n"
          "  optionally with --type private|public|cert|file|secret\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %s\n", COMMANDS[i].synopsis);
    fputs("\n"
          "random prints hex (raw bytes with --out); sign writes a DER ECDSA-Sig-Value;\n"
          "read-file writes certificates as PEM (DER with --der), other files raw.\n"
          "\n"
          "Exit codes:\n"
          "  0 success            1 other card error    2 bad arguments\n"
          "  3 no PC/SC service or no reader            4 no card in the reader\n"
          "  5 applet absent (SELECT 6A82)              6 unknown object\n"
          "  7 usage refused (6985)                     8 malformed card answer\n"
          "  9 card removed/reset or transport failure  10 signature mismatch\n"
          "  11 cannot write output\n",
          f);
}

/*
 * Options may come before or after the command. "--opt=value" and "--opt value"
 * are both accepted. *used collects the option bits for the per-command check.
 */
static int parse_args(int argc, char **argv, tool_opts *o, const command **cmd, unsigned *used)
{
    *cmd = NULL;
    *used = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (!*cmd) {
                if ((*cmd = find_command(a)) == NULL)
                    return bad_args("unknown command '%s'", a);
            } else if (o->n_positional < sizeof o->positional / sizeof o->positional[0]) {
                o->positional[o->n_positional++] = a;
            } else {
                return bad_args("unexpected argument '%s'", a);
            }
            continue;
        }
        /* split --opt=value */
        char name[32];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const option *opt = NULL;
        if (nlen < sizeof name) {
            memcpy(name, a, nlen);
            name[nlen] = '\0';
            opt = find_option(name);
        }
        if (opt == NULL)
            return bad_args("unknown option '%s'", a);
        if (opt->takes_value) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return bad_args("option '%s' needs a value", name);
            if (*val == '\0')
                return bad_args("option '%s' needs a non-empty value", name);
        } else if (eq) {
            return bad_args("option '%s' takes no value", name);
        }
        int rc = opt->set(o, val);
        if (rc != EXIT_OK)
            return rc;
        *used |= opt->bit;
    }
    if (!*cmd)
        return bad_args("%s", "no command given");
    if (o->card.modem != NULL && o->reader != NULL)
        return bad_args("%s", "--modem and --reader exclude each other");
    if (o->at_mode_given && o->card.modem == NULL)
        return bad_args("%s", "--at-mode needs --modem");
    return EXIT_OK;
}

/* IOTSAFE_TRACE, IOTSAFE_TIMEOUT and IOTSAFE_STATE_DIR, read as the provider reads them; options win. */
static int apply_env(tool_opts *o)
{
    static const iotsafe_option from_env[] = {IOTSAFE_OPT_TRACE, IOTSAFE_OPT_TIMEOUT,
                                              IOTSAFE_OPT_STATE_DIR};
    for (size_t i = 0; i < sizeof from_env / sizeof from_env[0]; i++) {
        const iotsafe_option which = from_env[i];
        const char *v = getenv(iotsafe_option_env(which));
        if (v == NULL || v[0] == '\0' ||
            (which == IOTSAFE_OPT_TRACE && o->card.trace != IOTSAFE_TRACE_OFF) ||
            (which == IOTSAFE_OPT_TIMEOUT && o->card.timeout_ms != 0))
            continue;
        int rc = set_card(o, which, v, iotsafe_option_env(which));
        if (rc != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

/* Parse the command line and run the command: its exit code. */
static int run(tool_opts *o, int argc, char **argv)
{
    const command *cmd = NULL;
    unsigned used = 0;
    int rc = parse_args(argc, argv, o, &cmd, &used);
    if (rc == EXIT_OK)
        rc = apply_env(o);
    if (rc != EXIT_OK)
        return rc;
    if (used & ~cmd->allowed)
        return bad_args("an option given does not apply to '%s'", cmd->name);
    if (o->n_positional != cmd->positional)
        return cmd->positional ? bad_args("'%s' needs an argument", cmd->name)
                               : bad_args("'%s' takes no argument", cmd->name);
    if ((cmd->allowed & O_OBJ) && !o->obj.given)
        return bad_args("'%s' needs an object: --id, --label or --uri", cmd->name);
    if (o->card.trace != IOTSAFE_TRACE_OFF && o->card.trace_file != NULL) {
        if ((o->trace_out = fopen(o->card.trace_file, "ae")) == NULL) {
            char e[160];
            tool_err("cannot open the trace file '%s'",
                     iotsafe_escape_str(o->card.trace_file, e, sizeof e));
            return EXIT_IO;
        }
        setvbuf(o->trace_out, NULL, _IOLBF, 0);
    }
    rc = cmd->run(o);
    if (o->trace_out != NULL)
        fclose(o->trace_out);
    return rc;
}

int main(int argc, char **argv)
{
    /*
     * Do not load openssl.cnf: it may activate our own provider, which would
     * open the card a second time. The tool only needs the default provider.
     */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

    int help_asked;
    const command *help_for = help_command(argc, argv, &help_asked);
    if (help_asked) {
        if (help_for)
            command_help(help_for);
        else
            usage(stdout);
        return EXIT_OK;
    }

    tool_opts o;
    memset(&o, 0, sizeof o);
    iotsafe_options_init(&o.card);
    o.hash = IOTSAFE_HASH_SHA256;
    int rc = run(&o, argc, argv);
    iotsafe_options_clear(&o.card);
    return rc;
}
