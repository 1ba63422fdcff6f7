/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iotsafe-sim: plays the card for vsmartcard's vpcd driver inside pcscd, so
 * every client goes through the real PC/SC stack.
 * Wire protocol (vpcd): 2-byte big-endian length + payload both ways; a
 * 1-byte payload is a control byte (00 off, 01 on, 02 reset: no reply;
 * 04: reply with the ATR); anything else is an APDU, answered data||SW.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "applet.h"
#include "internal.h"
#include "modem.h"

#define MAX_OVERRIDES 64

typedef struct daemon_cfg {
    int port;
    const char *modem; /* --modem PATH: serve AT commands on a pty instead of vpcd */
    sim_modem_opts modem_opts;
    const char *config, *state;
    int fresh, verbose;
    const char *overrides[MAX_OVERRIDES];
    size_t n_overrides;
} daemon_cfg;

enum { IO_OK = 0, IO_CLOSED = -1, IO_SIGNAL = -2 };

static void usage(FILE *f)
{
    fprintf(f, "usage: iotsafe-sim --port PORT --config FILE [--state FILE] [--fresh]\n"
               "                   [--set key=value]... [--verbose]\n"
               "       iotsafe-sim --modem PATH [--modem-echo] [--modem-unquoted] [--modem-noise]\n"
               "                   --config FILE [...]\n"
               "Connects as the card to vpcd on 127.0.0.1:PORT and reconnects whenever the\n"
               "connection drops. With --modem, plays a modem instead: PATH becomes a symlink\n"
               "to a pseudo-terminal answering AT+CSIM, AT+CCHO/AT+CGLA/AT+CCHC.\n"
               "iotsafe-sim(1) describes the provisioning file, the state file and the service.\n"
               "Settings (--set key=value, or key = value in the config's [applet] section):\n");
    char values[512];
    const char *name;
    for (size_t i = 0; (name = sim_options_name(i, values, sizeof values)) != NULL; i++)
        fprintf(f, "  %s=%s\n", name, values);
}

static int signalled(int sfd)
{
    struct signalfd_siginfo si;
    return read(sfd, &si, sizeof si) == (ssize_t)sizeof si;
}

/* Wait until s is readable; IO_SIGNAL when SIGTERM/SIGINT arrived first. */
static int wait_readable(int s, int sfd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = s, .events = POLLIN}};
    for (;;) {
        int n = poll(p, s >= 0 ? 2 : 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return IO_CLOSED;
        if (p[0].revents & POLLIN)
            return signalled(sfd) ? IO_SIGNAL : IO_OK;
        return n == 0 ? 1 : IO_OK; /* 1: timeout */
    }
}

static int recv_all(int s, int sfd, uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        int w = wait_readable(s, sfd, -1);
        if (w != IO_OK)
            return w;
        /* vpcd writes length and payload separately without TCP_NODELAY: without a
           quick ACK from us Nagle holds its payload ~40 ms. The kernel clears the flag. */
        int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t r = recv(s, b + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return IO_CLOSED;
        got += (size_t)r;
    }
    return IO_OK;
}

static int send_msg(int s, const uint8_t *p, size_t n)
{
    uint8_t b[2 + 512];
    if (n > sizeof b - 2)
        return IO_CLOSED;
    b[0] = (uint8_t)(n >> 8);
    b[1] = (uint8_t)n;
    memcpy(b + 2, p, n);
    size_t off = 0;
    while (off < n + 2) { /* header and payload in one write */
        ssize_t w = send(s, b + off, n + 2 - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return IO_CLOSED;
        off += (size_t)w;
    }
    return IO_OK;
}

/*
 * Channel census: one line whenever the set of open logical channels changes,
 * so tests (and people) can see who leaks channels, verbose or not.
 */
static void census(const sim_applet *a, unsigned *last, const char *why)
{
    unsigned now = sim_applet_open_channels(a);
    if (now == *last)
        return;
    char list[3 * 32 + 1] = "";
    size_t k = 0;
    for (int c = 1; c < 32; c++)
        if (now & (1u << c))
            k += (size_t)snprintf(list + k, sizeof list - k, " %d", c);
    fprintf(stderr, "iotsafe-sim: channels open:%s (%s)\n", k ? list : " none", why);
    *last = now;
}

/* Fault hang: say nothing; after hang_ms (0: never) drop the connection like a brown-out. */
static int hang(int s, int sfd, uint8_t ins, unsigned hang_ms)
{
    fprintf(stderr, "iotsafe-sim: fault hang on INS %02X: not answering%s\n", ins,
            hang_ms ? "" : " (until stopped)");
    for (;;) {
        int w = wait_readable(-1, sfd, hang_ms ? (int)hang_ms : -1);
        if (w == IO_SIGNAL)
            return IO_SIGNAL;
        if (w == 1)
            break; /* hang over */
    }
    (void)s;
    fprintf(stderr, "iotsafe-sim: fault hang: dropping the connection after %u ms\n", hang_ms);
    return IO_CLOSED;
}

/* Serve one vpcd connection until it drops (IO_CLOSED) or a signal arrives (IO_SIGNAL). */
static int serve(sim_applet *a, int s, int sfd, int verbose)
{
    uint8_t hdr[2], msg[65536], resp[512];
    unsigned chans = sim_applet_open_channels(a);
    for (;;) {
        int rc = recv_all(s, sfd, hdr, 2);
        if (rc != IO_OK)
            return rc;
        size_t n = (size_t)hdr[0] << 8 | hdr[1];
        if ((rc = recv_all(s, sfd, msg, n)) != IO_OK)
            return rc;
        if (n == 1) {
            if (msg[0] == 0x04) {
                size_t len = sim_applet_atr(a, resp, sizeof resp);
                if ((rc = send_msg(s, resp, len)) != IO_OK)
                    return rc;
            } else if (msg[0] <= 0x02) {
                sim_applet_power(a, msg[0]);
                census(a, &chans, msg[0] == 0 ? "power off" : msg[0] == 1 ? "power on" : "reset");
                if (verbose)
                    fprintf(stderr, "iotsafe-sim: power %s\n",
                            msg[0] == 0   ? "off"
                            : msg[0] == 1 ? "on"
                                          : "reset");
            } else {
                fprintf(stderr, "iotsafe-sim: unknown vpcd control byte %02X\n", msg[0]);
            }
            continue;
        }
        size_t rl = sizeof resp;
        if (verbose)
            sim_log_hex(">", msg, n);
        unsigned hang_ms;
        int io = sim_applet_io_fault(a, msg, n, &hang_ms);
        if (io == SIM_IO_HANG)
            return hang(s, sfd, msg[1], hang_ms);
        if (sim_applet_process(a, msg, n, resp, &rl) != 0) {
            resp[0] = 0x6F;
            resp[1] = 0x00;
            rl = 2;
        }
        census(a, &chans, "command");
        if (io == SIM_IO_DROP) {
            fprintf(stderr,
                    "iotsafe-sim: fault drop on INS %02X: executed, dropping the connection\n",
                    msg[1]);
            return IO_CLOSED;
        }
        if (verbose)
            sim_log_hex("<", resp, rl);
        if ((rc = send_msg(s, resp, rl)) != IO_OK)
            return rc;
    }
}

static int connect_vpcd(int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(s);
        return -1;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

static int parse_args(int argc, char **argv, daemon_cfg *c)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},  {"config", required_argument, NULL, 'c'},
        {"state", required_argument, NULL, 's'}, {"fresh", no_argument, NULL, 'f'},
        {"set", required_argument, NULL, 'S'},   {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},        {"modem", required_argument, NULL, 'm'},
        {"modem-echo", no_argument, NULL, 'E'},  {"modem-unquoted", no_argument, NULL, 'U'},
        {"modem-noise", no_argument, NULL, 'N'}, {NULL, 0, NULL, 0}};
    int o;
    memset(c, 0, sizeof *c);
    while ((o = getopt_long(argc, argv, "p:c:s:fS:vh", opts, NULL)) != -1) {
        switch (o) {
        case 'p': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 1 || p > 65535) {
                fprintf(stderr, "iotsafe-sim: bad port '%s'\n", optarg);
                return -1;
            }
            c->port = (int)p;
            break;
        }
        case 'c':
            c->config = optarg;
            break;
        case 'm':
            c->modem = optarg;
            break;
        case 'E':
            c->modem_opts.echo = 1;
            break;
        case 'U':
            c->modem_opts.unquoted = 1;
            break;
        case 'N':
            c->modem_opts.noise = 1;
            break;
        case 's':
            c->state = optarg;
            break;
        case 'f':
            c->fresh = 1;
            break;
        case 'v':
            c->verbose = 1;
            break;
        case 'S':
            if (c->n_overrides == MAX_OVERRIDES) {
                fprintf(stderr, "iotsafe-sim: too many --set options\n");
                return -1;
            }
            c->overrides[c->n_overrides++] = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || (c->port == 0) == (c->modem == NULL) || c->config == NULL ||
        (c->modem == NULL &&
         (c->modem_opts.echo || c->modem_opts.unquoted || c->modem_opts.noise))) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    daemon_cfg cfg;
    char err[512];
    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    /* signals arrive through a signalfd, polled next to the socket: no global flag needed */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("iotsafe-sim: signalfd");
        return 1;
    }
    sim_applet *a = sim_applet_new(cfg.config, cfg.state, cfg.fresh, cfg.overrides, cfg.n_overrides,
                                   err, sizeof err);
    if (a == NULL) {
        fprintf(stderr, "iotsafe-sim: %s\n", err);
        close(sfd);
        return 1;
    }
    int rc = 0;
    if (cfg.modem != NULL) {
        cfg.modem_opts.verbose = cfg.verbose;
        rc = sim_modem_run(a, cfg.modem, &cfg.modem_opts, sfd);
        sim_applet_free(a);
        close(sfd);
        return rc;
    }
    for (;;) {
        int s = connect_vpcd(cfg.port);
        if (s < 0) {
            int w = wait_readable(-1, sfd, 50); /* retry every 50 ms */
            if (w == IO_SIGNAL)
                break;
            continue;
        }
        if (cfg.verbose)
            fprintf(stderr, "iotsafe-sim: connected to vpcd on port %d\n", cfg.port);
        int r = serve(a, s, sfd, cfg.verbose);
        close(s);
        if (r == IO_SIGNAL)
            break;
        /*
         * The connection to the reader dropped, the card did not: like a real
         * card that stays powered, it keeps its channels and volatile keys.
         * pcscd powers it up (closing everything) when it sees a new card.
         */
        if (cfg.verbose)
            fprintf(stderr, "iotsafe-sim: vpcd connection closed, reconnecting\n");
        if (wait_readable(-1, sfd, 50) == IO_SIGNAL)
            break;
    }
    sim_applet_free(a);
    close(sfd);
    return rc;
}
