/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair turns at one card across processes.
 *
 * pcscd 1.9's SCardBeginTransaction makes a waiting client poll every 100 ms,
 * while the holder can end its transaction and begin the next one within
 * microseconds: under load a process can wait for seconds while others sign.
 * So processes sharing a card first queue here: a ticket lock in a one-page
 * file of the shared-state directory (turn-KEY, statedir.c), mapped by every
 * process of the group, woken through a futex, in the order they asked. The
 * PC/SC transaction that follows then never waits for one of ours.
 *
 * Nothing in the page is obeyed unchecked, and nothing in it can hold a
 * process past its own deadline:
 * - the file is mapped only after its owner, mode and size were checked
 *   (statedir.c), so only the group can truncate it under us;
 * - a page with a bad header or impossible counters is replaced by a fresh
 *   file (renamed into place); every process notices the replacement at its
 *   next turn (inode and size compared once per turn) and maps the new one;
 * - at most TS_SLOTS tickets are out at once, so a ticket's slot is never
 *   reused before the ticket was served (no ring wrap);
 * - the owner of a ticket holds an open-file-description lock on byte
 *   TS_LOCK_BASE + ticket while it waits and while it holds the turn (a byte
 *   of its own: a stale earlier owner of the slot cannot be holding it). The
 *   kernel drops it when the owner dies, whatever its PID namespace: a
 *   served ticket whose lock is free is passed at once, and so is every dead
 *   ticket behind it, in the same look; so is one whose owner is provably
 *   dead in our PID namespace (a forked child may keep a dead parent's lock);
 * - every ticket carries a lease (CLOCK_BOOTTIME): the waiter's deadline,
 *   then, once served, the running command's deadline, renewed per APDU. A
 *   served ticket whose lease ran out, or claims more than TS_LEASE_MAX_MS,
 *   or that nobody took up within TS_TAKE_MS, is passed.
 */
#define _GNU_SOURCE /* CLOCK_BOOTTIME */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "card_internal.h"
#include "clock.h"

#define TS_MAGIC 0x32535449u /* "ITS2" */
#define TS_SLOTS 64
#define TS_FILE_SIZE 4096
#define TS_LOCK_BASE 65536
#define TS_CHECK_MS 100   /* how often a waiter looks at the ticket being served */
#define TS_TAKE_MS 250    /* a served ticket must be taken up (or claimed) within this */
#define TS_MARGIN_MS 1000 /* lease beyond a command's deadline: pcscd round trips */
#define TS_LEASE_MAX_MS 300000

enum { TS_FREE = 0, TS_WAITING, TS_HOLDING, TS_GAVE_UP };

typedef struct ts_slot {
    _Atomic uint32_t ticket; /* which ticket this slot describes; written last by its owner */
    _Atomic uint32_t state;  /* TS_* */
    _Atomic int32_t pid;     /* owner, in its PID namespace */
    uint32_t pad;
    _Atomic int64_t lease;  /* CLOCK_BOOTTIME ms by which the owner is done */
    _Atomic uint64_t ns;    /* owner's PID namespace (owner.c) */
    _Atomic uint64_t start; /* owner's start time */
} ts_slot;

typedef struct ts_shared {
    _Atomic uint32_t magic;
    _Atomic uint32_t size;
    _Atomic uint32_t next;
    _Atomic uint32_t serving;
    _Atomic uint32_t sleepers; /* waiters inside futex_wait: a hint, leave skips the wake when 0 */
    uint32_t pad;
    ts_slot slot[TS_SLOTS];
} ts_shared;

_Static_assert(sizeof(ts_shared) <= TS_FILE_SIZE, "one page");

struct card_turnstile {
    const card_state *s;
    int fd;
    ts_shared *sh;
    uint32_t mine; /* ticket held between enter and leave */
    int held;
    int slot_locked;
    card_owner me; /* this process, as slots name it (read again after fork) */
};

static int64_t boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int slot_lock(int fd, uint32_t ticket, short type)
{
    return statedir_lock(fd, TS_LOCK_BASE + (off_t)ticket, 1, type);
}

/* 1 when some other open file holds ticket's lock (0: its owner is gone). */
static int slot_held(int fd, uint32_t ticket)
{
    return statedir_locked_elsewhere(fd, TS_LOCK_BASE + (off_t)ticket, 1);
}

static int init_page(int fd)
{
    ts_shared sh;
    memset(&sh, 0, sizeof sh);
    atomic_store(&sh.magic, TS_MAGIC);
    atomic_store(&sh.size, (uint32_t)sizeof sh);
    /* allocated, not sparse: touching a hole on a full tmpfs would be a SIGBUS */
    int e = posix_fallocate(fd, 0, TS_FILE_SIZE);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return pwrite(fd, &sh, sizeof sh, 0) == (ssize_t)sizeof sh ? 0 : -1;
}

static int page_valid(ts_shared *sh)
{
    uint32_t s, n;
    for (int i = 0;; i++) { /* next and serving as of one moment: serving unchanged around next */
        s = atomic_load(&sh->serving);
        n = atomic_load(&sh->next);
        if (atomic_load(&sh->serving) == s || i == 100)
            break;
    }
    return atomic_load(&sh->magic) == TS_MAGIC && atomic_load(&sh->size) == sizeof(ts_shared) &&
           n - s <= TS_SLOTS;
}

static void unmap(card_turnstile *ts)
{
    if (ts->sh != NULL)
        munmap(ts->sh, TS_FILE_SIZE);
    if (ts->fd >= 0)
        close(ts->fd);
    ts->sh = NULL;
    ts->fd = -1;
}

/*
 * Map the file at the path; with rebuild, first replace it by a fresh one
 * (unless someone already did: the path names another file). 0: mapped.
 */
static int map_current(card_turnstile *ts, int rebuild, char *why, size_t cap)
{
    if (rebuild && ts->fd >= 0 && !statedir_same_file(ts->s, "turn", ts->fd, TS_FILE_SIZE))
        rebuild = 0;
    unmap(ts);
    why[0] = '\0';
    int fd = rebuild ? -2 : statedir_file(ts->s, "turn", 0, why, cap);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || sb.st_size != TS_FILE_SIZE)) {
        close(fd); /* wrong size (truncated, grown): never mapped, replaced */
        fd = -2;
    }
    if (fd == -1)
        return -1; /* unusable (link, owner, mode): no fair queue */
    if (fd < 0) {
        why[0] = '\0';
        fd = statedir_publish(ts->s, "turn", init_page, why, cap);
        if (fd < 0)
            return -1;
    }
    void *m = mmap(NULL, TS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        return -1;
    }
    ts->fd = fd;
    ts->sh = m;
    if (!page_valid(ts->sh)) {
        if (rebuild)
            return -1; /* corrupted again at once: give up the queue for now */
        return map_current(ts, 1, why, cap);
    }
    return 0;
}

card_turnstile *turnstile_open(const card_state *s, char *why, size_t cap)
{
    card_turnstile *ts = calloc(1, sizeof *ts);
    if (ts == NULL) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    ts->s = s;
    ts->fd = -1;
    if (map_current(ts, 0, why, cap) != 0) {
        free(ts);
        return NULL;
    }
    return ts;
}

void turnstile_close(card_turnstile *ts)
{
    if (ts == NULL)
        return;
    unmap(ts); /* a forked child's copy of the lock stays with the parent's file */
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

/*
 * Whether the ticket being served, s, will never be used: its owner is gone
 * (lock free), gave up, overran its lease, or never took it up. first_seen:
 * when this waiter first saw s served (monotonic ms), for the take-up grace.
 */
static int ticket_gone(card_turnstile *ts, uint32_t s, long first_seen)
{
    ts_slot *sl = &ts->sh->slot[s % TS_SLOTS];
    const int late = now_ms() - first_seen >= TS_TAKE_MS;
    if (atomic_load(&sl->ticket) != s)
        return late; /* not claimed (its owner died between taking and claiming?) */
    uint32_t state = atomic_load(&sl->state);
    int64_t lease = atomic_load(&sl->lease), now = boot_ms();
    const card_owner o = {
        .pid = atomic_load(&sl->pid), .ns = atomic_load(&sl->ns), .start = atomic_load(&sl->start)};
    int gone = state == TS_GAVE_UP || lease < now || lease - now > TS_LEASE_MAX_MS ||
               (state == TS_WAITING && late) || !slot_held(ts->fd, s) ||
               owner_provably_dead(&o, &ts->s->me);
    return gone && atomic_load(&sl->ticket) == s; /* still the same owner's slot */
}

/* Pass every ticket at the head that will never be used; 1 if any was passed. */
static int pass_gone(card_turnstile *ts, uint32_t mine, uint32_t *seen, long *first_seen)
{
    int passed = 0;
    for (int i = 0; i < TS_SLOTS; i++) {
        uint32_t s = atomic_load(&ts->sh->serving);
        if (s != *seen) {
            *seen = s;
            *first_seen = now_ms();
        }
        if (s == mine || atomic_load(&ts->sh->next) == s || !ticket_gone(ts, s, *first_seen))
            break;
        if (!atomic_compare_exchange_strong(&ts->sh->serving, &s, s + 1))
            break;
        passed = 1;
    }
    if (passed)
        futex_wake_all(&ts->sh->serving);
    return passed;
}

static void claim_slot(card_turnstile *ts, uint32_t t, int64_t lease)
{
    ts_slot *sl = &ts->sh->slot[t % TS_SLOTS];
    ts->slot_locked = slot_lock(ts->fd, t, F_WRLCK) == 0;
    if (ts->me.pid != (long)getpid())
        owner_self(&ts->s->me, &ts->me);
    atomic_store(&sl->pid, (int32_t)ts->me.pid);
    atomic_store(&sl->ns, ts->me.ns);
    atomic_store(&sl->start, ts->me.start);
    atomic_store(&sl->state, TS_WAITING);
    atomic_store(&sl->lease, lease);
    atomic_store(&sl->ticket, t); /* last: the slot is t's from here on */
}

static void release_slot(card_turnstile *ts, uint32_t t, uint32_t state)
{
    ts_slot *sl = &ts->sh->slot[t % TS_SLOTS];
    if (atomic_load(&sl->ticket) == t)
        atomic_store(&sl->state, state);
    if (ts->slot_locked)
        (void)slot_lock(ts->fd, t, F_UNLCK);
    ts->slot_locked = 0;
}

/* A lease SPAN ms from now, never beyond what waiters accept (TS_LEASE_MAX_MS, less a margin). */
static int64_t lease_in(int64_t span)
{
    if (span > TS_LEASE_MAX_MS - TS_MARGIN_MS)
        span = TS_LEASE_MAX_MS - TS_MARGIN_MS;
    return boot_ms() + span;
}

/* The lease of a ticket whose owner waits until `until` (0: no deadline). */
static int64_t wait_lease(long until)
{
    return lease_in(until != 0 ? until - now_ms() + TS_MARGIN_MS : TS_LEASE_MAX_MS);
}

/* Take a ticket when fewer than TS_SLOTS are out. 1: taken; 0: deadline; -1: page corrupt. */
static int take_ticket(card_turnstile *ts, long until, uint32_t *t)
{
    uint32_t seen = 0;
    long first_seen = now_ms();
    for (;;) {
        if (!page_valid(ts->sh))
            return -1;
        uint32_t n = atomic_load(&ts->sh->next), s = atomic_load(&ts->sh->serving);
        if (n - s < TS_SLOTS) {
            if (atomic_compare_exchange_weak(&ts->sh->next, &n, n + 1)) {
                *t = n;
                return 1;
            }
            continue;
        }
        if (pass_gone(ts, UINT32_MAX, &seen, &first_seen))
            continue;
        long left = until != 0 ? until - now_ms() : TS_CHECK_MS;
        if (left <= 0)
            return 0;
        atomic_fetch_add(&ts->sh->sleepers, 1);
        futex_wait(&ts->sh->serving, s, left < TS_CHECK_MS ? left : TS_CHECK_MS);
        atomic_fetch_sub(&ts->sh->sleepers, 1);
    }
}

int turnstile_enter(card_turnstile *ts, unsigned long timeout_ms)
{
    char why[320];
    ts->held = 0;
    const long until = timeout_ms != 0 ? now_ms() + (long)timeout_ms : 0;
    /* the path may name a new file (rebuilt by someone, or removed): follow it */
    if ((ts->sh == NULL || !statedir_same_file(ts->s, "turn", ts->fd, TS_FILE_SIZE) ||
         !page_valid(ts->sh)) &&
        map_current(ts, 0, why, sizeof why) != 0)
        return 0; /* no queue now (the file became unusable): PC/SC's own turns only */
    for (int rebuilds = 0;;) {
        uint32_t t;
        int r = take_ticket(ts, until, &t);
        if (r == 0)
            return -1;
        if (r < 0) {
            if (rebuilds++ > 3 || map_current(ts, 1, why, sizeof why) != 0)
                return 0;
            continue;
        }
        claim_slot(ts, t, wait_lease(until));
        uint32_t seen = t - 1;
        long first_seen = now_ms();
        int corrupt = 0;
        for (;;) {
            uint32_t s = atomic_load(&ts->sh->serving);
            if (s == t) {
                /* the transport's own wait (SCardBeginTransaction) has what is left of our
                   deadline; each command then renews the lease with its own */
                ts_slot *sl = &ts->sh->slot[t % TS_SLOTS];
                atomic_store(&sl->lease, wait_lease(until));
                atomic_store(&sl->state, TS_HOLDING);
                ts->mine = t;
                ts->held = 1;
                return 1;
            }
            if (!page_valid(ts->sh)) {
                corrupt = 1;
                break;
            }
            /* serving went past our ticket: someone took us for gone; queue again */
            if ((int32_t)(s - t) > 0)
                break;
            /* still ours to renew (long waits), only now that serving has not passed it */
            atomic_store(&ts->sh->slot[t % TS_SLOTS].lease, wait_lease(until));
            if (pass_gone(ts, t, &seen, &first_seen))
                continue;
            long wait = TS_CHECK_MS;
            if (until != 0) {
                long left = until - now_ms();
                if (left <= 0) {
                    release_slot(ts, t, TS_GAVE_UP);
                    pass_gone(ts, t, &seen, &first_seen); /* our turn may just have come */
                    if (atomic_load(&ts->sh->serving) == t &&
                        atomic_compare_exchange_strong(&ts->sh->serving, &t, t + 1))
                        futex_wake_all(&ts->sh->serving);
                    return -1;
                }
                if (left < wait)
                    wait = left;
            }
            atomic_fetch_add(&ts->sh->sleepers, 1);
            futex_wait(&ts->sh->serving, s, wait);
            atomic_fetch_sub(&ts->sh->sleepers, 1);
        }
        release_slot(ts, t, TS_GAVE_UP);
        if (corrupt && (rebuilds++ > 3 || map_current(ts, 1, why, sizeof why) != 0))
            return 0;
    }
}

void turnstile_renew(card_turnstile *ts, unsigned long ms)
{
    if (ts == NULL || !ts->held)
        return;
    atomic_store(&ts->sh->slot[ts->mine % TS_SLOTS].lease,
                 lease_in(ms != 0 ? (int64_t)ms + TS_MARGIN_MS : TS_LEASE_MAX_MS));
}

void turnstile_leave(card_turnstile *ts)
{
    if (ts == NULL || !ts->held)
        return;
    ts->held = 0;
    uint32_t t = ts->mine;
    /* only if still ours: a waiter may have passed a holder it took for gone */
    int mine = atomic_compare_exchange_strong(&ts->sh->serving, &t, t + 1);
    release_slot(ts, ts->mine, TS_FREE);
    if (mine && atomic_load(&ts->sh->sleepers) != 0)
        futex_wake_all(&ts->sh->serving);
}
