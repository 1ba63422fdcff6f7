/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The card handle: configuration, mutex, transactions, recovery after a
 * reset or removal (reconnect and reselect once, then retry once), caches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card_internal.h"
#include "clock.h"

const uint8_t IOTSAFE_AID_GSMA[7] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10};

void iotsafe_config_init(iotsafe_config *cfg)
{
    if (cfg != NULL)
        memset(cfg, 0, sizeof *cfg);
}

void card_flush_locked(iotsafe_card *c)
{
    free(c->objs);
    c->objs = NULL;
    c->n_objs = 0;
    c->objs_valid = 0;
    c->n_pubs = 0;
}

static int pub_match(const card_pub_entry *e, const iotsafe_ref *ref)
{
    if (ref->id != NULL)
        return !e->is_label && e->ref_len == ref->id_len &&
               memcmp(e->ref, ref->id, ref->id_len) == 0;
    return e->is_label && e->ref_len == ref->label_len &&
           memcmp(e->ref, ref->label, ref->label_len) == 0;
}

const card_pub_entry *card_pub_get(const iotsafe_card *c, const iotsafe_ref *ref)
{
    for (size_t i = 0; i < c->n_pubs; i++)
        if (pub_match(&c->pubs[i], ref))
            return &c->pubs[i];
    return NULL;
}

void card_pub_drop(iotsafe_card *c, const iotsafe_ref *ref)
{
    for (size_t i = 0; i < c->n_pubs;) {
        if (pub_match(&c->pubs[i], ref)) {
            c->pubs[i] = c->pubs[c->n_pubs - 1];
            c->n_pubs--;
        } else {
            i++;
        }
    }
}

void card_pub_put(iotsafe_card *c, const iotsafe_ref *ref, const uint8_t *point, size_t len)
{
    if (len > IOTSAFE_POINT_MAX)
        return;
    card_pub_drop(c, ref);
    if (c->n_pubs == CARD_PUBCACHE_MAX) { /* full: forget the oldest */
        memmove(c->pubs, c->pubs + 1, sizeof c->pubs[0] * (CARD_PUBCACHE_MAX - 1));
        c->n_pubs--;
    }
    card_pub_entry *e = &c->pubs[c->n_pubs++];
    e->is_label = ref->id == NULL;
    e->ref_len = e->is_label ? ref->label_len : ref->id_len;
    memcpy(e->ref, e->is_label ? ref->label : ref->id, e->ref_len);
    memcpy(e->point, point, len);
    e->point_len = len;
}

static int is_lost(iotsafe_rc rc)
{
    return rc == IOTSAFE_E_CARD_RESET || rc == IOTSAFE_E_CARD_REMOVED || rc == IOTSAFE_E_NO_SERVICE;
}

/* Card-side state is gone (reset, removal) or unknown (timeout): start again from SELECT. */
enum forget {
    FORGET_TIMEOUT, /* no answer: our channel may still be open on the card */
    FORGET_CLOSED,  /* our channel was closed by someone else (6881) */
    FORGET_LOST,    /* reset, removal, daemon restart: no channel is open any more */
};

static void forget_card_state(iotsafe_card *c, enum forget how)
{
    /* after a timeout without reset the channel is still ours on the card: close it later */
    if (how == FORGET_TIMEOUT && c->channel_opened)
        c->stale_channel = c->channel;
    else if (c->channel_opened)
        chanrec_release(c, c->channel);
    if (how == FORGET_LOST) {
        /* a channel left open by a timeout went with the reset: its number is someone else's next */
        if (c->stale_channel != 0)
            chanrec_release(c, c->stale_channel);
        c->stale_channel = 0;
        chanrec_forget_unlocked(c);
    }
    c->selected = 0;
    c->channel_opened = 0;
    c->channel = 0;
    card_flush_locked(c);
}

#define CARD_RECOVER_MS 2500
#define CARD_RECOVER_POLL_MS 100

static double secs(unsigned long ms)
{
    return (double)ms / 1000.0;
}

/* "COMPUTE SIGNATURE UPDATE on private key id=01 (DEVKEY)" or the command alone. */
static void what_str(const iotsafe_card *c, char *buf, size_t cap)
{
    if (c->cur_obj[0] != '\0')
        snprintf(buf, cap, "%s on %s", card_ins_name(c->last_ins), c->cur_obj);
    else
        snprintf(buf, cap, "%s", card_ins_name(c->last_ins));
}

/*
 * The one retry layer: after a reset, a removal or a daemon restart the
 * operation runs again on a reconnected handle (for up to CARD_RECOVER_MS:
 * right after a dropped connection the reader may still report the old
 * state once), unless a command that changes the card (card_ins_resendable)
 * already went out in this attempt: the card may have executed it, so it is
 * reported, never re-sent.
 * A deadline that expires is not retried either (the card is slow or gone).
 */
static iotsafe_rc run_locked(iotsafe_card *c, card_op_fn op, void *arg, iotsafe_status *st)
{
    iotsafe_rc rc;
    long lost_at = 0;
    for (int attempt = 0;; attempt++) {
        /*
         * One PC/SC transaction per command sequence: two pcscd round trips
         * (SCardBeginTransaction/End), no card I/O, and what a signature
         * needs to be correct. Between our INIT and UPDATE no other process
         * may run an INIT: whether the applet keeps sessions per channel or
         * per applet is unspecified (and cards may offer a single session),
         * so another process's INIT could replace ours and our UPDATE would
         * sign with its key. Nothing else is sent around a signature: no
         * SCardStatus (a dead or reset card shows in SCardTransmit's result,
         * and is recovered from below), no re-SELECT (the applet stays
         * selected on our channel until a reset, which clears `selected`).
         */
        int began = 0;
        c->unsafe_sent = 0;
        c->state_timeout = 0;
        c->last_ins = 0;
        c->cur_obj[0] = '\0';
        c->t->timeout_ms = c->timeout_ms != 0 ? c->timeout_ms : CARD_TIMEOUT_WAIT_MS;
        rc = card_begin(c, st);
        if (rc == IOTSAFE_OK) {
            began = 1;
            if (!c->selected) {
                rc = card_open_channel_and_select(c, st);
                if (c->channel_opened)
                    chanreg_add(c); /* closed at exit even if the program never frees us */
            }
            if (rc == IOTSAFE_OK && op != NULL)
                rc = op(c, arg, st);
            unsigned long ms = c->t->timeout_ms; /* the deadline that expired, for the message */
            c->t->timeout_ms = CARD_TIMEOUT_READ_MS;
            card_end(c);
            c->t->timeout_ms = ms;
            if (c->basic_fallback)
                c->selected = 0; /* the basic channel is shared: SELECT again next time */
        }
        if (c->channel_lost) {
            /* another process closed our channel (the card said 6881, so it executed
               nothing): open a new one and run the operation again, once */
            c->channel_lost = 0;
            forget_card_state(c, FORGET_CLOSED);
            if (attempt == 0 && !c->unsafe_sent)
                continue;
        }
        if (rc == IOTSAFE_E_TIMEOUT && c->state_timeout) {
            c->state_timeout = 0;
            return rc; /* a shared file stayed locked, not the card: chanrec.c said which */
        }
        if (rc == IOTSAFE_E_TIMEOUT) {
            char what[CARD_DESC_MAX + 40];
            unsigned long ms = c->t->timeout_ms;
            forget_card_state(c, FORGET_TIMEOUT);
            if (!began)
                return iotsafe_status_set(
                    st, rc, 0,
                    "waiting for the card in reader '%s': no turn after %.1f s (another process "
                    "holds it, or the card does not answer)",
                    c->reader, secs(ms));
            what_str(c, what, sizeof what);
            return iotsafe_status_set(st, rc, 0,
                                      "%s: no answer from the card in reader '%s' after %.1f s%s",
                                      what, c->reader, secs(ms),
                                      c->unsafe_sent ? "; not sent again (the card may have "
                                                       "executed it)"
                                                     : "");
        }
        if (!is_lost(rc))
            return rc;
        /* all card-side state is gone: channel, selection, sessions, caches */
        forget_card_state(c, FORGET_LOST);
        if (attempt == 0)
            lost_at = now_ms();
        else
            sleep_ms(CARD_RECOVER_POLL_MS); /* the reader has not caught up with the card yet */
        if (c->unsafe_sent) {
            char what[CARD_DESC_MAX + 40];
            iotsafe_status prev;
            if (st != NULL)
                prev = *st;
            else
                prev.msg[0] = '\0';
            what_str(c, what, sizeof what);
            return iotsafe_status_set(st, rc, 0,
                                      "%s: the card in reader '%s' went away during the command; "
                                      "not sent again (the card may have executed it): %s",
                                      what, c->reader, prev.msg);
        }
        /* lost again: only a reader still catching up with a dropped card is worth waiting for */
        if (attempt > 0 && (rc == IOTSAFE_E_CARD_RESET || now_ms() - lost_at > CARD_RECOVER_MS)) {
            iotsafe_status prev;
            if (st != NULL)
                prev = *st;
            else
                prev.msg[0] = '\0';
            return iotsafe_status_set(st, rc, 0,
                                      "card in '%s' lost again after reconnecting, giving up: %s",
                                      c->reader, prev.msg);
        }
        iotsafe_status rst;
        c->t->timeout_ms = c->timeout_ms != 0 ? c->timeout_ms : CARD_TIMEOUT_WAIT_MS;
        iotsafe_rc rrc = c->t->ops->reconnect(c->t, &rst);
        if (rrc != IOTSAFE_OK)
            return iotsafe_status_set(st, rrc, 0, "card %s and could not be reconnected: %s",
                                      rc == IOTSAFE_E_CARD_RESET ? "was reset" : "went away",
                                      rst.msg);
    }
}

iotsafe_rc card_run(iotsafe_card *c, card_op_fn op, void *arg, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (c == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "no card handle");
    if (st != NULL) /* messages of every layer name the reader */
        memcpy(st->reader, c->reader, sizeof st->reader);
    card_lock(c);
    iotsafe_rc rc = run_locked(c, op, arg, st);
    card_unlock(c);
    if (rc == IOTSAFE_OK)
        iotsafe_status_clear(st); /* drop the message of a recovered first attempt */
    return rc;
}

iotsafe_rc iotsafe_card_attach(const iotsafe_config *cfg, iotsafe_transport *t, iotsafe_card **out,
                               iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (out != NULL)
        *out = NULL;
    iotsafe_config defaults;
    iotsafe_config_init(&defaults);
    if (cfg == NULL)
        cfg = &defaults;
    if (t == NULL || out == NULL) {
        iotsafe_transport_close(t);
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "attach: NULL transport or handle");
    }
    if ((cfg->aid != NULL && (cfg->aid_len < 5 || cfg->aid_len > CARD_AID_MAX)) ||
        cfg->cla > IOTSAFE_CLA_INTERINDUSTRY || cfg->read_chunk > 256) {
        iotsafe_transport_close(t);
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "attach: invalid configuration (AID 5..16 bytes, read chunk "
                                  "1..256, CLA style)");
    }
    iotsafe_card *c = calloc(1, sizeof *c);
    if (c == NULL) {
        iotsafe_transport_close(t);
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "attach: out of memory");
    }
    card_lock_init(c);
    c->t = t;
    iotsafe_escape_str(t->ops->describe(t), c->reader, sizeof c->reader);
    c->on_exhausted = cfg->on_exhausted;
    c->timeout_ms = cfg->timeout_ms;
    if (cfg->aid != NULL) {
        memcpy(c->aid, cfg->aid, cfg->aid_len);
        c->aid_len = cfg->aid_len;
    } else {
        memcpy(c->aid, IOTSAFE_AID_GSMA, sizeof IOTSAFE_AID_GSMA);
        c->aid_len = sizeof IOTSAFE_AID_GSMA;
    }
    c->cla_style = cfg->cla;
    c->cla_inter = cfg->cla == IOTSAFE_CLA_INTERINDUSTRY;
    c->cla_resolved = cfg->cla != IOTSAFE_CLA_AUTO;
    c->use_channel = !cfg->basic_channel;
    c->sign_session = cfg->sign_session != 0 ? cfg->sign_session : 1;
    c->read_chunk = cfg->read_chunk != 0 ? cfg->read_chunk : 256;
    c->trace = cfg->trace;
    c->trace_out = cfg->trace_out;
    atomic_init(&c->apdu_count, 0UL);
    card_shared_open(c, cfg->state_dir);

    iotsafe_rc rc = card_run(c, NULL, NULL, st);
    if (rc != IOTSAFE_OK) {
        iotsafe_card_free(c);
        return rc;
    }
    *out = c;
    return IOTSAFE_OK;
}

void iotsafe_card_free(iotsafe_card *c)
{
    if (c == NULL)
        return;
    chanreg_remove(c);
    card_lock(c);
    card_close_channel_final(c);
    iotsafe_transport_close(c->t);
    card_flush_locked(c);
    card_unlock(c);
    card_lock_destroy(c);
    card_shared_close(c);
    free(c);
}

void iotsafe_card_discard(iotsafe_card *c)
{
    if (c == NULL)
        return;
    if (c->t != NULL && c->t->ops->discard != NULL)
        c->t->ops->discard(c->t);
    chanreg_remove(c);    /* from this process's copy of the registry: no I/O */
    card_shared_close(c); /* the parent's channel locks stay: it keeps its own copy of the file */
    free(c->objs);
    /* the mutex may be held by a thread of the parent that does not exist here */
    free(c);
}

const char *iotsafe_card_shared_state(const iotsafe_card *c)
{
    return c != NULL ? c->state.what : "";
}

const char *iotsafe_card_reader(const iotsafe_card *c)
{
    if (c == NULL || c->t == NULL)
        return "";
    return c->reader;
}

void iotsafe_card_flush_cache(iotsafe_card *c)
{
    if (c == NULL)
        return;
    card_lock(c);
    card_flush_locked(c);
    card_unlock(c);
}

unsigned long iotsafe_card_apdu_count(const iotsafe_card *c)
{
    if (c == NULL)
        return 0;
    return atomic_load(&((iotsafe_card *)c)->apdu_count);
}
