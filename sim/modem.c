/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated modem: reads AT command lines from the master side of a
 * pseudo-terminal and answers like a 3GPP TS 27.007 modem with the applet as
 * its SIM. AT+CSIM passes APDUs unchanged (61xx included, as real modems do);
 * AT+CCHO opens a logical channel and selects the AID itself and hands out a
 * session id (counted up, so it is not the channel number); AT+CGLA puts the
 * session's channel into the CLA byte; AT+CCHC closes the channel.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "modem.h"

#define LINE_MAX_CHARS 1200 /* AT+CGLA with a 261-byte APDU is ~540 characters */
#define MAX_SESSIONS 19
#define APDU_MAX 261
#define RESP_MAX 300
#define WRITE_WAIT_MS 1000

typedef struct modem_session {
    unsigned long id;
    uint8_t channel;
} modem_session;

typedef struct modem {
    sim_applet *a;
    const sim_modem_opts *o;
    int master;
    int echo;
    char line[LINE_MAX_CHARS + 1];
    size_t line_len;
    int overflow;
    modem_session sess[MAX_SESSIONS];
    size_t n_sess;
    unsigned long next_id;
    char last_answer[2 * RESP_MAX + 32]; /* for the "repeated earlier answer" noise */
} modem;

/* Write everything, waiting a little when the client does not read; then give up on it. */
static void out(modem *m, const char *s, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(m->master, s + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = m->master, .events = POLLOUT};
            if (poll(&p, 1, WRITE_WAIT_MS) > 0)
                continue;
        }
        fprintf(stderr, "iotsafe-sim: modem: client does not read, answer dropped\n");
        return;
    }
}

static void out_line(modem *m, const char *s)
{
    out(m, "\r\n", 2);
    out(m, s, strlen(s));
    out(m, "\r\n", 2);
}

static void out_cme(modem *m, int code)
{
    char b[32];
    snprintf(b, sizeof b, "+CME ERROR: %d", code);
    out_line(m, b);
}

static size_t card(modem *m, const uint8_t *cmd, size_t n, uint8_t *resp)
{
    size_t rl = RESP_MAX;
    if (m->o->verbose)
        sim_log_hex(">", cmd, n);
    if (sim_applet_process(m->a, cmd, n, resp, &rl) != 0 || rl < 2) {
        resp[0] = 0x6F;
        resp[1] = 0x00;
        rl = 2;
    }
    if (m->o->verbose)
        sim_log_hex("<", resp, rl);
    return rl;
}

static const char *skip_sp(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* Decimal number; NULL when there is none. */
static const char *parse_ul(const char *s, unsigned long *v)
{
    s = skip_sp(s);
    if (!isdigit((unsigned char)*s))
        return NULL;
    unsigned long x = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        if (++digits > 9)
            return NULL;
        x = x * 10 + (unsigned long)(*s++ - '0');
    }
    *v = x;
    return s;
}

/* ',' with optional spaces around; NULL when absent. */
static const char *comma(const char *s)
{
    s = skip_sp(s);
    return *s == ',' ? skip_sp(s + 1) : NULL;
}

/* Hex in optional quotes up to the end of the line; -1 on bad syntax or too long. */
static long parse_hex_arg(const char *s, uint8_t *outb, size_t cap, size_t *digits)
{
    s = skip_sp(s);
    int q = *s == '"';
    if (q)
        s++;
    size_t n = 0, len;
    while (sim_hex_digit(s[n]) >= 0)
        n++;
    const char *e = s + n;
    if (q) {
        if (*e != '"')
            return -1;
        e++;
    }
    if (*skip_sp(e) != '\0' || sim_hex_decode_n(s, n, outb, cap, &len) != 0)
        return -1;
    *digits = n;
    return (long)len;
}

/* "+CSIM: <m>,"HEX"" then OK, with the noise option first. */
static void answer_apdu(modem *m, const char *prefix, const uint8_t *resp, size_t rl)
{
    char b[sizeof m->last_answer];
    int k = snprintf(b, sizeof b, "%s: %zu,%s", prefix, 2 * rl, m->o->unquoted ? "" : "\"");
    size_t n = (size_t)k;
    for (size_t i = 0; i < rl && n + 4 < sizeof b; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "%02X", resp[i]);
    if (!m->o->unquoted)
        b[n++] = '"';
    b[n] = '\0';
    if (m->o->noise) {
        out_line(m, "+CREG: 1");
        if (m->last_answer[0] != '\0')
            out_line(m, m->last_answer);
    }
    out_line(m, b);
    out_line(m, "OK");
    memcpy(m->last_answer, b, n + 1);
}

static modem_session *find_session(modem *m, unsigned long id)
{
    for (size_t i = 0; i < m->n_sess; i++)
        if (m->sess[i].id == id)
            return &m->sess[i];
    return NULL;
}

/* CLA for a channel: keep the class (proprietary bit) and chaining; the modem owns the channel bits. */
static uint8_t channel_cla(uint8_t cla, uint8_t ch)
{
    uint8_t keep = (uint8_t)(cla & 0x90);
    if (ch <= 3)
        return (uint8_t)(keep | ch);
    return (uint8_t)(keep | 0x40 | (ch - 4));
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

static void close_channel(modem *m, uint8_t ch)
{
    uint8_t cmd[4] = {0x00, 0x70, 0x80, ch}, resp[RESP_MAX];
    (void)card(m, cmd, sizeof cmd, resp);
}

static void do_ccho(modem *m, const char *arg)
{
    uint8_t aid[16], cmd[5 + 16], resp[RESP_MAX];
    size_t digits;
    long n = parse_hex_arg(arg, aid, sizeof aid, &digits);
    if (n < 5) {
        out_cme(m, 50);
        return;
    }
    if (m->n_sess == MAX_SESSIONS) {
        out_cme(m, 100);
        return;
    }
    const uint8_t open_cmd[5] = {0x00, 0x70, 0x00, 0x00, 0x01};
    size_t rl = card(m, open_cmd, sizeof open_cmd, resp);
    if (rl != 3 || sw_of(resp, rl) != 0x9000 || resp[0] == 0) {
        out_cme(m, 100); /* no free channel */
        return;
    }
    uint8_t ch = resp[0];
    cmd[0] = channel_cla(0x00, ch);
    cmd[1] = 0xA4;
    cmd[2] = 0x04;
    cmd[3] = 0x00;
    cmd[4] = (uint8_t)n;
    memcpy(cmd + 5, aid, (size_t)n);
    rl = card(m, cmd, 5 + (size_t)n, resp);
    uint16_t sw = sw_of(resp, rl);
    /* an FCI stays inside the modem */
    for (int i = 0; i < 8 && (sw >> 8) == 0x61; i++) {
        const uint8_t gr[5] = {channel_cla(0x00, ch), 0xC0, 0x00, 0x00, (uint8_t)sw};
        rl = card(m, gr, sizeof gr, resp);
        sw = sw_of(resp, rl);
    }
    if (sw != 0x9000 && (sw >> 8) != 0x91) {
        close_channel(m, ch);
        out_cme(m, 3);
        return;
    }
    modem_session *s = &m->sess[m->n_sess++];
    s->id = m->next_id++;
    s->channel = ch;
    char b[40];
    snprintf(b, sizeof b, "+CCHO: %lu", s->id);
    out_line(m, b);
    out_line(m, "OK");
}

/* "<length>,HEX", length counting the hex digits: the APDU size, or -1 after +CME ERROR: 50. */
static long apdu_arg(modem *m, const char *s, uint8_t cmd[APDU_MAX])
{
    unsigned long len;
    size_t digits;
    s = parse_ul(s, &len);
    if (s != NULL)
        s = comma(s);
    long n = s != NULL ? parse_hex_arg(s, cmd, APDU_MAX, &digits) : -1;
    if (n < 4 || digits != len) {
        out_cme(m, 50);
        return -1;
    }
    return n;
}

/* The session an AT+CGLA or AT+CCHC names; NULL after +CME ERROR: 21. */
static modem_session *session_arg(modem *m, unsigned long id)
{
    modem_session *ss = find_session(m, id);
    if (ss == NULL)
        out_cme(m, 21);
    return ss;
}

static void do_cgla(modem *m, const char *arg)
{
    unsigned long id;
    uint8_t cmd[APDU_MAX], resp[RESP_MAX];
    const char *s = parse_ul(arg, &id);
    if (s == NULL || (s = comma(s)) == NULL) {
        out_cme(m, 50);
        return;
    }
    long n = apdu_arg(m, s, cmd);
    modem_session *ss = n < 0 ? NULL : session_arg(m, id);
    if (ss == NULL)
        return;
    cmd[0] = channel_cla(cmd[0], ss->channel);
    size_t rl = card(m, cmd, (size_t)n, resp);
    answer_apdu(m, "+CGLA", resp, rl);
}

static void do_cchc(modem *m, const char *arg)
{
    unsigned long id;
    const char *s = parse_ul(arg, &id);
    if (s == NULL || *skip_sp(s) != '\0') {
        out_cme(m, 50);
        return;
    }
    modem_session *ss = session_arg(m, id);
    if (ss == NULL)
        return;
    close_channel(m, ss->channel);
    *ss = m->sess[--m->n_sess];
    out_line(m, "OK");
}

static void do_csim(modem *m, const char *arg)
{
    uint8_t cmd[APDU_MAX], resp[RESP_MAX];
    long n = apdu_arg(m, arg, cmd);
    if (n < 0)
        return;
    size_t rl = card(m, cmd, (size_t)n, resp);
    answer_apdu(m, "+CSIM", resp, rl);
}

/* Case-insensitive "name" followed by "=" (returns the argument) or end of line ("" as arg). */
static const char *cmd_is(const char *line, const char *name, int *query)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) != 0)
        return NULL;
    *query = strcmp(line + n, "=?") == 0;
    if (*query)
        return line + n;
    if (line[n] == '=')
        return line + n + 1;
    return NULL;
}

/* The extended commands with an argument; "NAME=?" answers OK for each. */
static const struct {
    const char *name;
    void (*run)(modem *m, const char *arg);
} at_cmds[] = {
    {"AT+CSIM", do_csim},
    {"AT+CCHO", do_ccho},
    {"AT+CGLA", do_cgla},
    {"AT+CCHC", do_cchc},
};

static void handle_line(modem *m, const char *line)
{
    int query = 0;
    const char *arg;
    if (m->o->verbose) {
        /* the command name only: the arguments carry APDUs, logged by card() */
        size_t k = strcspn(line, "=");
        fprintf(stderr, "iotsafe-sim: modem %.*s%s\n", (int)(k > 16 ? 16 : k), line,
                strcmp(line + k, "=?") == 0 ? "=?" : "");
    }
    if (strcasecmp(line, "AT") == 0) {
        out_line(m, "OK");
    } else if (strcasecmp(line, "ATE0") == 0 || strcasecmp(line, "ATE") == 0) {
        m->echo = 0;
        out_line(m, "OK");
    } else if (strcasecmp(line, "ATE1") == 0) {
        m->echo = 1;
        out_line(m, "OK");
    } else if (strcasecmp(line, "ATI") == 0) {
        out_line(m, "IoT SAFE simulator modem");
        out_line(m, "OK");
    } else {
        for (size_t i = 0; i < sizeof at_cmds / sizeof at_cmds[0]; i++) {
            if ((arg = cmd_is(line, at_cmds[i].name, &query)) == NULL)
                continue;
            if (query) /* "AT+CSIM=?": supported */
                out_line(m, "OK");
            else
                at_cmds[i].run(m, arg);
            return;
        }
        out_line(m, "ERROR");
    }
}

/* Bytes from the terminal: echo them if asked, cut lines at CR (a LF alone also ends one). */
static void feed(modem *m, const char *b, size_t n)
{
    if (m->echo)
        out(m, b, n);
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (c == '\r' || c == '\n') {
            if (m->overflow)
                out_line(m, "ERROR");
            else if (m->line_len > 0) {
                m->line[m->line_len] = '\0';
                handle_line(m, m->line);
            }
            m->line_len = 0;
            m->overflow = 0;
        } else if (m->line_len == LINE_MAX_CHARS) {
            m->overflow = 1;
        } else if (c != '\0') {
            m->line[m->line_len++] = c;
        }
    }
}

static int make_link(const char *slave, const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (!S_ISLNK(sb.st_mode)) {
            fprintf(stderr, "iotsafe-sim: --modem %s exists and is not a symlink\n", path);
            return -1;
        }
        unlink(path); /* a link left by an earlier run */
    }
    if (symlink(slave, path) != 0) {
        fprintf(stderr, "iotsafe-sim: cannot create symlink %s -> %s: %s\n", path, slave,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Remove the link only if it is still ours. */
static void remove_link(const char *slave, const char *path)
{
    char target[256];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        if (strcmp(target, slave) == 0)
            unlink(path);
    }
}

int sim_modem_run(sim_applet *a, const char *link_path, const sim_modem_opts *o, int sfd)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        fprintf(stderr, "iotsafe-sim: cannot create a pseudo-terminal: %s\n", strerror(errno));
        if (master >= 0)
            close(master);
        return 1;
    }
    const char *name = ptsname(master);
    char slave_name[128];
    if (name == NULL || strlen(name) >= sizeof slave_name) {
        fprintf(stderr, "iotsafe-sim: no pseudo-terminal name\n");
        close(master);
        return 1;
    }
    strcpy(slave_name, name);
    /*
     * Keep the slave open ourselves: without it the master reports a hangup
     * whenever no client has the port open. Raw mode, like a modem's line.
     */
    int slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios tio;
    if (slave < 0 || tcgetattr(slave, &tio) != 0) {
        fprintf(stderr, "iotsafe-sim: cannot open %s: %s\n", slave_name, strerror(errno));
        if (slave >= 0)
            close(slave);
        close(master);
        return 1;
    }
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    if (make_link(slave_name, link_path) != 0) {
        close(slave);
        close(master);
        return 1;
    }
    modem *m = calloc(1, sizeof *m);
    if (m == NULL) {
        remove_link(slave_name, link_path);
        close(slave);
        close(master);
        fprintf(stderr, "iotsafe-sim: out of memory\n");
        return 1;
    }
    m->a = a;
    m->o = o;
    m->master = master;
    m->echo = o->echo;
    m->next_id = 1;
    sim_applet_power(a, SIM_POWER_ON);
    if (o->verbose)
        fprintf(stderr, "iotsafe-sim: modem on %s (%s)\n", link_path, slave_name);

    int rc = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = master, .events = POLLIN}};
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "iotsafe-sim: poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                break;
        }
        if (p[1].revents & POLLIN) {
            char b[512];
            ssize_t r = read(master, b, sizeof b);
            if (r > 0)
                feed(m, b, (size_t)r);
        }
    }
    free(m);
    remove_link(slave_name, link_path);
    close(slave);
    close(master);
    return rc;
}
