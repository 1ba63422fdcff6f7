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
    {"uri", cmd_uri, O_OBJ, 0, "uri OBJECT",
     "Prints the object's iotsafe: URI.\n"},
    {"keyfile", cmd_keyfile, O_OBJ | O_OUT, 0, "keyfile OBJECT [--out FILE]",
     "Writes a PEM IOTSAFE KEY REFERENCE file for a private key: programs that\n"
     "only take a key file use the card key through the OpenSSL provider.\n"},
};

/* Options that take a value (also used to find the command for --help). */
static const char *const WITH_VALUE[] = {"--reader", "--aid",      "--cla",   "--id",
                                         "--label",  "--uri",      "--type",  "--in",
                                         "--out",    "--sig",      "--hash",  "--repeat",
                                         "--interval", "--modem",  "--at-mode"};

static int takes_value(const char *name)
{
    for (size_t k = 0; k < sizeof WITH_VALUE / sizeof WITH_VALUE[0]; k++)
        if (strcmp(name, WITH_VALUE[k]) == 0)
            return 1;
    return 0;
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
            for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
                if (strcmp(a, COMMANDS[k].name) == 0)
                    found = &COMMANDS[k];
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
          "  --trace             APDU trace on stderr (also IOTSAFE_TRACE=1)\n"
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

static int bad_args(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_args(const char *fmt, ...)
{
    va_list ap;
    fputs("iotsafe-tool: invalid argument: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see iotsafe-tool --help)\n", stderr);
    return EXIT_BAD_ARGS;
}

static int parse_kind(const char *v, enum obj_kind *k)
{
    static const struct {
        const char *name;
        enum obj_kind kind;
    } kinds[] = {{"private", KIND_PRIVATE}, {"public", KIND_PUBLIC}, {"cert", KIND_FILE},
                 {"file", KIND_FILE},       {"secret", KIND_SECRET}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(v, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

/*
 * Options may come before or after the command. "--opt=value" and "--opt value"
 * are both accepted. *used collects the option bits for the per-command check.
 */
static int parse_args(int argc, char **argv, tool_opts *o, const command **cmd, unsigned *used)
{
    int obj_named = 0;
    *cmd = NULL;
    *used = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (!*cmd) {
                for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
                    if (strcmp(a, COMMANDS[k].name) == 0)
                        *cmd = &COMMANDS[k];
                if (!*cmd)
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
        if (nlen >= sizeof name)
            return bad_args("unknown option '%s'", a);
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        int takes = takes_value(name);
        if (takes) {
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

        if (strcmp(name, "--reader") == 0) {
            o->reader = val;
        } else if (strcmp(name, "--aid") == 0) {
            if (tool_parse_hex(val, o->aid, sizeof o->aid, &o->aid_len) != 0 || o->aid_len < 5)
                return bad_args("--aid '%s' must be 5 to 16 bytes of hex", val);
        } else if (strcmp(name, "--cla") == 0) {
            if (strcmp(val, "auto") == 0)
                o->cla = IOTSAFE_CLA_AUTO;
            else if (strcmp(val, "proprietary") == 0)
                o->cla = IOTSAFE_CLA_PROPRIETARY;
            else if (strcmp(val, "interindustry") == 0)
                o->cla = IOTSAFE_CLA_INTERINDUSTRY;
            else
                return bad_args("--cla '%s' must be auto, proprietary or interindustry", val);
        } else if (strcmp(name, "--basic-channel") == 0) {
            o->basic_channel = 1;
        } else if (strcmp(name, "--modem") == 0) {
            o->modem = val;
        } else if (strcmp(name, "--at-mode") == 0) {
            if (strcmp(val, "csim") == 0)
                o->at_mode = IOTSAFE_AT_CSIM;
            else if (strcmp(val, "cgla") == 0)
                o->at_mode = IOTSAFE_AT_CGLA;
            else
                return bad_args("--at-mode '%s' must be csim or cgla", val);
            o->at_mode_given = 1;
        } else if (strcmp(name, "--trace") == 0) {
            o->trace = 1;
        } else if (strcmp(name, "--id") == 0) {
            if (obj_named++)
                return bad_args("%s: name the object only once", name);
            if (tool_parse_hex(val, o->obj.id, sizeof o->obj.id, &o->obj.id_len) != 0)
                return bad_args("--id '%s' must be 1 to 20 bytes of hex", val);
            o->obj.given = 1;
            *used |= O_OBJ;
        } else if (strcmp(name, "--label") == 0) {
            if (obj_named++)
                return bad_args("%s: name the object only once", name);
            size_t n = strlen(val);
            if (n > IOTSAFE_LABEL_MAX)
                return bad_args("--label '%s' is longer than 60 bytes", val);
            memcpy(o->obj.label, val, n + 1);
            o->obj.label_len = n;
            o->obj.given = 1;
            *used |= O_OBJ;
        } else if (strcmp(name, "--uri") == 0) {
            if (obj_named++)
                return bad_args("%s: name the object only once", name);
            enum obj_kind before = o->obj.kind;
            if (tool_parse_uri(val, &o->obj) != 0)
                return EXIT_BAD_ARGS;
            if (before != KIND_ANY && o->obj.kind != KIND_ANY && before != o->obj.kind)
                return bad_args("--type contradicts the URI's type in '%s'", val);
            if (o->obj.kind == KIND_ANY)
                o->obj.kind = before;
            *used |= O_OBJ;
        } else if (strcmp(name, "--type") == 0) {
            enum obj_kind k;
            if (parse_kind(val, &k) != 0)
                return bad_args("--type '%s' must be private, public, cert, file or secret", val);
            if (o->obj.kind != KIND_ANY && o->obj.kind != k)
                return bad_args("--type '%s' contradicts the URI's type", val);
            o->obj.kind = k;
            *used |= O_OBJ;
        } else if (strcmp(name, "--in") == 0) {
            o->in = val;
            *used |= O_IN;
        } else if (strcmp(name, "--out") == 0) {
            o->out = val;
            *used |= O_OUT;
        } else if (strcmp(name, "--sig") == 0) {
            o->sig = val;
            *used |= O_SIG;
        } else if (strcmp(name, "--hash") == 0) {
            if (strcmp(val, "sha256") == 0)
                o->hash = IOTSAFE_HASH_SHA256;
            else if (strcmp(val, "sha384") == 0)
                o->hash = IOTSAFE_HASH_SHA384;
            else if (strcmp(val, "sha512") == 0)
                o->hash = IOTSAFE_HASH_SHA512;
            else
                return bad_args("--hash '%s' must be sha256, sha384 or sha512", val);
            *used |= O_HASH;
        } else if (strcmp(name, "--repeat") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long n = strtoul(val, &end, 10);
            if (errno || *end != '\0' || val[0] < '0' || val[0] > '9' || n == 0 || n > 100000)
                return bad_args("--repeat '%s' must be 1..100000", val);
            o->repeat = n;
            *used |= O_REPEAT;
        } else if (strcmp(name, "--interval") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long n = strtoul(val, &end, 10);
            if (errno || *end != '\0' || val[0] < '0' || val[0] > '9' || n > 60000)
                return bad_args("--interval '%s' must be 0..60000 (ms)", val);
            o->interval_ms = n;
            *used |= O_REPEAT;
        } else if (strcmp(name, "--stats") == 0) {
            o->stats = 1;
            *used |= O_REPEAT;
        } else if (strcmp(name, "--json") == 0) {
            o->json = 1;
            *used |= O_JSON;
        } else if (strcmp(name, "--readers") == 0) {
            o->readers = 1;
            *used |= O_READERS;
        } else if (strcmp(name, "--der") == 0) {
            o->der = 1;
            *used |= O_DER;
        } else {
            return bad_args("unknown option '%s'", a);
        }
    }
    if (!*cmd)
        return bad_args("%s", "no command given");
    if (o->modem != NULL && o->reader != NULL)
        return bad_args("%s", "--modem and --reader exclude each other");
    if (o->at_mode_given && o->modem == NULL)
        return bad_args("%s", "--at-mode needs --modem");
    return EXIT_OK;
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
    o.cla = IOTSAFE_CLA_AUTO;
    o.hash = IOTSAFE_HASH_SHA256;
    const command *cmd = NULL;
    unsigned used = 0;
    int rc = parse_args(argc, argv, &o, &cmd, &used);
    if (rc != EXIT_OK)
        return rc;
    if (used & ~cmd->allowed)
        return bad_args("an option given does not apply to '%s'", cmd->name);
    if (o.n_positional != cmd->positional)
        return cmd->positional ? bad_args("'%s' needs an argument", cmd->name)
                               : bad_args("'%s' takes no argument", cmd->name);
    if ((cmd->allowed & O_OBJ) && !o.obj.given)
        return bad_args("'%s' needs an object: --id, --label or --uri", cmd->name);
    return cmd->run(&o);
}
