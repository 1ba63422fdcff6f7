/* SPDX-License-Identifier: Apache-2.0 */
#include "simtest.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir_buf[256];
static char *owned[64];
static size_t n_owned;

const char *t_dir(void)
{
    if (dir_buf[0] == '\0') {
        snprintf(dir_buf, sizeof dir_buf, "/tmp/iotsafe-simtest-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir_buf));
    }
    return dir_buf;
}

/* The test directory is flat: remove its files, then it. */
void t_cleanup(void)
{
    if (dir_buf[0]) {
        DIR *d = opendir(dir_buf);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char p[600];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir_buf, e->d_name);
            unlink(p);
        }
        if (d)
            closedir(d);
        rmdir(dir_buf);
    }
    dir_buf[0] = '\0';
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    n_owned = 0;
}

static const char *own(char *s)
{
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_lt(n_owned, sizeof owned / sizeof owned[0]);
    owned[n_owned++] = s;
    return s;
}

const char *t_write(const char *name, const char *text)
{
    char *p = malloc(512);
    snprintf(p, 512, "%s/%s", t_dir(), name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return own(p);
}

const char *t_data(const char *name)
{
    char *p = malloc(512);
    snprintf(p, 512, "%s/%s", TEST_DATA_DIR, name);
    return own(p);
}

const char *t_card_conf(void)
{
    return t_data("card.conf");
}

static sim_applet *new_v(const char *conf, const char *state, int fresh, va_list ap)
{
    const char *ov[32];
    size_t n = 0;
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL && n < 32)
        ov[n++] = s;
    char err[512] = "";
    sim_applet *a = sim_applet_new(conf, state, fresh, ov, n, err, sizeof err);
    ck_assert_msg(a != NULL, "sim_applet_new: %s", err);
    return a;
}

sim_applet *t_new(const char *conf, ...)
{
    char state[512];
    snprintf(state, sizeof state, "%s/state", t_dir());
    va_list ap;
    va_start(ap, conf);
    sim_applet *a = new_v(conf, state, 1, ap);
    va_end(ap);
    return a;
}

sim_applet *t_new_state(const char *conf, const char *state, int fresh, ...)
{
    va_list ap;
    va_start(ap, fresh);
    sim_applet *a = new_v(conf, state, fresh, ap);
    va_end(ap);
    return a;
}

sim_applet *t_ready(const char *first, ...)
{
    const char *ov[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s != NULL && n < 32; s = va_arg(ap, const char *))
        ov[n++] = s;
    va_end(ap);
    char err[512] = "", state[512];
    snprintf(state, sizeof state, "%s/state", t_dir());
    sim_applet *a = sim_applet_new(t_card_conf(), state, 1, ov, n, err, sizeof err);
    ck_assert_msg(a != NULL, "sim_applet_new: %s", err);
    t_expect(a, "00 70 00 00 01", "01 9000");
    t_expect(a, "01 A4 04 00 07 A0 00 00 05 59 00 10", "9000");
    return a;
}

size_t t_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p == ' ' || *p == '\n' || *p == '|')
            continue;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            ck_abort_msg("bad hex char '%c' in %s", *p, hex);
        if (hi < 0) {
            hi = v;
        } else {
            ck_assert_uint_lt(n, cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    ck_assert_msg(hi < 0, "odd hex length: %s", hex);
    return n;
}

void t_hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", p[i]);
    out[2 * n] = '\0';
}

uint16_t t_send(sim_applet *a, const char *hex, uint8_t *out, size_t *out_len)
{
    uint8_t cmd[600], resp[600];
    size_t n = t_unhex(hex, cmd, sizeof cmd), rl = sizeof resp;
    ck_assert_int_eq(sim_applet_process(a, cmd, n, resp, &rl), 0);
    ck_assert_uint_ge(rl, 2);
    if (out) {
        memcpy(out, resp, rl - 2);
        *out_len = rl - 2;
    }
    return (uint16_t)(resp[rl - 2] << 8 | resp[rl - 1]);
}

void t_expect_at(sim_applet *a, const char *cmd, const char *resp, const char *file, int line)
{
    uint8_t c[600], want[600], got[600];
    size_t n = t_unhex(cmd, c, sizeof c), wn = t_unhex(resp, want, sizeof want), gn = sizeof got;
    ck_assert_int_eq(sim_applet_process(a, c, n, got, &gn), 0);
    if (gn != wn || memcmp(got, want, gn) != 0) {
        char g[1300], w[1300];
        t_hex(got, gn, g);
        t_hex(want, wn, w);
        ck_abort_msg("%s:%d: %s: got %s want %s", file, line, cmd, g, w);
    }
}

size_t t_sw_at(sim_applet *a, const char *cmd, uint16_t sw, const char *file, int line)
{
    uint8_t data[600];
    size_t n = 0;
    uint16_t got = t_send(a, cmd, data, &n);
    ck_assert_msg(got == sw, "%s:%d: %s: SW %04X, want %04X", file, line, cmd, got, sw);
    return n;
}
