/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-card record of logical channel owners: one line per channel
 * (channel, owner pid, owner start time) in a file under flock, so that the
 * next process can close the channels of processes that died without running
 * any handler (see channels.c). Also the runtime paths shared with turnstile.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card_internal.h"

#define REC_MAX 32 /* lines kept per card: channels 1..19, with room to spare */
#define REC_FILE_MAX 4096

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
            if (sscanf(line, "%u %ld %llu%c", &r.ch, &r.pid, &r.start, &tail) == 3 && r.ch >= 1 &&
                r.ch <= 19 && r.pid > 0)
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
        int w = snprintf(buf + k, sizeof buf - k, "%u %ld %llu\n", l[i].ch, l[i].pid, l[i].start);
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
