/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logical channel lifecycle across processes.
 *
 * 1. Exit: programs often exit without tearing OpenSSL's providers down
 *    (nginx -t, nginx's master and workers, anything that calls exit() with
 *    a key loaded), so card handles are never freed and their channels would
 *    stay open on the card until it loses power. Every handle that owns a
 *    channel is listed in a process-wide registry; an atexit handler closes
 *    the channels of this process (never those a forked child inherited: each
 *    entry carries the pid that opened it).
 * 2. Death: a process killed by SIGKILL, a crash or the OOM killer runs no
 *    handler. A per-card record file (one line per channel: channel, owner
 *    pid, owner start time), under flock, tells the next process which
 *    channels belong to processes that no longer exist (or whose pid was
 *    reused: the start time differs); when the card answers 6A81 it closes
 *    those and tries once more.
 *
 * This file holds libiotsafe's only process-wide mutable state: the registry
 * below (its lock, list and the pid that owns them).
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "card_internal.h"

#define REC_MAX 32         /* lines kept per card: channels 1..19, with room to spare */
#define REC_FILE_MAX 4096
#define EXIT_LOCK_WAIT_MS 500

/* ---- the registry: the only process-wide mutable state of libiotsafe ---- */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static iotsafe_card *reg_head;
static _Atomic pid_t reg_pid;
static int reg_atexit_done;
/* Serialises SCardEstablishContext, so the socket it creates can be told apart (transport_pcsc.c). */
static pthread_mutex_t establish_lock = PTHREAD_MUTEX_INITIALIZER;

static void at_exit_close_channels(void);

/*
 * After fork() the list holds the parent's handles, and the lock may be a copy
 * taken by a parent thread: the child starts afresh (it runs one thread then).
 */
static void reg_lock_acquire(void)
{
    pid_t me = getpid(), seen = atomic_load(&reg_pid);
    if (seen != 0 && seen != me) {
        pthread_mutex_init(&reg_lock, NULL);
        pthread_mutex_init(&establish_lock, NULL);
        reg_head = NULL;
    }
    atomic_store(&reg_pid, me);
    pthread_mutex_lock(&reg_lock);
}

void card_establish_lock(void)
{
    reg_lock_acquire(); /* re-initialises both locks in a forked child */
    pthread_mutex_unlock(&reg_lock);
    pthread_mutex_lock(&establish_lock);
}

void card_establish_unlock(void)
{
    pthread_mutex_unlock(&establish_lock);
}

void chanreg_add(iotsafe_card *c)
{
    reg_lock_acquire();
    if (!reg_atexit_done) {
        reg_atexit_done = atexit(at_exit_close_channels) == 0;
    }
    int found = 0;
    for (iotsafe_card *p = reg_head; p != NULL; p = p->reg_next)
        found |= p == c;
    if (!found) {
        c->reg_next = reg_head;
        reg_head = c;
    }
    c->owner_pid = getpid();
    pthread_mutex_unlock(&reg_lock);
}

void chanreg_remove(iotsafe_card *c)
{
    reg_lock_acquire();
    for (iotsafe_card **pp = &reg_head; *pp != NULL; pp = &(*pp)->reg_next) {
        if (*pp == c) {
            *pp = c->reg_next;
            break;
        }
    }
    c->reg_next = NULL;
    pthread_mutex_unlock(&reg_lock);
}

static void at_exit_close_channels(void)
{
    reg_lock_acquire();
    for (iotsafe_card *c = reg_head; c != NULL; c = c->reg_next) {
        if (c->owner_pid != getpid())
            continue;
        /* another thread may be inside an operation: wait briefly, else leave it to the record */
        if (!card_lock_timed(c, EXIT_LOCK_WAIT_MS))
            continue;
        card_close_channel_final(c);
        c->exiting = 1; /* no new channel from here on */
        card_unlock(c);
    }
    reg_head = NULL;
    pthread_mutex_unlock(&reg_lock);
}

/* ---- the per-card record of channel owners ---- */

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); 0 if unknown. */
static unsigned long long proc_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may contain spaces and ')' */
    if (p == NULL)
        return 0;
    p++; /* the space before field 3 (state); walk to the one before field 22 */
    for (int field = 3; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL)
        return 0;
    return strtoull(p + 1, NULL, 10);
}

static int owner_alive(const chanrec_line *l)
{
    if (l->pid <= 0)
        return 0;
    if (kill((pid_t)l->pid, 0) != 0 && errno == ESRCH)
        return 0;
    unsigned long long s = proc_start(l->pid);
    return s == 0 || l->start == 0 || s == l->start; /* a different start time: pid reused */
}

static const char *runtime_dir(char *buf, size_t cap)
{
    const char *env = getenv("IOTSAFE_RUNTIME_DIR");
    if (env != NULL && env[0] == '/') {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    /* shared by every user of the card (nginx runs its workers as another user): sticky, 1777 */
    const char *bases[] = {"/run", getenv("TMPDIR"), "/tmp"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        if (bases[i] == NULL || bases[i][0] != '/' || access(bases[i], W_OK) != 0)
            continue;
        snprintf(buf, cap, "%s/iotsafe-provider", bases[i]);
        if (mkdir(buf, 01777) == 0)
            chmod(buf, 01777); /* umask */
        struct stat sb;
        if (lstat(buf, &sb) == 0 && S_ISDIR(sb.st_mode) && access(buf, W_OK | X_OK) == 0)
            return buf;
    }
    return NULL;
}

/*
 * DIR/PREFIX-HASH, where HASH (FNV-1a) covers the transport, the PC/SC daemon
 * socket and the reader: one file per card slot, whoever the user.
 */
int card_runtime_path(const iotsafe_transport *t, const char *prefix, char *out, size_t cap)
{
    char dir[512];
    if (runtime_dir(dir, sizeof dir) == NULL)
        return -1;
    const char *sock = getenv("PCSCLITE_CSOCK_NAME");
    const char *parts[] = {t->ops->name, sock != NULL ? sock : "/run/pcscd/pcscd.comm",
                           t->ops->describe(t)};
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < 3; i++) {
        for (const char *p = parts[i]; *p != '\0'; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ULL;
        }
        h ^= 0xFF;
        h *= 1099511628211ULL;
    }
    snprintf(out, cap, "%s/%s-%016llx", dir, prefix, h);
    return 0;
}

static int rec_open_locked(const iotsafe_card *c)
{
    char path[600];
    if (card_runtime_path(c->t, "channels", path, sizeof path) != 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
        return -1;
    fchmod(fd, 0666); /* processes of other users share the card */
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * The record file is writable by every local user: parse it as hostile.
 * At most cap lines "CH PID START" with CH 1..19 and PID > 0 are kept;
 * anything else (long lines, junk, NULs) is skipped. Reads only buf[0..len).
 */
size_t chanrec_parse(const char *buf, size_t len, chanrec_line *l, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < len && k < cap) {
        size_t j = i;
        while (j < len && buf[j] != '\n')
            j++;
        char line[64];
        size_t n = j - i;
        if (n > 0 && n < sizeof line) {
            memcpy(line, buf + i, n);
            line[n] = '\0';
            chanrec_line r;
            char tail;
            if (sscanf(line, "%u %ld %llu%c", &r.ch, &r.pid, &r.start, &tail) == 3 &&
                r.ch >= 1 && r.ch <= 19 && r.pid > 0)
                l[k++] = r;
        }
        i = j + 1;
    }
    return k;
}

static size_t rec_read(int fd, chanrec_line *l)
{
    char buf[REC_FILE_MAX];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    return n > 0 ? chanrec_parse(buf, (size_t)n, l, REC_MAX) : 0;
}

static void rec_write(int fd, const chanrec_line *l, size_t n)
{
    char buf[REC_FILE_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof buf; i++) {
        int w = snprintf(buf + k, sizeof buf - k, "%u %ld %llu\n", l[i].ch, l[i].pid,
                         l[i].start);
        if (w < 0 || (size_t)w >= sizeof buf - k)
            break;
        k += (size_t)w;
    }
    if (ftruncate(fd, 0) == 0 && k > 0)
        (void)!pwrite(fd, buf, k, 0);
}

static size_t rec_drop(chanrec_line *l, size_t n, unsigned ch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].ch != ch)
            l[k++] = l[i];
    return k;
}

void chanrec_claim(const iotsafe_card *c, uint8_t ch)
{
    chanrec_line l[REC_MAX + 1];
    int fd = rec_open_locked(c);
    if (fd < 0)
        return;
    /* the card just gave us ch: whoever the file names for it lost it (reset, close) */
    size_t n = rec_drop(l, rec_read(fd, l), ch);
    long me = (long)getpid();
    l[n++] = (chanrec_line){ch, me, proc_start(me)};
    rec_write(fd, l, n);
    close(fd);
}

void chanrec_release(const iotsafe_card *c, uint8_t ch)
{
    chanrec_line l[REC_MAX];
    int fd = rec_open_locked(c);
    if (fd < 0)
        return;
    size_t n = rec_read(fd, l), k = 0;
    for (size_t i = 0; i < n; i++)
        if (!(l[i].ch == ch && l[i].pid == (long)getpid()))
            l[k++] = l[i];
    rec_write(fd, l, k);
    close(fd);
}

size_t chanrec_reap(const iotsafe_card *c, uint8_t *out, size_t cap)
{
    chanrec_line l[REC_MAX];
    int fd = rec_open_locked(c);
    if (fd < 0)
        return 0;
    size_t n = rec_read(fd, l), k = 0, got = 0;
    for (size_t i = 0; i < n; i++) {
        int live_owner = 0;
        for (size_t j = 0; j < n; j++)
            if (l[j].ch == l[i].ch && owner_alive(&l[j]))
                live_owner = 1;
        if (!live_owner && got < cap) {
            int dup = 0;
            for (size_t j = 0; j < got; j++)
                dup |= out[j] == l[i].ch;
            if (!dup)
                out[got++] = (uint8_t)l[i].ch;
        } else if (live_owner) {
            l[k++] = l[i];
        }
    }
    rec_write(fd, l, k);
    close(fd);
    return got;
}

/* ---- fair in-process lock: threads take the card in the order they asked for it ---- */

void card_lock_init(iotsafe_card *c)
{
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->turn, NULL);
    c->next_ticket = 0;
    c->serving = 0;
}

void card_lock_destroy(iotsafe_card *c)
{
    pthread_cond_destroy(&c->turn);
    pthread_mutex_destroy(&c->lock);
}

void card_lock(iotsafe_card *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned long t = c->next_ticket++;
    while (c->serving != t)
        pthread_cond_wait(&c->turn, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void card_unlock(iotsafe_card *c)
{
    pthread_mutex_lock(&c->lock);
    c->serving++;
    pthread_cond_broadcast(&c->turn);
    pthread_mutex_unlock(&c->lock);
}

int card_lock_timed(iotsafe_card *c, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    /* only when nobody holds or waits: a ticket once taken must be served */
    while (c->serving != c->next_ticket) {
        if (pthread_cond_timedwait(&c->turn, &c->lock, &until) != 0 &&
            c->serving != c->next_ticket) {
            pthread_mutex_unlock(&c->lock);
            return 0;
        }
    }
    c->next_ticket++;
    pthread_mutex_unlock(&c->lock);
    return 1;
}
