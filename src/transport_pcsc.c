/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PC/SC transport on pcsc-lite: shared mode, T=0 or T=1, transactions, and
 * recovery from a card reset (SCardReconnect) or from a card removal or a
 * daemon restart (new context and handle, waiting briefly for the card).
 *
 * Deadlines: PC/SC has no timeout for SCardTransmit, SCardBeginTransaction or
 * SCardConnect, and a card that stops answering blocks them for ever.
 * SCardCancel only interrupts SCardGetStatusChange, and SCardReleaseContext
 * from another thread waits for the context lock the blocked call holds. What
 * does work: each pcsc-lite context talks to pcscd over its own unix socket;
 * shutting that socket down makes the blocked call return at once
 * (SCARD_F_COMM_ERROR). So the socket a context creates is noted when it is
 * established, and a watchdog thread shuts it down when a deadline expires.
 * The context is then released and the next call starts a new one. pcscd
 * itself frees the old handle and its transaction as soon as the reader
 * driver returns (the card answers, or is removed or reset).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "card_internal.h"
#include "clock.h"
#include "iotsafe/transport.h"

/* How long reconnect waits for the card to come back after a removal. */
#define PCSC_RECONNECT_MS 2500
#define PCSC_POLL_MS 50

#define FD_SCAN_MAX 1024

typedef struct pcsc_impl {
    SCARDCONTEXT ctx;
    int have_ctx;
    SCARDHANDLE h;
    int have_h;
    DWORD proto;
    char *reader;         /* as PC/SC names it, for SCardConnect */
    char reader_msg[128]; /* escaped, for messages */
    int sock;             /* the context's socket to pcscd; -1: unknown */
    /* watchdog */
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cv;
    pthread_t wd;
    int wd_started, wd_stop, wd_armed, wd_fired, wd_idle;
    struct timespec wd_until, wd_sleep_until;
} pcsc_impl;

/*
 * Arming is cheap: the watchdog is woken only when it sleeps without a
 * deadline or when the new deadline is earlier than the one it sleeps to.
 * Otherwise it wakes at its old deadline, finds the later one, sleeps again.
 */
static void *wd_main(void *arg)
{
    pcsc_impl *p = arg;
    pthread_mutex_lock(&p->wd_mu);
    while (!p->wd_stop) {
        if (!p->wd_armed || p->wd_fired) {
            p->wd_idle = 1;
            pthread_cond_wait(&p->wd_cv, &p->wd_mu);
            p->wd_idle = 0;
            continue;
        }
        p->wd_sleep_until = p->wd_until;
        (void)pthread_cond_timedwait(&p->wd_cv, &p->wd_mu, &p->wd_sleep_until);
        if (!p->wd_armed || p->wd_fired)
            continue;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > p->wd_until.tv_sec ||
            (now.tv_sec == p->wd_until.tv_sec && now.tv_nsec >= p->wd_until.tv_nsec)) {
            p->wd_fired = 1;
            if (p->sock >= 0)
                shutdown(p->sock, SHUT_RDWR); /* the blocked pcsc-lite call returns */
        }
    }
    pthread_mutex_unlock(&p->wd_mu);
    return NULL;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Arm the watchdog for ms (0: no deadline). Started on first use. */
static void wd_arm(pcsc_impl *p, unsigned long ms)
{
    if (ms == 0 || p->sock < 0)
        return;
    pthread_mutex_lock(&p->wd_mu);
    if (!p->wd_started) {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_destroy(&p->wd_cv);
        pthread_cond_init(&p->wd_cv, &a);
        pthread_condattr_destroy(&a);
        p->wd_started = pthread_create(&p->wd, NULL, wd_main, p) == 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &p->wd_until);
    p->wd_until.tv_sec += (time_t)(ms / 1000);
    p->wd_until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (p->wd_until.tv_nsec >= 1000000000L) {
        p->wd_until.tv_sec++;
        p->wd_until.tv_nsec -= 1000000000L;
    }
    p->wd_armed = 1;
    p->wd_fired = 0;
    if (p->wd_idle || ts_before(&p->wd_until, &p->wd_sleep_until))
        pthread_cond_signal(&p->wd_cv);
    pthread_mutex_unlock(&p->wd_mu);
}

/* Disarm; 1 when the deadline expired during the call. */
static int wd_disarm(pcsc_impl *p)
{
    pthread_mutex_lock(&p->wd_mu);
    int fired = p->wd_armed && p->wd_fired;
    p->wd_armed = 0;
    p->wd_fired = 0;
    pthread_mutex_unlock(&p->wd_mu);
    return fired;
}

static void wd_stop(pcsc_impl *p)
{
    pthread_mutex_lock(&p->wd_mu);
    int started = p->wd_started;
    p->wd_stop = 1;
    pthread_cond_signal(&p->wd_cv);
    pthread_mutex_unlock(&p->wd_mu);
    if (started)
        pthread_join(p->wd, NULL);
}

/* Open unix stream sockets of this process, as a sorted list of fds (at most FD_SCAN_MAX). */
static size_t unix_sockets(int *fds)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;
    if (d == NULL)
        return 0;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < FD_SCAN_MAX) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        struct stat sb;
        if (*end != '\0' || e->d_name[0] == '\0' || fd == self || fstat((int)fd, &sb) != 0 ||
            !S_ISSOCK(sb.st_mode))
            continue;
        int type = 0;
        socklen_t tl = sizeof type;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM &&
            getsockname((int)fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_UNIX)
            fds[n++] = (int)fd;
    }
    closedir(d);
    return n;
}

static int has_fd(const int *fds, size_t n, int fd)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] == fd)
            return 1;
    return 0;
}

/* SCardEstablishContext, noting the one new unix socket it opened (else sock = -1). */
static LONG establish(pcsc_impl *p)
{
    int *before = malloc(2 * FD_SCAN_MAX * sizeof *before);
    card_establish_lock();
    size_t nb = before != NULL ? unix_sockets(before) : 0;
    LONG r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
    p->sock = -1;
    if (r == SCARD_S_SUCCESS && before != NULL) {
        int *after = before + FD_SCAN_MAX;
        size_t na = unix_sockets(after), fresh = 0;
        for (size_t i = 0; i < na; i++) {
            if (!has_fd(before, nb, after[i])) {
                p->sock = after[i];
                fresh++;
            }
        }
        if (fresh != 1)
            p->sock = -1; /* not sure which one: no deadline rather than the wrong socket */
    }
    card_establish_unlock();
    free(before);
    return r;
}

static void drop_handles(pcsc_impl *p);

/* pcscd 2.x refuses a process its polkit check does not allow with SCARD_W_SECURITY_VIOLATION. */
static const char pcsc_polkit_hint[] =
    "; pcscd refused this process at its polkit check (org.debian.pcsc-lite.access_pcsc, "
    "access_card): run it as a member of the group iotsafe, which the rule "
    "/usr/share/polkit-1/rules.d/60-iotsafe-pcscd.rules allows";

static iotsafe_rc scard_err(iotsafe_status *st, iotsafe_rc rc, const char *what, const char *reader,
                            LONG r)
{
    const char *hint = r == SCARD_W_SECURITY_VIOLATION ? pcsc_polkit_hint : "";
    if (reader != NULL)
        return iotsafe_status_set(st, rc, 0, "%s on reader '%s': %s (0x%08lX)%s", what, reader,
                                  pcsc_stringify_error(r), (unsigned long)r, hint);
    return iotsafe_status_set(st, rc, 0, "%s: %s (0x%08lX)%s", what, pcsc_stringify_error(r),
                              (unsigned long)r, hint);
}

/* Mapping for calls on an established card handle. */
static iotsafe_rc map_handle_err(LONG r)
{
    switch (r) {
    case SCARD_W_RESET_CARD:
    /* pcscd re-powered the card (e.g. its transaction holder was killed) and this handle's
       protocol is stale: refused before sending, like a reset; reconnecting renegotiates it. */
    case SCARD_E_PROTO_MISMATCH:
        return IOTSAFE_E_CARD_RESET;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NO_SMARTCARD:
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_E_READER_UNAVAILABLE:
    case SCARD_E_INVALID_HANDLE:
        return IOTSAFE_E_CARD_REMOVED;
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
        return IOTSAFE_E_NO_SERVICE;
    case SCARD_E_NO_MEMORY:
        return IOTSAFE_E_NOMEM;
    default:
        return IOTSAFE_E_TRANSPORT;
    }
}

/* Mapping for context and connect calls. */
static iotsafe_rc map_connect_err(LONG r)
{
    switch (r) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
        return IOTSAFE_E_NO_SERVICE;
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
        return IOTSAFE_E_NO_READER;
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
        return IOTSAFE_E_NO_CARD;
    case SCARD_E_NO_MEMORY:
        return IOTSAFE_E_NOMEM;
    default:
        return IOTSAFE_E_TRANSPORT;
    }
}

static iotsafe_rc pcsc_transmit(iotsafe_transport *t, const uint8_t *cmd, size_t cmd_len,
                                uint8_t *resp, size_t *resp_len, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0, "not connected to reader '%s'",
                                  p->reader_msg);
    const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD rlen = (DWORD)*resp_len;
    wd_arm(p, t->timeout_ms);
    LONG r = SCardTransmit(p->h, pci, cmd, (DWORD)cmd_len, NULL, resp, &rlen);
    if (wd_disarm(p)) {
        *resp_len = 0;
        drop_handles(p);
        return iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0,
                                  "no answer from the card in reader '%s' after %lu ms",
                                  p->reader_msg, t->timeout_ms);
    }
    if (r != SCARD_S_SUCCESS) {
        *resp_len = 0;
        return scard_err(st, map_handle_err(r), "SCardTransmit", p->reader_msg, r);
    }
    *resp_len = rlen;
    /*
     * A card always ends its answer with SW1 SW2. An empty answer with a
     * success code is what the reader driver hands back when the card went
     * away in the middle of the exchange (vpcd does this): report it as a
     * removal so the caller reconnects, not as a malformed answer.
     */
    if (rlen == 0)
        return iotsafe_status_set(
            st, IOTSAFE_E_CARD_REMOVED, 0,
            "reader '%s' returned an empty answer: card removed during the command", p->reader_msg);
    return IOTSAFE_OK;
}

static iotsafe_rc pcsc_begin(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return iotsafe_status_set(st, IOTSAFE_E_CARD_REMOVED, 0, "not connected to reader '%s'",
                                  p->reader_msg);
    wd_arm(p, t->timeout_ms);
    LONG r = SCardBeginTransaction(p->h);
    if (wd_disarm(p)) {
        drop_handles(p);
        return iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0, "reader '%s' busy for %lu ms",
                                  p->reader_msg, t->timeout_ms);
    }
    if (r != SCARD_S_SUCCESS)
        return scard_err(st, map_handle_err(r), "SCardBeginTransaction", p->reader_msg, r);
    return IOTSAFE_OK;
}

static iotsafe_rc pcsc_end(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    if (!p->have_h)
        return IOTSAFE_OK;
    wd_arm(p, t->timeout_ms);
    LONG r = SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
    if (wd_disarm(p)) {
        drop_handles(p);
        return IOTSAFE_OK;
    }
    if (r != SCARD_S_SUCCESS)
        return scard_err(st, map_handle_err(r), "SCardEndTransaction", p->reader_msg, r);
    return IOTSAFE_OK;
}

static void drop_handles(pcsc_impl *p)
{
    if (p->have_h)
        SCardDisconnect(p->h, SCARD_LEAVE_CARD);
    if (p->have_ctx)
        SCardReleaseContext(p->ctx);
    p->have_h = 0;
    p->have_ctx = 0;
    p->sock = -1;
}

/* SCARD_E_TIMEOUT stands for "our deadline expired" (the context is dropped then). */
static LONG connect_once(pcsc_impl *p, unsigned long timeout_ms)
{
    LONG r;
    if (!p->have_ctx) {
        r = establish(p);
        if (r != SCARD_S_SUCCESS)
            return r;
        p->have_ctx = 1;
    }
    wd_arm(p, timeout_ms);
    r = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                     &p->h, &p->proto);
    if (wd_disarm(p)) {
        if (r == SCARD_S_SUCCESS)
            p->have_h = 1;
        drop_handles(p);
        return SCARD_E_TIMEOUT;
    }
    if (r == SCARD_S_SUCCESS)
        p->have_h = 1;
    return r;
}

static iotsafe_rc pcsc_reconnect(iotsafe_transport *t, iotsafe_status *st)
{
    pcsc_impl *p = t->impl;
    LONG r;
    if (p->have_h) {
        /* after another client reset the card, the handle itself is still good */
        DWORD proto;
        wd_arm(p, t->timeout_ms);
        r = SCardReconnect(p->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           SCARD_LEAVE_CARD, &proto);
        if (wd_disarm(p))
            r = SCARD_E_TIMEOUT;
        if (r == SCARD_S_SUCCESS) {
            p->proto = proto;
            return IOTSAFE_OK;
        }
    }
    /* removed card or restarted daemon: start over with a new context */
    drop_handles(p);
    long deadline = now_ms() + PCSC_RECONNECT_MS;
    long hard = t->timeout_ms != 0 ? now_ms() + (long)t->timeout_ms : 0;
    for (;;) {
        long left = hard != 0 ? hard - now_ms() : 0;
        r = connect_once(p, hard != 0 ? (unsigned long)(left > 1 ? left : 1) : 0);
        if (r == SCARD_S_SUCCESS)
            return IOTSAFE_OK;
        if (r == SCARD_E_TIMEOUT)
            return iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0, "reader '%s' busy for %lu ms",
                                      p->reader_msg, t->timeout_ms);
        if (r == SCARD_E_NO_SERVICE || r == SCARD_E_SERVICE_STOPPED || r == SCARD_E_INVALID_HANDLE)
            drop_handles(p); /* the daemon went away: the context is stale */
        if (now_ms() >= deadline)
            break;
        sleep_ms(PCSC_POLL_MS);
    }
    iotsafe_rc rc = map_connect_err(r);
    if (rc == IOTSAFE_E_NO_CARD || rc == IOTSAFE_E_NO_READER || rc == IOTSAFE_E_TRANSPORT)
        rc = IOTSAFE_E_CARD_REMOVED;
    if (rc == IOTSAFE_E_NO_SERVICE)
        return scard_err(st, rc, "no PC/SC service (is pcscd running?)", NULL, r);
    return scard_err(st, rc, "reconnecting after card reset/removal", p->reader_msg, r);
}

static const char *pcsc_describe(const iotsafe_transport *t)
{
    const pcsc_impl *p = t->impl;
    return p->reader;
}

static void pcsc_free_mem(iotsafe_transport *t)
{
    pcsc_impl *p = t->impl;
    if (p != NULL)
        free(p->reader);
    free(p);
    free(t);
}

static void pcsc_close(iotsafe_transport *t)
{
    pcsc_impl *p = t->impl;
    drop_handles(p);
    wd_stop(p);
    pthread_cond_destroy(&p->wd_cv);
    pthread_mutex_destroy(&p->wd_mu);
    pcsc_free_mem(t);
}

/* After fork(): the handles belong to the parent, so only free memory. */
static void pcsc_discard(iotsafe_transport *t)
{
    pcsc_free_mem(t);
}

static const iotsafe_transport_ops pcsc_ops = {
    .name = "pcsc",
    .transmit = pcsc_transmit,
    .begin = pcsc_begin,
    .end = pcsc_end,
    .reconnect = pcsc_reconnect,
    .describe = pcsc_describe,
    .close = pcsc_close,
    .discard = pcsc_discard,
};

/* A PC/SC context for one short query (reader list, card presence). */
static iotsafe_rc short_context(SCARDCONTEXT *ctx, iotsafe_status *st)
{
    LONG r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
    if (r == SCARD_S_SUCCESS)
        return IOTSAFE_OK;
    return scard_err(st, map_connect_err(r),
                     r == SCARD_E_NO_SERVICE ? "no PC/SC service (is pcscd running?)"
                                             : "SCardEstablishContext",
                     NULL, r);
}

iotsafe_rc iotsafe_pcsc_list_readers(char **names, size_t *count, iotsafe_status *st)
{
    if (names == NULL || count == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "list readers: NULL argument");
    *names = NULL;
    *count = 0;
    SCARDCONTEXT ctx;
    iotsafe_rc rc = short_context(&ctx, st);
    if (rc != IOTSAFE_OK)
        return rc;
    LONG r;
    char *buf = NULL;
    DWORD len = 0;
    /* the list may grow between the size query and the read: retry a few times */
    for (int tries = 0; tries < 5; tries++) {
        len = 0;
        r = SCardListReaders(ctx, NULL, NULL, &len);
        if (r != SCARD_S_SUCCESS)
            break;
        free(buf);
        buf = malloc(len + 1);
        if (buf == NULL) {
            SCardReleaseContext(ctx);
            return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "list readers: out of memory");
        }
        r = SCardListReaders(ctx, NULL, buf, &len);
        if (r != SCARD_E_INSUFFICIENT_BUFFER)
            break;
    }
    SCardReleaseContext(ctx);
    if (r != SCARD_S_SUCCESS) {
        free(buf);
        if (r == SCARD_E_NO_READERS_AVAILABLE)
            return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0, "no smart card reader found");
        return scard_err(st, map_connect_err(r), "SCardListReaders", NULL, r);
    }
    /* make sure the multi-string is double-NUL terminated whatever came back */
    if (len == 0 || buf[len - 1] != '\0')
        buf[len++] = '\0';
    if (len < 2 || buf[len - 2] != '\0') {
        char *nb = realloc(buf, len + 1);
        if (nb == NULL) {
            free(buf);
            return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "list readers: out of memory");
        }
        buf = nb;
        buf[len++] = '\0';
    }
    size_t n = 0;
    for (const char *s = buf; *s != '\0'; s += strlen(s) + 1)
        n++;
    if (n == 0) {
        free(buf);
        return iotsafe_status_set(st, IOTSAFE_E_NO_READER, 0, "no smart card reader found");
    }
    *names = buf;
    *count = n;
    return IOTSAFE_OK;
}

#define PCSC_READERS_MAX 16

/* Which of the readers hold a card now, as pcscd last saw them (no wait, no card I/O). */
iotsafe_rc iotsafe_pcsc_cards_present(const char *names, int *present, size_t n, iotsafe_status *st)
{
    SCARD_READERSTATE rs[PCSC_READERS_MAX];
    size_t i = 0;
    for (const char *s = names; s != NULL && *s != '\0' && i < n; s += strlen(s) + 1, i++) {
        present[i] = 0;
        if (i < PCSC_READERS_MAX) {
            memset(&rs[i], 0, sizeof rs[i]);
            rs[i].szReader = s;
            rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
        }
    }
    DWORD count = (DWORD)(i < PCSC_READERS_MAX ? i : PCSC_READERS_MAX);
    if (count == 0)
        return IOTSAFE_OK;
    SCARDCONTEXT ctx;
    iotsafe_rc rc = short_context(&ctx, st);
    if (rc != IOTSAFE_OK)
        return rc;
    LONG r;
    r = SCardGetStatusChange(ctx, 0, rs, count);
    SCardReleaseContext(ctx);
    if (r != SCARD_S_SUCCESS && r != SCARD_E_TIMEOUT)
        return scard_err(st, map_connect_err(r), "SCardGetStatusChange", NULL, r);
    for (DWORD k = 0; k < count; k++)
        present[k] = (rs[k].dwEventState & SCARD_STATE_PRESENT) != 0 &&
                     (rs[k].dwEventState & SCARD_STATE_MUTE) == 0;
    return IOTSAFE_OK;
}

/*
 * A pcscd that has just started (socket activation, or after it exited idle) lists its readers at
 * once but sees a card only at its first poll of each reader, some 0.4 s later; a card
 * connected through vpcd comes later still. pcsc-lite counts a reader's card events in the high
 * 16 bits of dwEventState: while no reader has had one, pcscd may not have looked yet, so wait
 * (bounded) for a card. Once any reader has had an event (a card removed), pcscd has looked: an
 * empty reader is empty for good and the caller hears so at once.
 */
int pcsc_wait_first_card(const char *names, const char *only, unsigned long max_ms)
{
    SCARD_READERSTATE rs[PCSC_READERS_MAX];
    DWORD n = 0;
    for (const char *s = names; *s != '\0' && n < PCSC_READERS_MAX; s += strlen(s) + 1) {
        if (only != NULL && s != only)
            continue;
        memset(&rs[n], 0, sizeof rs[n]);
        rs[n].szReader = s;
        rs[n].dwCurrentState = SCARD_STATE_UNAWARE;
        n++;
    }
    if (n == 0 || max_ms == 0)
        return 0;
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
        return 0;
    int found = 0, waiting = 0;
    if (SCardGetStatusChange(ctx, 0, rs, n) == SCARD_S_SUCCESS) {
        waiting = 1;
        for (DWORD i = 0; i < n; i++) {
            if ((rs[i].dwEventState & SCARD_STATE_PRESENT) != 0)
                found = 1; /* pcscd looked between our connect and now */
            if ((rs[i].dwEventState >> 16) != 0)
                waiting = 0; /* it has looked before */
            rs[i].dwCurrentState = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        }
    }
    const long end = now_ms() + (long)max_ms;
    while (waiting && !found) {
        const long left = end - now_ms();
        if (left <= 0 || SCardGetStatusChange(ctx, (DWORD)left, rs, n) != SCARD_S_SUCCESS)
            break;
        for (DWORD i = 0; i < n; i++) {
            if ((rs[i].dwEventState & SCARD_STATE_PRESENT) != 0)
                found = 1;
            rs[i].dwCurrentState = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        }
    }
    SCardReleaseContext(ctx);
    return found;
}

iotsafe_rc iotsafe_pcsc_open(const char *reader_name, iotsafe_transport **out, iotsafe_status *st)
{
    return pcsc_open_deadline(reader_name, CARD_TIMEOUT_WAIT_MS, out, st);
}

iotsafe_rc pcsc_open_deadline(const char *reader_name, unsigned long wait_ms,
                              iotsafe_transport **out, iotsafe_status *st)
{
    if (reader_name == NULL || *reader_name == '\0' || out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "PC/SC open: no reader name");
    *out = NULL;
    iotsafe_transport *t = calloc(1, sizeof *t);
    pcsc_impl *p = calloc(1, sizeof *p);
    char *name = strdup(reader_name);
    if (t == NULL || p == NULL || name == NULL) {
        free(t);
        free(p);
        free(name);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "PC/SC open: out of memory");
    }
    p->reader = name;
    iotsafe_escape_str(name, p->reader_msg, sizeof p->reader_msg);
    p->sock = -1;
    pthread_mutex_init(&p->wd_mu, NULL);
    pthread_cond_init(&p->wd_cv, NULL);
    t->ops = &pcsc_ops;
    t->impl = p;
    LONG r = connect_once(p, wait_ms);
    if (r != SCARD_S_SUCCESS) {
        iotsafe_rc rc = map_connect_err(r);
        if (r == SCARD_E_TIMEOUT)
            rc = iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0,
                                    "waiting for the card in reader '%s': no turn after %.1f s "
                                    "(another process holds it, or the card does not answer)",
                                    p->reader_msg, (double)wait_ms / 1000.0);
        else if (rc == IOTSAFE_E_NO_CARD)
            iotsafe_status_set(st, rc, 0, "no card in reader '%s' (%s)", p->reader_msg,
                               pcsc_stringify_error(r));
        else if (rc == IOTSAFE_E_NO_SERVICE)
            scard_err(st, rc, "no PC/SC service (is pcscd running?)", NULL, r);
        else
            scard_err(st, rc, "SCardConnect", p->reader_msg, r);
        pcsc_close(t);
        return rc;
    }
    *out = t;
    return IOTSAFE_OK;
}
