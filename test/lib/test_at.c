/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AT modem transport: the answer parser against the variations real
 * modems show (echo, quotes, spaces, unsolicited lines, repeated answers,
 * truncation, +CME ERROR) with the TV-3 bytes; then the transport itself on
 * a pseudo-terminal whose other end is a scripted modem in a thread.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include "at_parse.h"
#include "testutil.h"

#define TV3_UPDATE "812B8001229E20" TV_HASH "00"
#define TV3_ANSWER "330040" TV_R TV_S "9000"

static iotsafe_rc parse(const char *text, const char *prefix, uint8_t *out, size_t *len,
                        iotsafe_status *st)
{
    at_answer a;
    ck_assert_int_eq(at_find_final(text, strlen(text), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_OK);
    return at_parse_apdu(text, a.end, prefix, out, len, st);
}

/* Expect a successful parse giving exactly hex. */
static void parses_to(const char *text, const char *prefix, const char *hex)
{
    uint8_t got[300], want[300];
    size_t n = sizeof got;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    size_t wn = hex2bin(hex, want, sizeof want);
    ck_assert_msg(parse(text, prefix, got, &n, &st) == IOTSAFE_OK, "%s: %s", text, st.msg);
    ck_assert_uint_eq(n, wn);
    ck_assert_mem_eq(got, want, wn);
}

/* Expect a malformed answer whose message contains needle. */
static void rejects(const char *text, const char *needle)
{
    uint8_t got[300];
    size_t n = sizeof got;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    ck_assert_int_eq(parse(text, "+CSIM", got, &n, &st), IOTSAFE_E_MALFORMED);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(strstr(st.msg, needle) != NULL, "'%s' lacks '%s'", st.msg, needle);
}

START_TEST(tv3_csim)
{
    parses_to("\r\n+CSIM: 4,\"6143\"\r\n\r\nOK\r\n", "+CSIM", "6143");
    parses_to("\r\n+CSIM: 138,\"" TV3_ANSWER "\"\r\n\r\nOK\r\n", "+CSIM", TV3_ANSWER);
    /* the CGLA form of TV-3 */
    parses_to("\r\n+CGLA: 4,\"9000\"\r\n\r\nOK\r\n", "+CGLA", "9000");
}
END_TEST

START_TEST(variations)
{
    /* echo of the command (ATE1), CR only line ends */
    parses_to("AT+CSIM=10,\"81C0000043\"\r\r\n+CSIM: 138,\"" TV3_ANSWER "\"\r\n\r\nOK\r\n", "+CSIM",
              TV3_ANSWER);
    parses_to("AT+CSIM=10,\"81C0000043\"\r+CSIM: 4,\"9000\"\rOK\r", "+CSIM", "9000");
    /* no quotes (Sequans), spaces around the comma, lower-case hex, no space after ':' */
    parses_to("\r\n+CSIM: 4,9000\r\nOK\r\n", "+CSIM", "9000");
    parses_to("\r\n+CSIM:6 , \"01a9b0\" \r\nOK\r\n", "+CSIM", "01A9B0");
    parses_to("\r\n+csim: 4,\"6A82\"\r\nOK \r\n", "+CSIM", "6A82");
    /* unsolicited result codes and blank lines in between */
    parses_to("\r\n+CREG: 1\r\n\r\nRING\r\n+CSIM: 4,\"9000\"\r\n+CEREG: 5\r\n\r\nOK\r\n", "+CSIM",
              "9000");
    /* earlier answers repeated in front of the real one: the last one counts */
    parses_to("\r\n+CSIM: 4,\"6143\"\r\n+CSIM: 6,\"019000\"\r\n\r\nOK\r\n", "+CSIM", "019000");
    /* a +CGLA answer is not taken for a +CSIM one */
    parses_to("+CGLA: 4,\"6D00\"\r\n+CSIM: 4,\"9000\"\r\nOK\r\n", "+CSIM", "9000");
}
END_TEST

START_TEST(malformed)
{
    /* truncated: fewer hex digits than announced, or no closing quote */
    rejects("\r\n+CSIM: 138,\"330040" TV_R "9000\"\r\nOK\r\n", "announced");
    rejects("\r\n+CSIM: 138,\"330040" TV_R "\r\nOK\r\n", "closing quote");
    rejects("\r\n+CSIM: 6,\"9000\"\r\nOK\r\n", "announced");
    rejects("\r\n+CSIM: 3,\"900\"\r\nOK\r\n", "status word");
    rejects("\r\n+CSIM: 2,\"90\"\r\nOK\r\n", "status word");
    rejects("\r\n+CSIM: 4,\"90G0\"\r\nOK\r\n", "closing quote");
    rejects("\r\n+CSIM: 4,90G0\r\nOK\r\n", "unexpected characters");
    rejects("\r\n+CSIM: 4 \"9000\"\r\nOK\r\n", "','");
    rejects("\r\n+CSIM: ,\"9000\"\r\nOK\r\n", "no length");
    rejects("\r\n+CSIM: 9999999999,\"9000\"\r\nOK\r\n", "no length");
    rejects("\r\nOK\r\n", "without a +CSIM");
    rejects("AT+CSIM=10,\"81C0000043\"\r\nOK\r\n", "without a +CSIM");

    /* more bytes than the caller's buffer */
    uint8_t small[2];
    size_t n = sizeof small;
    iotsafe_status st;
    ck_assert_int_eq(parse("+CSIM: 6,\"019000\"\r\nOK\r\n", "+CSIM", small, &n, &st),
                     IOTSAFE_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(st.msg, "more than"));
}
END_TEST

START_TEST(final_lines)
{
    at_answer a;
    const char *partial = "\r\n+CSIM: 4,\"9000\"\r\n\r\nO";
    ck_assert_int_eq(at_find_final(partial, strlen(partial), &a), 0);
    ck_assert_int_eq(at_find_final("OK", 2, &a), 0); /* no line end yet */
    ck_assert_int_eq(at_find_final("", 0, &a), 0);

    const char *ok = "ATE0\r\r\nOK\r\nleftover";
    ck_assert_int_eq(at_find_final(ok, strlen(ok), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_OK);
    ck_assert_uint_eq(a.end, strlen("ATE0\r\r\nOK\r\n"));

    const char *e = "\r\nERROR\r\n";
    ck_assert_int_eq(at_find_final(e, strlen(e), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_ERROR);

    const char *cme = "\r\n+CME ERROR: 10\r\n";
    ck_assert_int_eq(at_find_final(cme, strlen(cme), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_CME);
    ck_assert_int_eq(a.code, 10);

    const char *txt = "\r\n+CME ERROR: SIM busy\r\n";
    ck_assert_int_eq(at_find_final(txt, strlen(txt), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_CME);
    ck_assert_int_eq(a.code, -1);
    ck_assert_str_eq(a.text, "SIM busy");

    const char *cms = "+CMS ERROR: 500\n";
    ck_assert_int_eq(at_find_final(cms, strlen(cms), &a), 1);
    ck_assert_int_eq(a.final, AT_FINAL_CMS);
    ck_assert_int_eq(a.code, 500);

    /* an answer line that merely contains OK is not final */
    const char *okish = "+CSIM: 4,\"OK\"\r\nOKAY\r\n";
    ck_assert_int_eq(at_find_final(okish, strlen(okish), &a), 0);
}
END_TEST

static iotsafe_rc final_error(const char *text, iotsafe_status *st)
{
    at_answer a;
    ck_assert_int_eq(at_find_final(text, strlen(text), &a), 1);
    return at_final_error(&a, "AT+CSIM on modem 'x'", st);
}

START_TEST(error_mapping)
{
    iotsafe_status st;
    ck_assert_int_eq(final_error("+CME ERROR: 10\r\n", &st), IOTSAFE_E_NO_CARD);
    ck_assert_ptr_nonnull(strstr(st.msg, "+CME ERROR: 10 (SIM not inserted)"));
    ck_assert_ptr_nonnull(strstr(st.msg, "AT+CSIM on modem 'x'"));
    ck_assert_int_eq(final_error("+CME ERROR: 4\r\n", &st), IOTSAFE_E_UNSUPPORTED);
    ck_assert_int_eq(final_error("+CME ERROR: 3\r\n", &st), IOTSAFE_E_TRANSPORT);
    ck_assert_ptr_nonnull(strstr(st.msg, "operation not allowed"));
    ck_assert_int_eq(final_error("+CME ERROR: 777\r\n", &st), IOTSAFE_E_TRANSPORT);
    ck_assert_ptr_nonnull(strstr(st.msg, "+CME ERROR: 777"));
    ck_assert_int_eq(final_error("+CME ERROR: sim not inserted\r\n", &st), IOTSAFE_E_NO_CARD);
    ck_assert_int_eq(final_error("ERROR\r\n", &st), IOTSAFE_E_TRANSPORT);
    ck_assert_ptr_nonnull(strstr(st.msg, "answered ERROR"));
    ck_assert_int_eq(final_error("+CMS ERROR: 10\r\n", &st), IOTSAFE_E_TRANSPORT);
    ck_assert_str_eq(at_cme_str(14), "SIM busy");
    ck_assert_str_eq(at_cme_str(12345), "");
}
END_TEST

START_TEST(ccho_answers)
{
    unsigned long sid = 0;
    iotsafe_status st;
    const char *a1 = "\r\n+CCHO: 3\r\n\r\nOK\r\n";
    ck_assert_int_eq(at_parse_ccho(a1, strlen(a1), &sid, &st), IOTSAFE_OK);
    ck_assert_uint_eq(sid, 3);
    const char *a2 = "AT+CCHO=\"A0000005590010\"\r\r\n 12 \r\n\r\nOK\r\n"; /* 27.007: bare id */
    ck_assert_int_eq(at_parse_ccho(a2, strlen(a2), &sid, &st), IOTSAFE_OK);
    ck_assert_uint_eq(sid, 12);
    const char *a3 = "\r\n+CCHO:7\r\n+CREG: 1\r\nOK\r\n";
    ck_assert_int_eq(at_parse_ccho(a3, strlen(a3), &sid, &st), IOTSAFE_OK);
    ck_assert_uint_eq(sid, 7);
    const char *b1 = "\r\n+CCHO: x\r\nOK\r\n";
    ck_assert_int_eq(at_parse_ccho(b1, strlen(b1), &sid, &st), IOTSAFE_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(st.msg, "not a number"));
    const char *b2 = "\r\nOK\r\n";
    ck_assert_int_eq(at_parse_ccho(b2, strlen(b2), &sid, &st), IOTSAFE_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(st.msg, "no session id"));
    const char *b3 = "\r\n+CCHO: 1 2\r\nOK\r\n";
    ck_assert_int_eq(at_parse_ccho(b3, strlen(b3), &sid, &st), IOTSAFE_E_MALFORMED);
}
END_TEST

/* ---------------------------------------------------------------- scripted modem on a pty */

#define MAX_STEPS 16
#define ANSWER_NONE NULL           /* stay silent (timeout) */
#define ANSWER_HANGUP "\x01HANGUP" /* close the line */

typedef struct step {
    const char *expect; /* the command line without its CR */
    const char *answer;
} step;

typedef struct fake_modem {
    int master;
    char dir[64];
    char slave[128]; /* a symlink in dir to the pty: pty numbers get reused by others */
    step steps[MAX_STEPS];
    size_t n, done;
    char error[512];
    pthread_t thread;
} fake_modem;

static void fm_write(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = write(fd, s + off, n - off);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void *fm_run(void *arg)
{
    fake_modem *m = arg;
    char line[1200];
    size_t len = 0;
    while (m->done < m->n) {
        char c;
        ssize_t r = read(m->master, &c, 1);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            snprintf(m->error, sizeof m->error, "line closed before step %zu", m->done);
            return NULL;
        }
        if (c != '\r') {
            if (len + 1 < sizeof line)
                line[len++] = c;
            continue;
        }
        line[len] = '\0';
        len = 0;
        const step *s = &m->steps[m->done++];
        if (strcmp(line, s->expect) != 0) {
            snprintf(m->error, sizeof m->error, "step %zu: got '%.200s', expected '%.200s'",
                     m->done - 1, line, s->expect);
            return NULL;
        }
        if (s->answer == ANSWER_NONE)
            continue;
        if (strcmp(s->answer, ANSWER_HANGUP) == 0) {
            close(m->master);
            m->master = -1;
            return NULL;
        }
        fm_write(m->master, s->answer);
    }
    return NULL;
}

static fake_modem *fm_new(void)
{
    fake_modem *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    m->master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(m->master, 0);
    ck_assert_int_eq(grantpt(m->master), 0);
    ck_assert_int_eq(unlockpt(m->master), 0);
    snprintf(m->dir, sizeof m->dir, "%s", "/tmp/test_at.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(m->dir));
    snprintf(m->slave, sizeof m->slave, "%s/modem", m->dir);
    ck_assert_int_eq(symlink(ptsname(m->master), m->slave), 0);
    return m;
}

static void fm_step(fake_modem *m, const char *expect, const char *answer)
{
    ck_assert_uint_lt(m->n, MAX_STEPS);
    m->steps[m->n].expect = expect;
    m->steps[m->n].answer = answer;
    m->n++;
}

static void fm_start(fake_modem *m)
{
    ck_assert_int_eq(pthread_create(&m->thread, NULL, fm_run, m), 0);
}

/* Join the modem thread and check every step ran. */
static void fm_finish(fake_modem *m)
{
    pthread_join(m->thread, NULL);
    ck_assert_msg(m->error[0] == '\0', "%s", m->error);
    ck_assert_uint_eq(m->done, m->n);
    if (m->master >= 0)
        close(m->master);
    unlink(m->slave);
    rmdir(m->dir);
    free(m);
}

#define OK_ "\r\nOK\r\n"

static iotsafe_transport *at_open_ok(fake_modem *m, iotsafe_at_mode mode)
{
    iotsafe_transport *t = NULL;
    iotsafe_status st;
    iotsafe_at_options o = {.mode = mode, .baud = 115200, .timeout_ms = 3000};
    ck_assert_msg(iotsafe_at_open(m->slave, &o, &t, &st) == IOTSAFE_OK, "%s", st.msg);
    return t;
}

START_TEST(transport_csim_tv3)
{
    fake_modem *m = fm_new();
    /* the modem starts with echo on: ATE0 comes back echoed */
    fm_step(m, "ATE0", "ATE0\r" OK_);
    fm_step(m, "AT+CSIM=80,\"" TV3_UPDATE "\"", "\r\n+CSIM: 4,\"6143\"\r\n" OK_);
    fm_step(m, "AT+CSIM=10,\"81C0000043\"", "\r\n+CSIM: 138,\"" TV3_ANSWER "\"\r\n" OK_);
    fm_step(m, "AT+CSIM=10,\"0070000001\"", "\r\n+CME ERROR: 10\r\n");
    fm_start(m);
    iotsafe_transport *t = at_open_ok(m, IOTSAFE_AT_CSIM);
    ck_assert_ptr_nonnull(strstr(t->ops->describe(t), "AT+CSIM"));
    ck_assert_ptr_null(t->ops->select_applet);

    iotsafe_status st;
    uint8_t cmd[64], resp[300], want[80];
    size_t clen = hex2bin(TV3_UPDATE, cmd, sizeof cmd);
    size_t rlen = sizeof resp;
    ck_assert_int_eq(t->ops->begin(t, &st), IOTSAFE_OK);
    ck_assert_int_eq(t->ops->transmit(t, cmd, clen, resp, &rlen, &st), IOTSAFE_OK);
    ck_assert_uint_eq(rlen, 2);
    ck_assert_uint_eq(resp[0], 0x61);
    ck_assert_uint_eq(resp[1], 0x43);
    clen = hex2bin("81C0000043", cmd, sizeof cmd);
    rlen = sizeof resp;
    ck_assert_int_eq(t->ops->transmit(t, cmd, clen, resp, &rlen, &st), IOTSAFE_OK);
    size_t wn = hex2bin(TV3_ANSWER, want, sizeof want);
    ck_assert_uint_eq(rlen, wn);
    ck_assert_mem_eq(resp, want, wn);
    /* a modem error becomes a clear status */
    clen = hex2bin("0070000001", cmd, sizeof cmd);
    rlen = sizeof resp;
    ck_assert_int_eq(t->ops->transmit(t, cmd, clen, resp, &rlen, &st), IOTSAFE_E_NO_CARD);
    ck_assert_ptr_nonnull(strstr(st.msg, "SIM not inserted"));
    ck_assert_uint_eq(rlen, 0);
    ck_assert_int_eq(t->ops->end(t, &st), IOTSAFE_OK);
    iotsafe_transport_close(t);
    fm_finish(m);
}
END_TEST

/* The card layer over CGLA: no MANAGE CHANNEL or SELECT of its own, CLA with channel bits 0. */
START_TEST(card_over_cgla)
{
    fake_modem *m = fm_new();
    fm_step(m, "ATE0", OK_);
    fm_step(m, "AT+CCHO=?", OK_);
    fm_step(m, "AT+CGLA=?", OK_);
    fm_step(m, "AT+CCHO=\"A0000005590010\"", "\r\n+CCHO: 7\r\n" OK_);
    fm_step(m, "AT+CGLA=7,10,\"8084000008\"", "\r\n+CGLA: 4,\"6108\"\r\n" OK_);
    fm_step(m, "AT+CGLA=7,10,\"80C0000008\"",
            "\r\n+CREG: 1\r\n+CGLA: 20,\"01020304050607089000\"\r\n" OK_);
    fm_step(m, "AT+CCHC=7", OK_);
    fm_start(m);
    iotsafe_transport *t = at_open_ok(m, IOTSAFE_AT_CGLA);
    ck_assert_ptr_nonnull(t->ops->select_applet);
    iotsafe_card *c = NULL;
    iotsafe_status st;
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    cfg.cla = IOTSAFE_CLA_PROPRIETARY;
    ck_assert_msg(iotsafe_card_attach(&cfg, t, &c, &st) == IOTSAFE_OK, "%s", st.msg);
    uint8_t b[8];
    ck_assert_msg(iotsafe_get_random(c, b, sizeof b, &st) == IOTSAFE_OK, "%s", st.msg);
    ck_assert_uint_eq(b[0], 1);
    ck_assert_uint_eq(b[7], 8);
    iotsafe_card_free(c); /* closes the modem's session */
    fm_finish(m);
}
END_TEST

START_TEST(cgla_errors)
{
    fake_modem *m = fm_new();
    fm_step(m, "ATE0", OK_);
    fm_step(m, "AT+CCHO=?", OK_);
    fm_step(m, "AT+CGLA=?", OK_);
    fm_step(m, "AT+CCHO=\"A0000005590010\"", "\r\n+CME ERROR: 3\r\n");
    fm_start(m);
    iotsafe_transport *t = at_open_ok(m, IOTSAFE_AT_CGLA);
    iotsafe_card *c = NULL;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_card_attach(NULL, t, &c, &st), IOTSAFE_E_NO_APPLET);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(st.msg, "operation not allowed"));
    ck_assert_ptr_nonnull(strstr(st.msg, "A0000005590010"));
    fm_finish(m);

    /* a modem without CCHO/CGLA */
    m = fm_new();
    fm_step(m, "ATE0", OK_);
    fm_step(m, "AT+CCHO=?", "\r\nERROR\r\n");
    fm_start(m);
    iotsafe_at_options o = {.mode = IOTSAFE_AT_CGLA, .timeout_ms = 3000};
    ck_assert_int_eq(iotsafe_at_open(m->slave, &o, &t, &st), IOTSAFE_E_UNSUPPORTED);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(st.msg, "does not support AT+CCHO"));
    fm_finish(m);
}
END_TEST

START_TEST(silence_and_hangup)
{
    /* nobody answers ATE0: not a modem */
    fake_modem *m = fm_new();
    fm_step(m, "ATE0", ANSWER_NONE);
    fm_start(m);
    iotsafe_transport *t = NULL;
    iotsafe_status st;
    iotsafe_at_options o = {.timeout_ms = 200};
    ck_assert_int_eq(iotsafe_at_open(m->slave, &o, &t, &st), IOTSAFE_E_NO_READER);
    ck_assert_ptr_nonnull(strstr(st.msg, "timed out"));
    fm_finish(m);

    /* the modem answers once, then stays silent, then the line drops */
    m = fm_new();
    fm_step(m, "ATE0", OK_);
    fm_step(m, "AT+CSIM=10,\"8084000008\"", ANSWER_NONE);
    fm_step(m, "AT+CSIM=10,\"8084000008\"", ANSWER_HANGUP);
    fm_start(m);
    ck_assert_int_eq(iotsafe_at_open(m->slave, &o, &t, &st), IOTSAFE_OK);
    uint8_t cmd[5] = {0x80, 0x84, 0x00, 0x00, 0x08}, resp[300];
    size_t rlen = sizeof resp;
    ck_assert_int_eq(t->ops->transmit(t, cmd, sizeof cmd, resp, &rlen, &st), IOTSAFE_E_TRANSPORT);
    ck_assert_ptr_nonnull(strstr(st.msg, "did not answer AT+CSIM within 200 ms"));
    rlen = sizeof resp;
    ck_assert_int_eq(t->ops->transmit(t, cmd, sizeof cmd, resp, &rlen, &st),
                     IOTSAFE_E_CARD_REMOVED);
    ck_assert_ptr_nonnull(strstr(st.msg, "went away"));
    fm_finish(m);
    /* the device does not come back within the reconnect window */
    ck_assert_int_eq(t->ops->reconnect(t, &st), IOTSAFE_E_CARD_REMOVED);
    ck_assert_ptr_nonnull(strstr(st.msg, "reopening the modem"));
    iotsafe_transport_close(t);
}
END_TEST

START_TEST(bad_devices)
{
    iotsafe_transport *t = NULL;
    iotsafe_status st;
    ck_assert_int_eq(iotsafe_at_open("/nonexistent/ttyUSB9", NULL, &t, &st), IOTSAFE_E_NO_READER);
    ck_assert_ptr_nonnull(strstr(st.msg, "/nonexistent/ttyUSB9"));
    /* the device path is the user's text: escaped in the message, controls and all */
    ck_assert_int_eq(iotsafe_at_open("/nonexistent/\x1b[2Jtty\nforged", NULL, &t, &st),
                     IOTSAFE_E_NO_READER);
    ck_assert_ptr_nonnull(strstr(st.msg, "'/nonexistent/\\x1b[2Jtty\\x0aforged'"));
    ck_assert_ptr_null(strchr(st.msg, '\x1b'));
    ck_assert_ptr_null(strchr(st.msg, '\n'));
    ck_assert_int_eq(iotsafe_at_open("/dev/null", NULL, &t, &st), IOTSAFE_E_NO_READER);
    ck_assert_ptr_nonnull(strstr(st.msg, "not a serial device"));
    iotsafe_at_options o = {.baud = 12345};
    ck_assert_int_eq(iotsafe_at_open("/dev/null", &o, &t, &st), IOTSAFE_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(st.msg, "baud"));
    iotsafe_at_options bad_mode = {.mode = (iotsafe_at_mode)7};
    ck_assert_int_eq(iotsafe_at_open("/dev/null", &bad_mode, &t, &st), IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_at_open("", NULL, &t, &st), IOTSAFE_E_INVALID_ARG);
    ck_assert_int_eq(iotsafe_at_open(NULL, NULL, &t, &st), IOTSAFE_E_INVALID_ARG);
    iotsafe_card *c = NULL;
    ck_assert_int_eq(iotsafe_card_open_at(NULL, "/nonexistent/tty", NULL, &c, &st),
                     IOTSAFE_E_NO_READER);
    ck_assert_ptr_null(c);
}
END_TEST

/* begin/end is an flock on the device: another opener of the same device is kept out. */
START_TEST(transaction_lock)
{
    fake_modem *m = fm_new();
    fm_step(m, "ATE0", OK_);
    fm_start(m);
    iotsafe_transport *t = at_open_ok(m, IOTSAFE_AT_CSIM);
    int other = open(m->slave, O_RDWR | O_NOCTTY);
    ck_assert_int_ge(other, 0);
    iotsafe_status st;
    ck_assert_int_eq(t->ops->begin(t, &st), IOTSAFE_OK);
    ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), -1);
    ck_assert_int_eq(errno, EWOULDBLOCK);
    ck_assert_int_eq(t->ops->end(t, &st), IOTSAFE_OK);
    ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
    iotsafe_transport_close(t);
    fm_finish(m);
}
END_TEST

static Suite *at_suite(void)
{
    Suite *s = suite_create("at");
    TCase *p = tcase_create("parser");
    tcase_add_test(p, tv3_csim);
    tcase_add_test(p, variations);
    tcase_add_test(p, malformed);
    tcase_add_test(p, final_lines);
    tcase_add_test(p, error_mapping);
    tcase_add_test(p, ccho_answers);
    suite_add_tcase(s, p);
    TCase *t = tcase_create("transport");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, transport_csim_tv3);
    tcase_add_test(t, card_over_cgla);
    tcase_add_test(t, cgla_errors);
    tcase_add_test(t, silence_and_hangup);
    tcase_add_test(t, bad_devices);
    tcase_add_test(t, transaction_lock);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return run_suite(at_suite());
}
