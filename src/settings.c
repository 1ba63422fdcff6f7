/* SPDX-License-Identifier: Apache-2.0 */
/* Setting words shared by the provider and iotsafe-tool (see iotsafe/settings.h). */
#include "iotsafe/settings.h"

#include <stdlib.h>
#include <string.h>

#include "iotsafe/hex.h"

typedef struct word {
    const char *word;
    int value;
} word;

/* Index of s in a word table; -1 if absent. */
static int lookup(const word *w, size_t n, const char *s, int *value)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, w[i].word) == 0) {
            *value = w[i].value;
            return 0;
        }
    }
    return -1;
}

#define LOOKUP(table, s, v) lookup((table), sizeof(table) / sizeof((table)[0]), (s), (v))

int iotsafe_setting_bool(const char *s, int *out)
{
    static const word w[] = {{"yes", 1}, {"1", 1}, {"true", 1},  {"on", 1},
                             {"no", 0},  {"0", 0}, {"false", 0}, {"off", 0}};
    return LOOKUP(w, s, out);
}

int iotsafe_setting_cla(const char *s, iotsafe_cla_style *out)
{
    static const word w[] = {{"auto", IOTSAFE_CLA_AUTO},
                             {"proprietary", IOTSAFE_CLA_PROPRIETARY},
                             {"interindustry", IOTSAFE_CLA_INTERINDUSTRY}};
    int v;
    if (LOOKUP(w, s, &v) < 0)
        return -1;
    *out = (iotsafe_cla_style)v;
    return 0;
}

int iotsafe_setting_channel(const char *s, int *basic)
{
    static const word w[] = {{"logical", 0}, {"basic", 1}};
    return LOOKUP(w, s, basic);
}

int iotsafe_setting_channel_exhausted(const char *s, iotsafe_channel_exhausted *out)
{
    static const word w[] = {{"auto", IOTSAFE_EXHAUSTED_AUTO},
                             {"fail", IOTSAFE_EXHAUSTED_FAIL},
                             {"basic", IOTSAFE_EXHAUSTED_BASIC}};
    int v;
    if (LOOKUP(w, s, &v) < 0)
        return -1;
    *out = (iotsafe_channel_exhausted)v;
    return 0;
}

int iotsafe_setting_at_mode(const char *s, iotsafe_at_mode *out)
{
    static const word w[] = {{"csim", IOTSAFE_AT_CSIM}, {"cgla", IOTSAFE_AT_CGLA}};
    int v;
    if (LOOKUP(w, s, &v) < 0)
        return -1;
    *out = (iotsafe_at_mode)v;
    return 0;
}

int iotsafe_setting_seconds(const char *s, unsigned long *ms)
{
    /* digits[.digits], read by hand: strtod follows the program's locale and takes hex and exponents */
    unsigned long whole = 0, frac = 0, scale = 1000;
    size_t i = 0;
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        whole = whole * 10 + (unsigned long)(s[i] - '0');
        if (whole > 3600)
            return -1;
    }
    if (s[i] == '.') {
        if (s[++i] < '0' || s[i] > '9')
            return -1;
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
            scale /= 10; /* milliseconds: a fourth decimal and more count for nothing */
            frac += (unsigned long)(s[i] - '0') * scale;
        }
    }
    if (s[i] != '\0')
        return -1;
    unsigned long v = whole * 1000 + frac;
    if (v < 100 || v > 3600000)
        return -1;
    *ms = v;
    return 0;
}

int iotsafe_state_dir_plain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 150 || s[0] != '/' || (n > 1 && s[n - 1] == '/'))
        return 0;
    for (const char *p = s; *p != '\0'; p++) { /* each component: not empty, ".", ".." */
        if (*p != '/')
            continue;
        const char *q = p + 1;
        size_t len = strcspn(q, "/");
        if ((len == 0 && n > 1) || (len == 1 && q[0] == '.') ||
            (len == 2 && q[0] == '.' && q[1] == '.'))
            return 0;
    }
    return 1;
}

int iotsafe_setting_state_dir(const char *s, const char **out)
{
    if (s == NULL)
        return -1;
    size_t n = strlen(s);
    if (strcmp(s, "none") != 0 && !iotsafe_state_dir_plain(s))
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return -1;
    *out = s;
    return 0;
}

int iotsafe_setting_aid(const char *s, uint8_t out[16], size_t *len)
{
    uint8_t buf[16];
    size_t n = 0;
    if (iotsafe_hex_parse(s, " :", buf, sizeof(buf), &n) < 0 || n < 5)
        return -1;
    memcpy(out, buf, n);
    *len = n;
    return 0;
}

int iotsafe_setting_trace(const char *s, iotsafe_trace_setting *out)
{
    static const word w[] = {{"no", IOTSAFE_TRACE_OFF},    {"0", IOTSAFE_TRACE_OFF},
                             {"off", IOTSAFE_TRACE_OFF},   {"false", IOTSAFE_TRACE_OFF},
                             {"yes", IOTSAFE_TRACE_APDU},  {"1", IOTSAFE_TRACE_APDU},
                             {"on", IOTSAFE_TRACE_APDU},   {"true", IOTSAFE_TRACE_APDU},
                             {"apdu", IOTSAFE_TRACE_APDU}, {"debug", IOTSAFE_TRACE_DEBUG}};
    char level[8];
    const char *colon = s != NULL ? strchr(s, ':') : NULL;
    size_t n = colon != NULL ? (size_t)(colon - s) : s != NULL ? strlen(s) : 0;
    int v;
    if (s == NULL || n >= sizeof(level))
        return -1;
    memcpy(level, s, n);
    level[n] = '\0';
    if (LOOKUP(w, level, &v) < 0)
        return -1;
    /* a file goes with a level that writes something */
    if (colon != NULL && (colon[1] == '\0' || v == IOTSAFE_TRACE_OFF))
        return -1;
    out->level = (iotsafe_trace_level)v;
    out->file = colon != NULL ? colon + 1 : NULL;
    return 0;
}
