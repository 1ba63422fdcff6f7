/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A card shared with other processes: the shared-state directory, the record
 * of channel owners and the queue of fair turns are opened together when a
 * handle is made (no card I/O), and a transaction at the card is our fair
 * turn first, then the transport's own (SCardBeginTransaction), both within
 * one deadline.
 */
#include <stdio.h>
#include <string.h>

#include "card_internal.h"
#include "clock.h"

/* The directory, the channel record and the fair queue: all of them, or none (what says why). */
void card_shared_open(iotsafe_card *c, const char *dir)
{
    char why[320];
    c->rec_fd = -1;
    c->queue = NULL;
    if (strcmp(c->t->ops->name, "func") == 0)
        dir = "none"; /* an in-process card is nobody else's */
    statedir_open(&c->state, dir, c->t);
    if (c->state.dirfd < 0)
        return;
    why[0] = '\0';
    if (chanrec_open(c, why, sizeof why) == 0)
        c->queue = turnstile_open(&c->state, why, sizeof why);
    if (c->queue == NULL) {
        chanrec_close(c);
        statedir_close(&c->state);
        snprintf(c->state.what, sizeof c->state.what, "none (%s)",
                 why[0] != '\0' ? why : "cannot map the queue of turns");
    }
}

void card_shared_close(iotsafe_card *c)
{
    turnstile_close(c->queue);
    c->queue = NULL;
    chanrec_close(c);
    statedir_close(&c->state);
}

iotsafe_rc card_begin(iotsafe_card *c, iotsafe_status *st)
{
    const long start = now_ms();
    const unsigned long wait = c->t->timeout_ms;
    int turn = c->queue != NULL ? turnstile_enter(c->queue, wait) : 0;
    if (turn < 0) {
        char name[300];
        statedir_name(&c->state, "turn", name, sizeof name);
        c->state_timeout = 1; /* card_run keeps this message */
        return iotsafe_status_set(st, IOTSAFE_E_TIMEOUT, 0,
                                  "waiting for the card in reader '%s': no turn after %.1f s "
                                  "(another process holds it, or the card does not answer; "
                                  "queue %s)",
                                  c->reader, (double)wait / 1000.0, name);
    }
    if (wait != 0) { /* the transaction gets what is left of the same deadline */
        long left = (long)wait - (now_ms() - start);
        c->t->timeout_ms = (unsigned long)(left > 1 ? left : 1);
    }
    iotsafe_rc rc = c->t->ops->begin(c->t, st);
    c->t->timeout_ms = wait;
    if (rc != IOTSAFE_OK && turn > 0)
        turnstile_leave(c->queue);
    return rc;
}

void card_end(iotsafe_card *c)
{
    iotsafe_status ignored;
    (void)c->t->ops->end(c->t, &ignored); /* after a timeout the transport is dropped */
    if (c->queue != NULL)
        turnstile_leave(c->queue);
}
