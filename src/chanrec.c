/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-card record of logical channel owners (file channels-KEY in the
 * shared-state directory, statedir.c), so that the next process can close
 * the channels of processes that died without running any handler (see
 * channels.c).
 *
 * One line per channel, "CH PID START NS" (owner pid, its start time and its
 * PID namespace, owner.c). Edits happen under flock, waited for no longer
 * than the command's deadline. Besides its line, the owner holds an
 * open-file-description lock on a byte of the channel's range of the file
 * (REC_LOCK_BASE + CH * REC_CH_SPAN + its pid) for as long as the channel is
 * open: the kernel drops it when the owner dies, in any namespace, and nobody
 * can fake its absence by writing the file. Every claim has a byte of its own,
 * so an earlier owner that has not let go yet (after a card reset) cannot
 * leave the new one unprotected. A channel is reclaimed only when no lock is
 * held anywhere in its range *and* every recorded owner is provably dead in
 * our own PID namespace: whatever the file says, a channel whose owner lives
 * is never closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "card_internal.h"
#include "clock.h"

#define REC_MAX 32 /* lines kept per card: channels 1..19, with room to spare */
#define REC_FILE_MAX 4096
#define REC_LOCK_BASE 65536
#define REC_CH_SPAN 4194304 /* one byte per possible pid (pid_max is at most 2^22) */

/*
 * The record is written by every process of the group: parse it as hostile.
 * At most cap lines "CH PID START NS" with CH 1..19 and PID > 0 are kept;
 * anything else (long lines, junk, NULs) is skipped. Reads only buf[0..len).
 */
size_t chanrec_parse(const char *buf, size_t len, chanrec_line *l, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < len && k < cap) {
        size_t j = i;
        while (j < len && buf[j] != '\n')
            j++;
        char line[96];
        size_t n = j - i;
        if (n > 0 && n < sizeof line) {
            memcpy(line, buf + i, n);
            line[n] = '\0';
            chanrec_line r;
            char tail;
            if (sscanf(line, "%u %ld %llu %llu%c", &r.ch, &r.owner.pid, &r.owner.start, &r.owner.ns,
                       &tail) == 4 &&
                r.ch >= 1 && r.ch <= 19 && r.owner.pid > 0)
                l[k++] = r;
        }
        i = j + 1;
    }
    return k;
}

static off_t ch_base(unsigned ch)
{
    return (off_t)REC_LOCK_BASE + (off_t)ch * REC_CH_SPAN;
}

/* Our claim on channel ch: the byte of our pid in its range. */
static int byte_lock(int fd, unsigned ch, short type)
{
    return statedir_lock(fd, ch_base(ch) + (off_t)((unsigned long)getpid() % REC_CH_SPAN), 1, type);
}

/* 1 when another open file (another process, or another handle of ours) holds a lock on channel ch. */
static int held_elsewhere(int fd, unsigned ch)
{
    return statedir_locked_elsewhere(fd, ch_base(ch), REC_CH_SPAN);
}

int chanrec_open(iotsafe_card *c, char *why, size_t cap)
{
    c->rec_fd = statedir_file(&c->state, "channels", 1, why, cap);
    return c->rec_fd >= 0 ? 0 : -1;
}

void chanrec_close(iotsafe_card *c)
{
    if (c->rec_fd >= 0)
        close(c->rec_fd); /* our channel locks go with it (a forked child's copy keeps them) */
    c->rec_fd = -1;
}

/*
 * The record's flock, waited for at most wait_ms (0: no deadline). 1: held;
 * 0: no record for this handle; -1: the deadline passed (st says which file).
 */
static int rec_lock(iotsafe_card *c, unsigned long wait_ms, const char *cmd, iotsafe_status *st)
{
    if (c->rec_fd < 0)
        return 0;
    const long start = now_ms();
    for (long nap = 1;; nap = nap < 16 ? nap * 2 : 16) {
        if (flock(c->rec_fd, LOCK_EX | LOCK_NB) == 0)
            return 1;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return 0;
        long left = (long)wait_ms - (now_ms() - start); /* 0: one try, never an endless wait */
        if (left <= 0) {
            char name[300];
            statedir_name(&c->state, "channels", name, sizeof name);
            c->state_timeout = 1; /* the card is fine: card_run keeps this message */
            iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0,
                               "%s on the card in reader '%s': the channel record %s stayed "
                               "locked for %.1f s (another process holds it)",
                               cmd, c->reader, name, (double)wait_ms / 1000.0);
            return -1;
        }
        sleep_ms(nap < left ? nap : left);
    }
}

static void rec_unlock(iotsafe_card *c)
{
    flock(c->rec_fd, LOCK_UN);
}

static size_t rec_read(int fd, chanrec_line *l)
{
    char buf[REC_FILE_MAX];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    return n > 0 ? chanrec_parse(buf, (size_t)n, l, REC_MAX) : 0;
}

/* Rewrite the whole record: a file grown with junk is cut back to the lines kept. */
static void rec_write(int fd, const chanrec_line *l, size_t n)
{
    char buf[REC_FILE_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof buf; i++) {
        int w = snprintf(buf + k, sizeof buf - k, "%u %ld %llu %llu\n", l[i].ch, l[i].owner.pid,
                         l[i].owner.start, l[i].owner.ns);
        if (w < 0 || (size_t)w >= sizeof buf - k)
            break;
        k += (size_t)w;
    }
    /* written before cut: a process killed in between leaves every line, not none */
    if (k == 0 || pwrite(fd, buf, k, 0) == (ssize_t)k)
        (void)!ftruncate(fd, (off_t)k);
}

static size_t rec_drop(chanrec_line *l, size_t n, unsigned ch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].ch != ch)
            l[k++] = l[i];
    return k;
}

iotsafe_rc chanrec_claim(iotsafe_card *c, uint8_t ch, unsigned long wait_ms, iotsafe_status *st)
{
    int locked = rec_lock(c, wait_ms, "MANAGE CHANNEL (open)", st);
    if (locked <= 0)
        return locked < 0 ? IOTSAFE_E_TIMEOUT : IOTSAFE_OK;
    chanrec_line l[REC_MAX + 1];
    /* the card just gave us ch: whoever the file names for it lost it (reset, close) */
    size_t n = rec_drop(l, rec_read(c->rec_fd, l), ch);
    l[n].ch = ch;
    owner_self(&c->state.me, &l[n].owner);
    rec_write(c->rec_fd, l, n + 1);
    (void)byte_lock(c->rec_fd, ch, F_WRLCK);
    rec_unlock(c);
    return IOTSAFE_OK;
}

/* Tidying the record up (nobody waits for its result): the exit deadline, or `timeout` if shorter. */
static unsigned long tidy_wait(const iotsafe_card *c)
{
    return c->timeout_ms != 0 && c->timeout_ms < CARD_EXIT_TIMEOUT_MS ? c->timeout_ms
                                                                      : CARD_EXIT_TIMEOUT_MS;
}

void chanrec_release(iotsafe_card *c, uint8_t ch)
{
    iotsafe_status ignored;
    int locked = rec_lock(c, tidy_wait(c), "MANAGE CHANNEL (close)", &ignored);
    c->state_timeout = 0; /* nobody hears of it: the close itself went fine */
    if (locked <= 0) {
        if (c->rec_fd >= 0)
            (void)byte_lock(c->rec_fd, ch,
                            F_UNLCK); /* the line stays; the next claimant drops it */
        return;
    }
    chanrec_line l[REC_MAX];
    size_t n = rec_read(c->rec_fd, l), k = 0;
    for (size_t i = 0; i < n; i++)
        if (!(l[i].ch == ch && l[i].owner.pid == (long)getpid()))
            l[k++] = l[i];
    rec_write(c->rec_fd, l, k);
    (void)byte_lock(c->rec_fd, ch, F_UNLCK);
    rec_unlock(c);
}

void chanrec_forget_unlocked(iotsafe_card *c)
{
    iotsafe_status ignored;
    int locked = rec_lock(c, tidy_wait(c), "card reset", &ignored);
    c->state_timeout = 0;
    if (locked <= 0)
        return;
    chanrec_line l[REC_MAX];
    size_t n = rec_read(c->rec_fd, l), k = 0;
    for (size_t i = 0; i < n; i++)
        if (held_elsewhere(c->rec_fd, l[i].ch))
            l[k++] = l[i];
    if (k != n)
        rec_write(c->rec_fd, l, k);
    rec_unlock(c);
}

/* Channel ch may be closed: not ours, its lock free, every line naming it provably dead. */
static int reclaimable(const iotsafe_card *c, const chanrec_line *l, size_t n, unsigned ch)
{
    if ((c->channel_opened && c->channel == ch) || c->stale_channel == ch)
        return 0;
    if (held_elsewhere(c->rec_fd, ch))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].ch == ch && !owner_provably_dead(&l[i].owner, &c->state.me))
            return 0;
    return 1;
}

iotsafe_rc chanrec_reap(iotsafe_card *c, uint8_t *out, size_t cap, size_t *got,
                        unsigned long wait_ms, iotsafe_status *st)
{
    *got = 0;
    int locked = rec_lock(c, wait_ms, "MANAGE CHANNEL (open)", st);
    if (locked <= 0)
        return locked < 0 ? IOTSAFE_E_TIMEOUT : IOTSAFE_OK;
    chanrec_line l[REC_MAX];
    size_t n = rec_read(c->rec_fd, l), k = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < *got; j++)
            seen |= out[j] == l[i].ch;
        if (seen)
            continue; /* already chosen: its lines go */
        if (*got < cap && reclaimable(c, l, n, l[i].ch))
            out[(*got)++] = (uint8_t)l[i].ch;
        else
            l[k++] = l[i];
    }
    rec_write(c->rec_fd, l, k);
    rec_unlock(c);
    return IOTSAFE_OK;
}

int chanrec_still_free(const iotsafe_card *c, uint8_t ch)
{
    return c->rec_fd >= 0 && !held_elsewhere(c->rec_fd, ch);
}
