/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module's settings: the provider's words (libiotsafe's options), from
 * the file IOTSAFE_PKCS11_CONF names (default /etc/iotsafe/pkcs11.conf, read
 * when it exists), overridden by the IOTSAFE_* environment variables (none of
 * them in a set-user-ID or set-group-ID program, such as ssh-agent or a PAM
 * stack under su: there they would let the caller name files and devices). A bad
 * setting is said once, at C_Initialize, which then fails: a module that
 * worked with settings other than those written would be worse.
 */
#define _GNU_SOURCE /* secure_getenv */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p11.h"

#define P11_CONF_DEFAULT "/etc/iotsafe/pkcs11.conf"
#define P11_CONF_LINE_MAX 1024
#define P11_CONF_LINES_MAX 256

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Say a bad value (escaped: it is the user's text) and where it came from. */
static void bad_value(iotsafe_option which, const char *v, const char *origin)
{
    char e[IOTSAFE_ESCAPED_SIZE(64)];
    p11_log("bad value '%s' for %s (%s); the module is unusable until this is fixed",
            iotsafe_escape_str(v, e, sizeof(e)), origin, iotsafe_option_words(which));
}

static CK_RV apply(iotsafe_options *o, iotsafe_option which, const char *v, const char *origin)
{
    int r = iotsafe_options_set(o, which, v);
    if (r == 0)
        return CKR_HOST_MEMORY;
    if (r < 0) {
        bad_value(which, v, origin);
        return CKR_FUNCTION_FAILED;
    }
    return CKR_OK;
}

/* Say a problem with the file at line no and fail. */
static CK_RV file_problem(const char *name, int no, const char *what)
{
    char e[IOTSAFE_ESCAPED_SIZE(128)];
    p11_log("%s line %d: %s; the module is unusable until this is fixed",
            iotsafe_escape_str(name, e, sizeof(e)), no, what);
    return CKR_FUNCTION_FAILED;
}

CK_RV p11_settings_parse(iotsafe_options *o, const char *text, size_t len, const char *name)
{
    char e[IOTSAFE_ESCAPED_SIZE(128)];
    iotsafe_escape_str(name, e, sizeof(e));
    size_t pos = 0;
    for (int no = 1; pos < len; no++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        const size_t n = (nl != NULL ? (size_t)(nl - text) : len) - pos;
        char line[P11_CONF_LINE_MAX + 1], ek[IOTSAFE_ESCAPED_SIZE(40)];
        char origin[IOTSAFE_ESCAPED_SIZE(128) + 64];
        if (no > P11_CONF_LINES_MAX)
            return file_problem(name, no, "too many lines");
        if (n > P11_CONF_LINE_MAX)
            return file_problem(name, no, "too long a line");
        if (memchr(text + pos, '\0', n) != NULL)
            return file_problem(name, no, "a NUL byte");
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + 1;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL)
            return file_problem(name, no, "expected 'key = value'");
        *eq = '\0';
        const char *key = trim(s), *val = trim(eq + 1);
        int which = iotsafe_option_lookup(key);
        if (which < 0) {
            p11_log("%s line %d: unknown setting '%s'; the module is unusable until this is fixed",
                    e, no, iotsafe_escape_str(key, ek, sizeof(ek)));
            return CKR_FUNCTION_FAILED;
        }
        snprintf(origin, sizeof(origin), "'%s' in %s line %d", key, e, no);
        CK_RV rv = apply(o, (iotsafe_option)which, val, origin);
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}

/* The file whole (bounded), then its lines. */
static CK_RV load_file(iotsafe_options *o, const char *path, int named, int *read)
{
    char e[IOTSAFE_ESCAPED_SIZE(128)];
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (!named && errno == ENOENT)
            return CKR_OK; /* the default file is optional */
        p11_log("cannot read the configuration file '%s': %s; the module is unusable until "
                "this is fixed",
                iotsafe_escape_str(path, e, sizeof(e)), strerror(errno));
        return CKR_FUNCTION_FAILED;
    }
    static const size_t cap = P11_CONF_LINES_MAX * (P11_CONF_LINE_MAX + 1);
    char *text = malloc(cap + 1);
    if (text == NULL) {
        fclose(f);
        return CKR_HOST_MEMORY;
    }
    *read = 1;
    const size_t len = fread(text, 1, cap + 1, f);
    const int failed = ferror(f);
    fclose(f);
    CK_RV rv;
    if (failed)
        rv = file_problem(path, 1, "cannot be read");
    else if (len > cap)
        rv = file_problem(path, P11_CONF_LINES_MAX, "too long a file");
    else
        rv = p11_settings_parse(o, text, len, path);
    free(text);
    return rv;
}

CK_RV p11_settings_load(iotsafe_options *o)
{
    const char *path = secure_getenv("IOTSAFE_PKCS11_CONF");
    const int named = path != NULL && path[0] != '\0';
    int read = 0;
    if (!named)
        path = P11_CONF_DEFAULT;
    CK_RV rv = load_file(o, path, named, &read);
    char applied[512] = "";
    for (int i = 0; rv == CKR_OK && i < IOTSAFE_OPT_N; i++) {
        const char *env = secure_getenv(iotsafe_option_env((iotsafe_option)i));
        char origin[96];
        /* empty means unset, as for the provider */
        if (env == NULL || env[0] == '\0')
            continue;
        snprintf(origin, sizeof(origin), "environment variable %s",
                 iotsafe_option_env((iotsafe_option)i));
        rv = apply(o, (iotsafe_option)i, env, origin);
        size_t used = strlen(applied);
        snprintf(applied + used, sizeof(applied) - used, "%s%s", used > 0 ? ", " : "",
                 iotsafe_option_env((iotsafe_option)i));
    }
    if (rv == CKR_OK && o->trace_file != NULL) {
        char e[IOTSAFE_ESCAPED_SIZE(128)];
        p11_g.log = fopen(o->trace_file, "ae");
        if (p11_g.log == NULL) {
            p11_log("cannot open the trace file '%s': %s; the module is unusable until this is "
                    "fixed",
                    iotsafe_escape_str(o->trace_file, e, sizeof(e)), strerror(errno));
            rv = CKR_FUNCTION_FAILED;
        } else {
            setvbuf(p11_g.log, NULL, _IOLBF, 0);
        }
    }
    if (rv == CKR_OK) {
        char e[IOTSAFE_ESCAPED_SIZE(128)];
        p11_debug("settings: file %s%s; environment: %s", iotsafe_escape_str(path, e, sizeof(e)),
                  read ? "" : " (absent)", applied[0] != '\0' ? applied : "none");
    }
    return rv;
}
