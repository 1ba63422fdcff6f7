/* SPDX-License-Identifier: Apache-2.0 */
/* Messages, exit codes, hex and file helpers for iotsafe-tool. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

void tool_err(const char *fmt, ...)
{
    va_list ap;
    fputs("iotsafe-tool: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int tool_exit_code(iotsafe_rc rc, uint16_t sw)
{
    switch (rc) {
    case IOTSAFE_OK:
        return EXIT_OK;
    case IOTSAFE_E_INVALID_ARG:
        return EXIT_BAD_ARGS;
    case IOTSAFE_E_NO_SERVICE:
    case IOTSAFE_E_NO_READER:
        return EXIT_NO_READER;
    case IOTSAFE_E_NO_CARD:
        return EXIT_NO_CARD;
    case IOTSAFE_E_NO_APPLET:
        return EXIT_NO_APPLET;
    case IOTSAFE_E_NOT_FOUND:
        return EXIT_NOT_FOUND;
    case IOTSAFE_E_USAGE:
        return EXIT_USAGE_REFUSED;
    case IOTSAFE_E_MALFORMED:
        return EXIT_MALFORMED;
    case IOTSAFE_E_CARD_REMOVED:
    case IOTSAFE_E_CARD_RESET:
    case IOTSAFE_E_TRANSPORT:
    case IOTSAFE_E_TIMEOUT:
        return EXIT_CARD_LOST;
    case IOTSAFE_E_SIG_MISMATCH:
        return EXIT_SIG_MISMATCH;
    case IOTSAFE_E_SW:
        /* Status words the library left generic still have a precise meaning here. */
        if (sw == 0x6985 || sw == 0x6982)
            return EXIT_USAGE_REFUSED;
        if (sw == 0x6A82 || sw == 0x6A88)
            return EXIT_NOT_FOUND;
        return EXIT_FAILURE_OTHER;
    case IOTSAFE_E_NOMEM:
    case IOTSAFE_E_BUFFER:
    case IOTSAFE_E_UNSUPPORTED:
        return EXIT_FAILURE_OTHER;
    }
    return EXIT_FAILURE_OTHER;
}

/* The category a user reads first; the library's message follows it. */
static const char *category(int code, iotsafe_rc rc)
{
    switch (code) {
    case EXIT_NO_READER:
        return rc == IOTSAFE_E_NO_SERVICE ? "no PC/SC service (is pcscd running?)" : "no reader";
    case EXIT_NO_CARD:
        return "no card in the reader";
    case EXIT_NO_APPLET:
        return "IoT SAFE applet not found on the card (SELECT answered 6A82)";
    case EXIT_NOT_FOUND:
        return "unknown object";
    case EXIT_USAGE_REFUSED:
        return "usage refused by the card";
    case EXIT_MALFORMED:
        return "malformed card answer";
    case EXIT_CARD_LOST:
        if (rc == IOTSAFE_E_CARD_REMOVED)
            return "card removed";
        if (rc == IOTSAFE_E_CARD_RESET)
            return "card reset";
        return "card communication failed";
    case EXIT_SIG_MISMATCH:
        return "signature mismatch";
    case EXIT_BAD_ARGS:
        return "invalid argument";
    default:
        return "card error";
    }
}

int tool_fail(iotsafe_rc rc, const iotsafe_status *st, const char *what)
{
    uint16_t sw = st ? st->sw : 0;
    int code = tool_exit_code(rc, sw);
    const char *detail = (st && st->msg[0]) ? st->msg : iotsafe_rc_str(rc);
    const char *cat = category(code, rc);
    size_t catlen = strlen(cat);
    /* The library's message may start with the same words: say them once. */
    if (strncmp(detail, cat, catlen) == 0 && detail[catlen] == ':' && detail[catlen + 1] == ' ')
        detail += catlen + 2;
    char swtxt[8];
    snprintf(swtxt, sizeof swtxt, "%04X", (unsigned)sw);
    /* Context the library's message already names is not repeated. */
    if (strstr(detail, what) != NULL) {
        if (sw != 0 && strstr(detail, swtxt) == NULL)
            tool_err("%s: %s (SW %s %s)", cat, detail, swtxt, iotsafe_sw_str(sw));
        else
            tool_err("%s: %s", cat, detail);
        return code;
    }
    /* Name the status word unless the library's message already does. */
    if (sw != 0 && strstr(detail, swtxt) == NULL)
        tool_err("%s: %s: %s (SW %s %s)", cat, what, detail, swtxt, iotsafe_sw_str(sw));
    else
        tool_err("%s: %s: %s", cat, what, detail);
    return code;
}

char *tool_hex(const uint8_t *buf, size_t len)
{
    char *s = malloc(2 * len + 1);
    if (s != NULL)
        iotsafe_hex_format_lower(buf, len, s, 2 * len + 1);
    return s;
}

/* A file name the user gave, quoted in a message. */
#define ESC_PATH(p) TOOL_ESC(p)

int tool_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        tool_err("cannot open %s: %s", ESC_PATH(path), strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        tool_err("out of memory");
        if (f != stdin)
            fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *nb = cap > (size_t)64 << 20 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                tool_err("%s: too large", ESC_PATH(path));
                free(buf);
                if (f != stdin)
                    fclose(f);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        tool_err("cannot read %s", ESC_PATH(path));
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

int tool_write_output(const char *path, const uint8_t *data, size_t len)
{
    int to_stdout = path == NULL || strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    if (!f) {
        tool_err("cannot create %s: %s", ESC_PATH(path), strerror(errno));
        return EXIT_IO;
    }
    int bad = len > 0 && fwrite(data, 1, len, f) != len;
    if (to_stdout)
        bad |= fflush(f) != 0;
    else
        bad |= fclose(f) != 0;
    if (bad) {
        tool_err("cannot write %s", to_stdout ? "standard output" : ESC_PATH(path));
        return EXIT_IO;
    }
    return EXIT_OK;
}

int tool_key_curve(const iotsafe_object *key, const iotsafe_object *pair, iotsafe_curve dflt,
                   iotsafe_curve *curve)
{
    const iotsafe_object *keys[2] = {key, pair}, *typed = NULL;
    for (size_t i = 0; i < 2; i++) {
        if (keys[i] == NULL || !(keys[i]->present & IOTSAFE_HAS_KEY_TYPE))
            continue;
        *curve = iotsafe_key_type_curve(keys[i]->key_type);
        if (*curve != IOTSAFE_CURVE_NONE)
            return EXIT_OK;
        if (typed == NULL)
            typed = keys[i];
    }
    if (typed != NULL) {
        tool_err("unsupported key type: key type 0x%02X of %s is not an EC key this tool can use",
                 typed->key_type, TOOL_OBJ(typed));
        return EXIT_FAILURE_OTHER;
    }
    if (dflt == IOTSAFE_CURVE_NONE) {
        tool_err("unsupported key type: the card gives no key type for %s, so the tool cannot use "
                 "it as an EC key",
                 TOOL_OBJ(key));
        return EXIT_FAILURE_OTHER;
    }
    *curve = dflt;
    return EXIT_OK;
}

const char *tool_type_name(iotsafe_obj_type t)
{
    switch (t) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        return "private-key";
    case IOTSAFE_OBJ_PUBLIC_KEY:
        return "public-key";
    case IOTSAFE_OBJ_FILE:
        return "file";
    case IOTSAFE_OBJ_SECRET_KEY:
        return "secret-key";
    }
    return "unknown";
}

const char *tool_usage_name(uint8_t usage)
{
    switch (usage) {
    case IOTSAFE_USAGE_GENERAL:
        return "general";
    case IOTSAFE_USAGE_TLS12_CV:
        return "tls1.2-cv";
    case IOTSAFE_USAGE_TLS13_CV:
        return "tls1.3-cv";
    default:
        return "other";
    }
}

const char *tool_key_type_name(uint8_t key_type)
{
    switch (key_type) {
    case IOTSAFE_KEYTYPE_RSA2048:
        return "rsa2048";
    case IOTSAFE_KEYTYPE_P256:
        return "prime256v1";
    case IOTSAFE_KEYTYPE_P256_VOLATILE:
        return "prime256v1-volatile";
    case IOTSAFE_KEYTYPE_BP256:
        return "brainpoolP256r1";
    case IOTSAFE_KEYTYPE_BP256_VOLATILE:
        return "brainpoolP256r1-volatile";
    case IOTSAFE_KEYTYPE_HMAC:
        return "hmac";
    default:
        return "other";
    }
}

int tool_print_line(char *s)
{
    if (s == NULL) {
        tool_err("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    printf("%s\n", s);
    free(s);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}
