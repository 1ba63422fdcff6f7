/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module's settings: the provider's words (libiotsafe's options), from
 * the file IOTSAFE_PKCS11_CONF names (default /etc/iotsafe/pkcs11.conf, read
 * when it exists), overridden by the IOTSAFE_* environment variables. A bad
 * setting is said once, at C_Initialize, which then fails: a module that
 * worked with settings other than those written would be worse.
 */
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

/* key = value lines, # comments; unknown keys and lines without '=' are errors. */
static CK_RV load_file(iotsafe_options *o, const char *path, int named)
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
    char line[P11_CONF_LINE_MAX + 2];
    CK_RV rv = CKR_OK;
    for (int no = 1; rv == CKR_OK && fgets(line, sizeof(line), f) != NULL; no++) {
        char origin[IOTSAFE_ESCAPED_SIZE(128) + 64], ek[IOTSAFE_ESCAPED_SIZE(40)];
        if (no > P11_CONF_LINES_MAX || (strlen(line) > P11_CONF_LINE_MAX && !feof(f))) {
            p11_log("%s line %d: too long a file or line; the module is unusable until this "
                    "is fixed",
                    iotsafe_escape_str(path, e, sizeof(e)), no);
            rv = CKR_FUNCTION_FAILED;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            p11_log("%s line %d: expected 'key = value'; the module is unusable until this is "
                    "fixed",
                    iotsafe_escape_str(path, e, sizeof(e)), no);
            rv = CKR_FUNCTION_FAILED;
            break;
        }
        *eq = '\0';
        const char *key = trim(s), *val = trim(eq + 1);
        int which = iotsafe_option_lookup(key);
        if (which < 0) {
            p11_log("%s line %d: unknown setting '%s'; the module is unusable until this is fixed",
                    iotsafe_escape_str(path, e, sizeof(e)), no,
                    iotsafe_escape_str(key, ek, sizeof(ek)));
            rv = CKR_FUNCTION_FAILED;
            break;
        }
        iotsafe_escape_str(path, e, sizeof(e));
        snprintf(origin, sizeof(origin), "'%s' in %s line %d", key, e, no);
        rv = apply(o, (iotsafe_option)which, val, origin);
    }
    fclose(f);
    return rv;
}

CK_RV p11_settings_load(iotsafe_options *o)
{
    const char *path = getenv("IOTSAFE_PKCS11_CONF");
    const int named = path != NULL && path[0] != '\0';
    CK_RV rv = load_file(o, named ? path : P11_CONF_DEFAULT, named);
    for (int i = 0; rv == CKR_OK && i < IOTSAFE_OPT_N; i++) {
        const char *env = getenv(iotsafe_option_env((iotsafe_option)i));
        char origin[96];
        /* empty means unset, as for the provider */
        if (env == NULL || env[0] == '\0')
            continue;
        snprintf(origin, sizeof(origin), "environment variable %s",
                 iotsafe_option_env((iotsafe_option)i));
        rv = apply(o, (iotsafe_option)i, env, origin);
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
    return rv;
}
