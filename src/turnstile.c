/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair turns at one card across processes.
 *
 * pcscd 1.9's SCardBeginTransaction makes a waiting client poll every 100 ms,
 * while the holder can end its transaction and begin the next one within
 * microseconds: under load a process can wait for seconds while others sign.
 * So processes sharing a card first queue here: a ticket lock in a small file
 * mapped by every process (one per card slot, next to the channel records),
 * woken through a futex, in the order they asked. The PC/SC transaction that
 * follows then never waits for one of ours.
 *
 * Robust against processes that die: each ticket's slot names its owner pid;
 * a waiter that finds the ticket being served belongs to a dead process (or
 * to one that gave up at its deadline) moves the queue on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "card_internal.h"

#define TS_SLOTS 64
#define TS_CHECK_MS 200 /* how often a waiter looks for a dead or departed holder */
#define TS_GAVE_UP (-1)

typedef struct ts_slot {
    _Atomic int32_t pid;     /* owner of the ticket; TS_GAVE_UP: left at its deadline */
    _Atomic uint32_t ticket; /* which ticket this slot describes now */
} ts_slot;

typedef struct ts_shared {
    _Atomic uint32_t next;
    _Atomic uint32_t serving;
    _Atomic uint32_t sleepers; /* waiters inside futex_wait: leave skips the wake when 0 */
    ts_slot slot[TS_SLOTS];
} ts_shared;

struct card_turnstile {
    ts_shared *sh;
    uint32_t mine; /* ticket held between enter and leave */
};

_Static_assert(sizeof(ts_shared) <= 4096, "one page");

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

card_turnstile *turnstile_open(const iotsafe_transport *t)
{
    char path[600];
    if (card_runtime_path(t, "turn", path, sizeof path) != 0)
        return NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
        return NULL;
    fchmod(fd, 0666); /* processes of other users share the card */
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (sb.st_size < 4096 && ftruncate(fd, 4096) != 0)) {
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    card_turnstile *ts = calloc(1, sizeof *ts);
    if (ts == NULL) {
        munmap(m, 4096);
        return NULL;
    }
    ts->sh = m;
    return ts;
}

void turnstile_close(card_turnstile *ts)
{
    if (ts == NULL)
        return;
    munmap(ts->sh, 4096);
    free(ts);
}

static void futex_wait(_Atomic uint32_t *addr, uint32_t val, long ms)
{
    struct timespec to = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    (void)syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, val, &to, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *addr)
{
    (void)syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The ticket being served belongs to nobody who will ever come: move on. */
static void skip_if_gone(ts_shared *sh, uint32_t s)
{
    ts_slot *sl = &sh->slot[s % TS_SLOTS];
    if (atomic_load(&sl->ticket) != s)
        return; /* not claimed yet, or overwritten by a later ticket: no verdict */
    int32_t pid = atomic_load(&sl->pid);
    int gone = pid == TS_GAVE_UP || (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH);
    if (gone && atomic_compare_exchange_strong(&sh->serving, &s, s + 1))
        futex_wake_all(&sh->serving);
}

int turnstile_enter(card_turnstile *ts, unsigned long timeout_ms)
{
    ts_shared *sh = ts->sh;
    uint32_t t = atomic_fetch_add(&sh->next, 1);
    ts_slot *sl = &sh->slot[t % TS_SLOTS];
    atomic_store(&sl->pid, (int32_t)getpid());
    atomic_store(&sl->ticket, t);
    long until = timeout_ms != 0 ? mono_ms() + (long)timeout_ms : 0;
    for (;;) {
        uint32_t s = atomic_load(&sh->serving);
        if (s == t) {
            ts->mine = t;
            return 0;
        }
        /* a serving counter past our ticket: someone skipped us as gone; queue again */
        if ((int32_t)(s - t) > 0) {
            t = atomic_fetch_add(&sh->next, 1);
            sl = &sh->slot[t % TS_SLOTS];
            atomic_store(&sl->pid, (int32_t)getpid());
            atomic_store(&sl->ticket, t);
            continue;
        }
        long wait = TS_CHECK_MS;
        if (until != 0) {
            long left = until - mono_ms();
            if (left <= 0) {
                atomic_store(&sl->pid, TS_GAVE_UP);
                skip_if_gone(sh, atomic_load(&sh->serving)); /* our turn may just have come */
                return -1;
            }
            if (left < wait)
                wait = left;
        }
        atomic_fetch_add(&sh->sleepers, 1);
        futex_wait(&sh->serving, s, wait);
        atomic_fetch_sub(&sh->sleepers, 1);
        skip_if_gone(sh, atomic_load(&sh->serving));
    }
}

void turnstile_leave(card_turnstile *ts)
{
    uint32_t t = ts->mine;
    /* only if still ours: a waiter may have skipped a holder it took for gone */
    if (atomic_compare_exchange_strong(&ts->sh->serving, &t, t + 1) &&
        atomic_load(&ts->sh->sleepers) != 0)
        futex_wake_all(&ts->sh->serving);
}
