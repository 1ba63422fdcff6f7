/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AT-command transport: a modem on a serial port passes APDUs to its SIM.
 * CSIM mode sends every APDU with AT+CSIM (the card layer opens its own
 * logical channel with MANAGE CHANNEL, which works through CSIM). CGLA mode
 * lets the modem open the channel and select the applet (AT+CCHO), sends
 * APDUs with AT+CGLA and closes with AT+CCHC. A transaction is an flock()
 * on the device, so two processes sharing the modem never interleave their
 * commands. No APDU bytes ever appear in messages: the trace is done above.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "at_parse.h"
#include "clock.h"
#include "iotsafe/escape.h"
#include "iotsafe/transport.h"
#include "iotsafe/hex.h"

#define AT_BUF_MAX 4096
#define AT_DEFAULT_TIMEOUT_MS 10000UL
#define AT_MAX_TIMEOUT_MS 600000UL
#define AT_LOCK_WAIT_MS 30000L
#define AT_REOPEN_MS 2500L
#define AT_POLL_MS 50L
#define AT_APDU_MAX 261 /* header + Lc + 255 + Le */
#define AT_RESP_MAX 258 /* 256 + SW */
/* AT+CGLA=<10 digits>,<3 digits>,"<522 hex>"\r and slack */
#define AT_CMD_MAX 600

typedef struct at_impl {
    char *device;
    char device_msg[128]; /* escaped, for messages */
    char *desc;
    int fd;
    iotsafe_at_mode mode;
    speed_t speed;
    long timeout_ms; /* the modem's own commands (ATE0, AT+CCHC), from iotsafe_at_options */
    int locked;
    int have_session;
    unsigned long session;
    int timed_out; /* the last command got no final result in time */
    char buf[AT_BUF_MAX];
    size_t buf_len;
} at_impl;

static int baud_speed(unsigned long baud, speed_t *out)
{
    static const struct {
        unsigned long baud;
        speed_t speed;
    } rates[] = {
        {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
        {115200, B115200},   {230400, B230400},   {460800, B460800},   {921600, B921600},
        {1000000, B1000000}, {2000000, B2000000}, {3000000, B3000000}, {4000000, B4000000},
    };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        if (rates[i].baud == baud) {
            *out = rates[i].speed;
            return 0;
        }
    }
    return -1;
}

static void tty_close(at_impl *p)
{
    if (p->fd >= 0)
        close(p->fd); /* also drops our flock */
    p->fd = -1;
    p->locked = 0;
    p->have_session = 0;
}

static iotsafe_rc tty_open(at_impl *p, iotsafe_status *st)
{
    int fd = open(p->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return iotsafe_status_set(
            st,
            e == ENOENT || e == ENODEV || e == ENXIO ? IOTSAFE_E_NO_READER : IOTSAFE_E_TRANSPORT, 0,
            "cannot open modem device '%s': %s", p->device_msg, strerror(e));
    }
    struct termios tio;
    if (!isatty(fd) || tcgetattr(fd, &tio) != 0) {
        close(fd);
        return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0,
                                  "'%s' is not a serial device (a modem's AT port)", p->device_msg);
    }
    /* raw bytes both ways: no echo, no CR/LF translation, no flow control characters */
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    if (cfsetispeed(&tio, p->speed) != 0 || cfsetospeed(&tio, p->speed) != 0 ||
        tcsetattr(fd, TCSANOW, &tio) != 0) {
        int e = errno;
        close(fd);
        return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0,
                                  "cannot configure modem device '%s': %s", p->device_msg,
                                  strerror(e));
    }
    /* no tcflush here: another process may be mid-command on the shared line (see drain_input) */
    p->fd = fd;
    p->locked = 0;
    p->have_session = 0;
    return IOTSAFE_OK;
}

/* Exclusive use of the device across processes; bounded wait. */
static iotsafe_rc tty_lock(at_impl *p, iotsafe_status *st)
{
    if (p->fd < 0)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0, "modem '%s' is not open",
                                  p->device_msg);
    if (p->locked)
        return IOTSAFE_OK;
    long deadline = now_ms() + AT_LOCK_WAIT_MS;
    for (;;) {
        if (flock(p->fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK)
            return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0, "cannot lock modem '%s': %s",
                                      p->device_msg, strerror(errno));
        if (now_ms() >= deadline)
            return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0,
                                      "modem '%s' stayed in use by another process for %ld s",
                                      p->device_msg, AT_LOCK_WAIT_MS / 1000);
        sleep_ms(10);
    }
    p->locked = 1;
    return IOTSAFE_OK;
}

static void tty_unlock(at_impl *p)
{
    if (p->fd >= 0 && p->locked)
        (void)flock(p->fd, LOCK_UN);
    p->locked = 0;
}

static iotsafe_rc gone(at_impl *p, const char *name, const char *why, iotsafe_status *st)
{
    iotsafe_rc rc = iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0,
                                       "modem '%s' went away during %s (%s)", p->device_msg, name,
                                       why);
    tty_close(p);
    return rc;
}

/* Drop whatever a previous, timed-out command left behind. */
static void drain_input(at_impl *p)
{
    char junk[256];
    tcflush(p->fd, TCIFLUSH);
    while (read(p->fd, junk, sizeof junk) > 0)
        ;
}

static iotsafe_rc write_all(at_impl *p, const char *s, size_t n, long deadline, long wait_ms,
                            const char *name, iotsafe_status *st)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(p->fd, s + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN)
            return gone(p, name, strerror(errno), st);
        long left = deadline - now_ms();
        if (left <= 0)
            return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0,
                                      "modem '%s' does not accept %s (output blocked for %ld ms)",
                                      p->device_msg, name, wait_ms);
        struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
        (void)poll(&pf, 1, (int)left);
    }
    return IOTSAFE_OK;
}

/*
 * Send one command line and collect the answer up to its final result line
 * into p->buf. a->final tells OK from the error forms; the caller decides.
 * card_ms: the card layer's deadline for an APDU (t->timeout_ms: `timeout`
 * or its command's class), whose expiry is the card layer's
 * IOTSAFE_E_TIMEOUT; 0 for the modem's own commands, which get timeout_ms.
 */
static iotsafe_rc at_command(at_impl *p, const char *cmd, size_t cmd_len, const char *name,
                             unsigned long card_ms, at_answer *a, iotsafe_status *st)
{
    long wait_ms = card_ms != 0 ? (long)card_ms : p->timeout_ms;
    if (p->fd < 0)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0, "modem '%s' is not open",
                                  p->device_msg);
    long deadline = now_ms() + wait_ms;
    drain_input(p);
    p->buf_len = 0;
    p->timed_out = 0;
    iotsafe_rc rc = write_all(p, cmd, cmd_len, deadline, wait_ms, name, st);
    if (rc != IOTSAFE_OK)
        return rc;
    for (;;) {
        if (at_find_final(p->buf, p->buf_len, a))
            return IOTSAFE_OK;
        if (p->buf_len == sizeof p->buf)
            return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                      "modem '%s': answer to %s longer than %zu bytes without a "
                                      "final result",
                                      p->device_msg, name, sizeof p->buf);
        long left = deadline - now_ms();
        if (left <= 0) {
            p->timed_out = 1;
            return iotsafe_status_set(st, card_ms != 0 ? IOTSAFE_E_TIMEOUT : IOTSAFE_E_TRANSPORT, 0,
                                      "modem '%s' did not answer %s within %ld ms", p->device_msg,
                                      name, wait_ms);
        }
        struct pollfd pf = {.fd = p->fd, .events = POLLIN};
        int n = poll(&pf, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return gone(p, name, strerror(errno), st);
        if (n <= 0)
            continue;
        ssize_t r = read(p->fd, p->buf + p->buf_len, sizeof p->buf - p->buf_len);
        if (r > 0) {
            p->buf_len += (size_t)r;
            continue;
        }
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        /* EOF or EIO: the other end of the line (USB modem unplugged, pty closed) is gone */
        return gone(p, name, r == 0 ? "end of file" : strerror(errno), st);
    }
}

/* A command whose only answer is OK. */
static iotsafe_rc at_simple(at_impl *p, const char *cmd, const char *name, iotsafe_status *st)
{
    at_answer a;
    iotsafe_rc rc = at_command(p, cmd, strlen(cmd), name, 0, &a, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (a.final != AT_FINAL_OK) {
        char what[200];
        snprintf(what, sizeof what, "%s on modem '%s'", name, p->device_msg);
        return at_final_error(&a, what, st);
    }
    return IOTSAFE_OK;
}

/* Echo off (ATE0 also proves the port talks AT); in CGLA mode check the commands exist. */
static iotsafe_rc modem_init(at_impl *p, iotsafe_status *st)
{
    int took = !p->locked;
    iotsafe_rc rc = tty_lock(p, st);
    if (rc != IOTSAFE_OK)
        return rc;
    rc = at_simple(p, "ATE0\r", "ATE0", st);
    if (rc == IOTSAFE_E_TRANSPORT && p->timed_out)
        rc = iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0,
                                "no AT modem answers on '%s' (ATE0 timed out after %ld ms)",
                                p->device_msg, p->timeout_ms);
    if (rc == IOTSAFE_OK && p->mode == IOTSAFE_AT_CGLA) {
        rc = at_simple(p, "AT+CCHO=?\r", "AT+CCHO=?", st);
        if (rc == IOTSAFE_OK)
            rc = at_simple(p, "AT+CGLA=?\r", "AT+CGLA=?", st);
        if (rc == IOTSAFE_E_TRANSPORT || rc == IOTSAFE_E_UNSUPPORTED)
            rc = iotsafe_status_set(st, IOTSAFE_E_UNSUPPORTED, 0,
                                    "modem '%s' does not support AT+CCHO/AT+CGLA (use AT+CSIM "
                                    "mode)",
                                    p->device_msg);
    }
    if (took && p->fd >= 0)
        tty_unlock(p);
    return rc;
}

static iotsafe_rc at_transmit(iotsafe_transport *t, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *resp, size_t *resp_len, iotsafe_status *st)
{
    at_impl *p = t->impl;
    size_t cap = *resp_len;
    *resp_len = 0;
    if (cmd == NULL || cmd_len < 4 || cmd_len > AT_APDU_MAX)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "APDU of %zu bytes cannot be sent to a modem", cmd_len);
    char line[AT_CMD_MAX];
    int n;
    const char *name, *prefix;
    if (p->mode == IOTSAFE_AT_CGLA) {
        if (!p->have_session)
            return iotsafe_status_set(st, IOTSAFE_E_CARD_RESET, 0, "no channel open on modem '%s'",
                                      p->device_msg);
        n = snprintf(line, sizeof line, "AT+CGLA=%lu,%zu,\"", p->session, 2 * cmd_len);
        name = "AT+CGLA";
        prefix = "+CGLA";
    } else {
        n = snprintf(line, sizeof line, "AT+CSIM=%zu,\"", 2 * cmd_len);
        name = "AT+CSIM";
        prefix = "+CSIM";
    }
    size_t len = (size_t)n;
    /* AT_CMD_MAX holds the prefix, 2 * AT_APDU_MAX digits, the quote, CR and a NUL */
    iotsafe_hex_format(cmd, cmd_len, line + len, sizeof line - len);
    len += 2 * cmd_len;
    line[len++] = '"';
    line[len++] = '\r';

    at_answer a;
    iotsafe_rc rc = at_command(p, line, len, name, t->timeout_ms, &a, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (a.final != AT_FINAL_OK) {
        char what[200];
        snprintf(what, sizeof what, "%s on modem '%s'", name, p->device_msg);
        rc = at_final_error(&a, what, st);
        if (p->mode == IOTSAFE_AT_CGLA && a.final == AT_FINAL_CME && a.code == 21) {
            /* the modem forgot our session (it restarted): reopen and select again */
            p->have_session = 0;
            rc = iotsafe_status_set(st, IOTSAFE_E_CARD_RESET, 0,
                                    "modem '%s' no longer knows session %lu (+CME ERROR: 21)",
                                    p->device_msg, p->session);
        }
        return rc;
    }
    size_t got = cap < AT_RESP_MAX ? cap : AT_RESP_MAX;
    rc = at_parse_apdu(p->buf, a.end, prefix, resp, &got, st);
    if (rc != IOTSAFE_OK)
        return rc;
    *resp_len = got;
    return IOTSAFE_OK;
}

static iotsafe_rc at_begin(iotsafe_transport *t, iotsafe_status *st)
{
    return tty_lock(t->impl, st);
}

static iotsafe_rc at_end(iotsafe_transport *t, iotsafe_status *st)
{
    (void)st;
    tty_unlock(t->impl);
    return IOTSAFE_OK;
}

/* Close our session, best effort (the modem keeps it open otherwise). */
static void close_session(at_impl *p)
{
    if (p->fd < 0 || !p->have_session)
        return;
    char cmd[40];
    snprintf(cmd, sizeof cmd, "AT+CCHC=%lu\r", p->session);
    iotsafe_status ignored;
    (void)at_simple(p, cmd, "AT+CCHC", &ignored);
    p->have_session = 0;
}

static iotsafe_rc at_reconnect(iotsafe_transport *t, iotsafe_status *st)
{
    at_impl *p = t->impl;
    tty_close(p);
    long deadline = now_ms() + AT_REOPEN_MS;
    iotsafe_rc rc;
    iotsafe_status one;
    for (;;) {
        rc = tty_open(p, &one);
        if (rc == IOTSAFE_OK) {
            rc = modem_init(p, &one);
            if (rc == IOTSAFE_OK)
                return IOTSAFE_OK;
            tty_close(p);
        }
        if (now_ms() >= deadline)
            break;
        sleep_ms(AT_POLL_MS);
    }
    if (rc == IOTSAFE_E_NO_READER || rc == IOTSAFE_E_TRANSPORT)
        rc = IOTSAFE_E_CARD_REMOVED;
    return iotsafe_status_set(st, rc, 0, "reopening the modem: %s", one.msg);
}

static iotsafe_rc at_select_applet(iotsafe_transport *t, const uint8_t *aid, size_t aid_len,
                                   iotsafe_status *st)
{
    at_impl *p = t->impl;
    if (aid == NULL || aid_len == 0 || aid_len > 16)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "AT+CCHO: AID of %zu bytes",
                                  aid_len);
    close_session(p);
    char aid_hex[33];
    iotsafe_hex_format(aid, aid_len, aid_hex, sizeof aid_hex);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "AT+CCHO=\"%s\"\r", aid_hex);
    at_answer a;
    /* the modem selects the applet: SELECT's deadline, set by the card layer */
    iotsafe_rc rc = at_command(p, cmd, strlen(cmd), "AT+CCHO", t->timeout_ms, &a, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (a.final != AT_FINAL_OK) {
        char what[240];
        snprintf(what, sizeof what, "AT+CCHO for applet %s on modem '%s'", aid_hex, p->device_msg);
        iotsafe_status one;
        rc = at_final_error(&a, what, &one);
        /* the modem's SELECT failed, or no channel was free: either way no applet for us */
        if (rc == IOTSAFE_E_TRANSPORT)
            return iotsafe_status_set(st, IOTSAFE_E_NO_APPLET, 0,
                                      "cannot open a channel to the IoT SAFE applet: %s", one.msg);
        if (st != NULL)
            *st = one;
        return rc;
    }
    unsigned long sid = 0;
    rc = at_parse_ccho(p->buf, a.end, &sid, st);
    if (rc != IOTSAFE_OK)
        return rc;
    p->session = sid;
    p->have_session = 1;
    return IOTSAFE_OK;
}

static const char *at_describe(const iotsafe_transport *t)
{
    const at_impl *p = t->impl;
    return p->desc;
}

static void at_free(iotsafe_transport *t)
{
    at_impl *p = t->impl;
    if (p != NULL) {
        free(p->device);
        free(p->desc);
    }
    free(p);
    free(t);
}

static void at_close(iotsafe_transport *t)
{
    at_impl *p = t->impl;
    if (p->fd >= 0 && p->have_session) {
        iotsafe_status ignored;
        int took = !p->locked;
        if (tty_lock(p, &ignored) == IOTSAFE_OK) {
            close_session(p);
            if (took)
                tty_unlock(p);
        }
    }
    tty_close(p);
    at_free(t);
}

/* After fork(): closing our copy of the descriptor neither talks to the modem nor drops the parent's lock. */
static void at_discard(iotsafe_transport *t)
{
    at_impl *p = t->impl;
    if (p->fd >= 0)
        close(p->fd);
    at_free(t);
}

/* The two modes differ only in who opens the channel and selects: +CGLA has the modem do it. */
#define AT_OPS_COMMON                                                                     \
    .transmit = at_transmit, .begin = at_begin, .end = at_end, .reconnect = at_reconnect, \
    .describe = at_describe, .close = at_close, .discard = at_discard

static const iotsafe_transport_ops at_csim_ops = {.name = "at-csim", AT_OPS_COMMON};
static const iotsafe_transport_ops at_cgla_ops = {
    .name = "at-cgla", AT_OPS_COMMON, .select_applet = at_select_applet};

iotsafe_rc iotsafe_at_open(const char *device, const iotsafe_at_options *opt,
                           iotsafe_transport **out, iotsafe_status *st)
{
    iotsafe_at_options defaults = {.mode = IOTSAFE_AT_CSIM};
    if (out != NULL)
        *out = NULL;
    if (device == NULL || *device == '\0' || out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "modem open: no device name");
    if (opt == NULL)
        opt = &defaults;
    speed_t speed;
    unsigned long baud = opt->baud != 0 ? opt->baud : 115200;
    if (opt->mode != IOTSAFE_AT_CSIM && opt->mode != IOTSAFE_AT_CGLA)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "modem open: mode must be AT+CSIM or AT+CGLA");
    if (baud_speed(baud, &speed) != 0)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "modem open: unsupported baud rate %lu", baud);
    if (opt->timeout_ms > AT_MAX_TIMEOUT_MS)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "modem open: timeout %lu ms is more than %lu", opt->timeout_ms,
                                  AT_MAX_TIMEOUT_MS);
    iotsafe_transport *t = calloc(1, sizeof *t);
    at_impl *p = calloc(1, sizeof *p);
    char *dev = strdup(device);
    size_t dlen = strlen(device) + 32;
    char *desc = malloc(dlen);
    if (t == NULL || p == NULL || dev == NULL || desc == NULL) {
        free(t);
        free(p);
        free(dev);
        free(desc);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "modem open: out of memory");
    }
    snprintf(desc, dlen, "modem %s (%s)", device,
             opt->mode == IOTSAFE_AT_CGLA ? "AT+CGLA" : "AT+CSIM");
    p->device = dev;
    iotsafe_escape_str(dev, p->device_msg, sizeof p->device_msg);
    p->desc = desc;
    p->fd = -1;
    p->mode = opt->mode;
    p->speed = speed;
    p->timeout_ms = (long)(opt->timeout_ms != 0 ? opt->timeout_ms : AT_DEFAULT_TIMEOUT_MS);
    t->ops = opt->mode == IOTSAFE_AT_CGLA ? &at_cgla_ops : &at_csim_ops;
    t->impl = p;
    iotsafe_rc rc = tty_open(p, st);
    if (rc == IOTSAFE_OK)
        rc = modem_init(p, st);
    if (rc == IOTSAFE_E_CARD_REMOVED) /* the line hung up at once: nobody there */
        rc = iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0, "no AT modem on '%s' (line hung up)",
                                p->device_msg);
    if (rc != IOTSAFE_OK) {
        tty_close(p);
        at_free(t);
        return rc;
    }
    *out = t;
    return IOTSAFE_OK;
}
