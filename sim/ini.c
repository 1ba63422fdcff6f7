/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Line reader for the INI-style provisioning and state files:
 * "[type name]" section headers, "key = value" lines, '#'/';' comment lines.
 * Works on a private copy of the text, splitting it in place.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

int sim_ini_open(sim_ini *r, const char *text, size_t len)
{
    if (memchr(text, '\0', len) != NULL)
        return -1; /* binary data is never a valid text file */
    r->buf = malloc(len + 1);
    if (r->buf == NULL)
        return -1;
    memcpy(r->buf, text, len);
    r->buf[len] = '\0';
    r->p = r->buf;
    r->line = 0;
    return 0;
}

void sim_ini_close(sim_ini *r)
{
    free(r->buf);
    r->buf = r->p = NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int sim_ini_next(sim_ini *r, sim_ini_item *it)
{
    for (;;) {
        if (*r->p == '\0')
            return SIM_INI_END;
        char *line = r->p, *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
            r->p = nl + 1;
        } else {
            r->p = line + strlen(line);
        }
        r->line++;
        it->line = r->line;
        line = trim(line);
        if (*line == '\0' || *line == '#' || *line == ';')
            continue;
        if (*line == '[') {
            size_t n = strlen(line);
            if (line[n - 1] != ']') {
                it->error = "section header without ']'";
                return SIM_INI_ERROR;
            }
            line[n - 1] = '\0';
            char *body = trim(line + 1), *sp = body;
            while (*sp && *sp != ' ' && *sp != '\t')
                sp++;
            it->name = NULL;
            if (*sp) {
                *sp = '\0';
                it->name = trim(sp + 1);
            }
            it->type = body;
            if (*body == '\0') {
                it->error = "empty section header";
                return SIM_INI_ERROR;
            }
            return SIM_INI_SECTION;
        }
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            it->error = "expected 'key = value'";
            return SIM_INI_ERROR;
        }
        *eq = '\0';
        it->key = trim(line);
        it->value = trim(eq + 1);
        if (*it->key == '\0') {
            it->error = "missing key before '='";
            return SIM_INI_ERROR;
        }
        for (const char *k = it->key; *k; k++) {
            if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) && *k != '-') {
                it->error = "bad character in key";
                return SIM_INI_ERROR;
            }
        }
        if (*it->value == '\0') {
            it->error = "empty value";
            return SIM_INI_ERROR;
        }
        return SIM_INI_KEY;
    }
}
