/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logical channel lifecycle across processes (the record of owners that
 * outlives a killed process is in chanrec.c).
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
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "card_internal.h"

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
