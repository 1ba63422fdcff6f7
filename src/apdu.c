/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APDU layer: CLA per channel and style, 61xx GET RESPONSE and 6Cxx resend
 * loops (both bounded), MANAGE CHANNEL with fallback to the basic channel,
 * SELECT once per channel, and status-word to error mapping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "card_internal.h"
#include "clock.h"
#include "iotsafe/hex.h"

/*
 * One APDU answer: up to 256 data bytes + SW. The buffer takes 2 bytes more
 * so that an over-long answer (257/258 data bytes) is seen and refused
 * rather than cut.
 */
#define APDU_RESP_RAW 260
#define APDU_DATA_MAX 256
#define MAX_GET_RESPONSE 32
#define MAX_6C_RESEND 2

int card_sw_ok(uint16_t sw)
{
    return sw == 0x9000 || (sw >> 8) == 0x91;
}

uint8_t card_cla(int interindustry, uint8_t channel)
{
    if (channel <= 3)
        return (uint8_t)((interindustry ? 0x00 : 0x80) | channel);
    return (uint8_t)((interindustry ? 0x40 : 0xC0) | (uint8_t)(channel - 4));
}

void card_ctx(iotsafe_status *st, const char *cmd, const char *obj)
{
    if (st == NULL)
        return;
    st->cmd = cmd;
    snprintf(st->obj, sizeof st->obj, "%s", obj != NULL ? obj : "");
}

/* "CMD on OBJ in reader 'R'" (parts that are known) into buf. */
static const char *where(const iotsafe_status *st, const char *cmd, const char *obj, char *buf,
                         size_t cap)
{
    int n = snprintf(buf, cap, "%s", cmd);
    if (n >= 0 && (size_t)n < cap && obj != NULL && *obj != '\0')
        n += snprintf(buf + n, cap - (size_t)n, " on %s", obj);
    if (n >= 0 && (size_t)n < cap && st != NULL && st->reader[0] != '\0')
        snprintf(buf + n, cap - (size_t)n, " in reader '%s'", st->reader);
    return buf;
}

iotsafe_rc card_sw_fail(iotsafe_status *st, uint16_t sw, const char *cmd, const char *obj)
{
    iotsafe_rc rc;
    char w[448];
    switch (sw) {
    case 0x6A82:
    case 0x6A88:
        rc = IOTSAFE_E_NOT_FOUND;
        break;
    case 0x6985:
    case 0x6982:
        rc = IOTSAFE_E_USAGE;
        break;
    case 0x6D01:
        rc = IOTSAFE_E_SIG_MISMATCH;
        break;
    default:
        rc = IOTSAFE_E_SW;
        break;
    }
    return iotsafe_status_set(st, rc, sw, "%s: card answered %04X (%s)",
                              where(st, cmd, obj, w, sizeof w), sw, iotsafe_sw_str(sw));
}

iotsafe_rc card_malformed(iotsafe_status *st, uint16_t sw, const char *cmd, const char *obj,
                          const char *what)
{
    char w[448];
    return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, sw, "%s: malformed card answer: %s",
                              where(st, cmd, obj, w, sizeof w), what);
}

/*
 * Per instruction: its name, its deadline class, and whether it may be sent
 * again after the connection broke while it was out. Resendable: it changes
 * nothing on the card that a second copy would change again (selection,
 * channels, reads, INITs that only open a session, random bytes). Not:
 * a signature, a key generation, a key write, a DH or derivation: the card
 * may have executed it, and doing it twice is not the caller's request.
 */
static const struct ins_info {
    uint8_t ins;
    const char *name;
    int resend;
    int cls; /* 0 read, 1 crypto, 2 keygen */
} ins_table[] = {
    {0xA4, "SELECT", 1, 0},
    {0x70, "MANAGE CHANNEL", 1, 0},
    {0xC0, "GET RESPONSE", 1, 0},
    {0xCB, "GET DATA", 1, 0},
    {0xB0, "READ FILE", 1, 0},
    {0xCD, "READ PUBLIC KEY", 1, 0},
    {0x84, "GET RANDOM", 1, 0},
    {0x2A, "COMPUTE SIGNATURE INIT", 1, 0},
    {0x2C, "VERIFY SIGNATURE INIT", 1, 0},
    {0x2B, "COMPUTE SIGNATURE UPDATE", 0, 1},
    {0x2D, "VERIFY SIGNATURE UPDATE", 0, 1},
    {0x24, "PUT PUBLIC KEY INIT", 0, 1},
    {0xD8, "PUT PUBLIC KEY UPDATE", 0, 1},
    {0x46, "COMPUTE DH", 0, 1},
    {0x48, "COMPUTE PRF", 0, 1},
    {0x4A, "COMPUTE HKDF", 0, 1},
    {0xB9, "GENERATE KEY PAIR", 0, 2},
};

static const struct ins_info *ins_find(uint8_t ins)
{
    for (size_t i = 0; i < sizeof ins_table / sizeof ins_table[0]; i++)
        if (ins_table[i].ins == ins)
            return &ins_table[i];
    return NULL;
}

const char *card_ins_name(uint8_t ins)
{
    const struct ins_info *i = ins_find(ins);
    return i != NULL ? i->name : "command";
}

int card_ins_resendable(uint8_t ins)
{
    const struct ins_info *i = ins_find(ins);
    return i != NULL && i->resend;
}

unsigned long card_ins_timeout_ms(const iotsafe_card *c, uint8_t ins)
{
    if (c->closing_final)
        return CARD_EXIT_TIMEOUT_MS; /* a program exiting waits seconds at most, not a read's 5 s */
    if (c->timeout_ms != 0)
        return c->timeout_ms;
    const struct ins_info *i = ins_find(ins);
    int cls = i != NULL ? i->cls : 1;
    return cls == 0   ? CARD_TIMEOUT_READ_MS
           : cls == 1 ? CARD_TIMEOUT_CRYPTO_MS
                      : CARD_TIMEOUT_KEYGEN_MS;
}

/* An answer the APDU layer refuses, named with the context of card_ctx. */
static iotsafe_rc apdu_malformed(iotsafe_status *st, uint8_t ins, uint16_t sw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static iotsafe_rc apdu_malformed(iotsafe_status *st, uint8_t ins, uint16_t sw, const char *fmt, ...)
{
    char what[160], cmd[24];
    va_list ap;
    if (st == NULL)
        return IOTSAFE_E_MALFORMED;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (ins_find(ins) != NULL)
        snprintf(cmd, sizeof cmd, "%s", card_ins_name(ins));
    else
        snprintf(cmd, sizeof cmd, "APDU with INS %02X", ins);
    /* obj lives in st, which card_malformed writes: copy it first */
    char obj[sizeof st->obj];
    memcpy(obj, st->obj, sizeof obj);
    return card_malformed(st, sw, st->cmd != NULL ? st->cmd : cmd, st->cmd != NULL ? obj : NULL,
                          what);
}

/*
 * One APDU. ne: the most data bytes the command allows back (Le, 256 for
 * 00 or none); a short APDU never carries more than 256.
 */
static iotsafe_rc xfer_one(iotsafe_card *c, const uint8_t *cmd, size_t len, size_t ne,
                           uint8_t *resp, size_t *rlen, unsigned redact, iotsafe_status *st)
{
    trace_apdu(c, 1, cmd, len, redact);
    atomic_fetch_add(&c->apdu_count, 1UL);
    *rlen = APDU_RESP_RAW;
    /* GET RESPONSE belongs to the command it completes: keep that one's name */
    if (cmd[1] != 0xC0)
        c->last_ins = cmd[1];
    c->t->timeout_ms = card_ins_timeout_ms(c, c->last_ins);
    turnstile_renew(c->queue, c->t->timeout_ms); /* our turn lasts as long as this command may */
    iotsafe_rc rc = c->t->ops->transmit(c->t, cmd, len, resp, rlen, st);
    /* it may have reached the card unless the transport says the reset came first */
    if (rc != IOTSAFE_E_CARD_RESET && !card_ins_resendable(cmd[1]))
        c->unsafe_sent = 1; /* from now on, a lost connection is no reason to run the op again */
    if (rc == IOTSAFE_E_MALFORMED && st != NULL) {
        /* a transport that parses answers (AT+CSIM text) knows no command or object */
        char what[sizeof st->msg];
        memcpy(what, st->msg, sizeof what);
        return apdu_malformed(st, cmd[1], 0, "%.150s", what);
    }
    if (rc != IOTSAFE_OK)
        return rc;
    if (*rlen > APDU_RESP_RAW)
        *rlen = APDU_RESP_RAW; /* a transport never claims more than it was given; be sure */
    trace_apdu(c, 0, resp, *rlen, redact);
    if (*rlen < 2)
        return apdu_malformed(st, cmd[1], 0, "card answer of %zu byte%s has no status word", *rlen,
                              *rlen == 1 ? "" : "s");
    const uint16_t sw = (uint16_t)(resp[*rlen - 2] << 8 | resp[*rlen - 1]);
    if (*rlen - 2 > ne)
        return apdu_malformed(st, cmd[1], sw,
                              "card answer of %zu data bytes to a short APDU that allows %zu",
                              *rlen - 2, ne);
    return IOTSAFE_OK;
}

static iotsafe_rc append(card_resp *r, const uint8_t *p, size_t n, uint8_t ins, uint16_t sw,
                         iotsafe_status *st)
{
    if (n > sizeof r->data - r->len)
        return apdu_malformed(st, ins, sw, "card answer longer than %zu bytes", sizeof r->data);
    memcpy(r->data + r->len, p, n);
    r->len += n;
    return IOTSAFE_OK;
}

/* Scratch space of one exchange; may hold secrets (see card_exchange_iso). */
struct xbufs {
    uint8_t cmd[5 + 255 + 1];
    uint8_t raw[APDU_RESP_RAW];
};

static iotsafe_rc exchange_iso(iotsafe_card *c, uint8_t cla, const card_apdu *a, card_resp *r,
                               struct xbufs *b, iotsafe_status *st)
{
    uint8_t *const cmd = b->cmd;
    uint8_t *const raw = b->raw;
    size_t rlen = 0;
    int le = a->le;
    uint16_t sw = 0;
    iotsafe_rc rc;
    r->len = 0;
    r->sw = 0;
    r->apdus = 0;

    for (int resend = 0;; resend++) {
        size_t n = 0;
        cmd[n++] = cla;
        cmd[n++] = a->ins;
        cmd[n++] = a->p1;
        cmd[n++] = a->p2;
        if (a->lc != 0) {
            cmd[n++] = (uint8_t)a->lc;
            memcpy(cmd + n, a->data, a->lc);
            n += a->lc;
        }
        if (le >= 0)
            cmd[n++] = (uint8_t)(le == 256 ? 0 : le);
        rc = xfer_one(c, cmd, n, le >= 1 ? (size_t)le : APDU_DATA_MAX, raw, &rlen, a->redact, st);
        r->apdus++;
        if (rc != IOTSAFE_OK)
            return rc;
        sw = (uint16_t)(raw[rlen - 2] << 8 | raw[rlen - 1]);
        /* 6Cxx: wrong Le, the card tells the right one; resend with it */
        if ((sw >> 8) == 0x6C && resend < MAX_6C_RESEND) {
            le = (sw & 0xFF) == 0 ? 256 : (sw & 0xFF);
            continue;
        }
        break;
    }
    rc = append(r, raw, rlen - 2, a->ins, sw, st);
    if (rc != IOTSAFE_OK)
        return rc;

    /* 61xx (and the old GSM 9Fxx): fetch the rest with GET RESPONSE on the same channel */
    for (int i = 0; (sw >> 8) == 0x61 || (sw >> 8) == 0x9F; i++) {
        if (i >= MAX_GET_RESPONSE)
            return apdu_malformed(st, a->ins, sw,
                                  "card kept answering %02Xxx after %d GET RESPONSE commands",
                                  sw >> 8, MAX_GET_RESPONSE);
        const uint8_t gr[5] = {cla, 0xC0, 0x00, 0x00, (uint8_t)(sw & 0xFF)};
        rc = xfer_one(c, gr, sizeof gr, (sw & 0xFF) == 0 ? APDU_DATA_MAX : (sw & 0xFF), raw, &rlen,
                      a->redact, st);
        r->apdus++;
        if (rc != IOTSAFE_OK)
            return rc;
        sw = (uint16_t)(raw[rlen - 2] << 8 | raw[rlen - 1]);
        rc = append(r, raw, rlen - 2, a->ins, sw, st);
        if (rc != IOTSAFE_OK)
            return rc;
    }
    r->sw = sw;
    return IOTSAFE_OK;
}

iotsafe_rc card_exchange_iso(iotsafe_card *c, uint8_t cla, const card_apdu *a, card_resp *r,
                             iotsafe_status *st)
{
    if (a->lc > 255 || a->le > 256 || (a->lc != 0 && a->data == NULL))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "APDU INS %02X: data of %zu bytes does not fit a short APDU",
                                  a->ins, a->lc);
    struct xbufs b;
    iotsafe_rc rc = exchange_iso(c, cla, a, r, &b, st);
    /* redacted exchanges carry DH secrets, random bytes, PRF/HKDF inputs and
       outputs: do not leave copies on the stack (explicit_bzero is not elided) */
    if (a->redact != 0)
        explicit_bzero(&b, sizeof b);
    return rc;
}

iotsafe_rc card_exchange(iotsafe_card *c, const card_apdu *a, card_resp *r, iotsafe_status *st)
{
    for (;;) {
        const int unsafe_before = c->unsafe_sent;
        iotsafe_rc rc = card_exchange_iso(c, card_cla(c->cla_inter, c->channel), a, r, st);
        if (rc != IOTSAFE_OK)
            return rc;
        if (r->sw == 0x6881 && r->apdus == 1 && c->channel_opened && c->channel != 0) {
            /* our channel is not open any more (closed by another process): the card ran
               nothing; card_run opens a new channel and runs the operation again */
            c->channel_lost = 1;
            c->unsafe_sent = unsafe_before;
            return IOTSAFE_OK; /* says nothing about the CLA the card wants */
        }
        if (c->cla_style == IOTSAFE_CLA_AUTO && !c->cla_resolved) {
            if (r->sw == 0x6E00 && !c->cla_inter) {
                /* this card wants the interindustry class: switch for good */
                c->cla_inter = 1;
                c->cla_resolved = 1;
                continue;
            }
            if (r->sw != 0x6E00)
                c->cla_resolved = 1;
        }
        return IOTSAFE_OK;
    }
}

iotsafe_rc card_command(iotsafe_card *c, const card_apdu *a, card_resp *r, const char *cmd,
                        const char *obj, iotsafe_status *st)
{
    card_ctx(st, cmd, obj);
    iotsafe_rc rc = card_exchange(c, a, r, st);
    if (rc == IOTSAFE_OK && !card_sw_ok(r->sw))
        rc = card_sw_fail(st, r->sw, cmd, obj);
    return rc;
}

/* MANAGE CHANNEL close of channel ch; 1 when the card answered (9000 or "not open"). */
static int close_one(iotsafe_card *c, uint8_t ch)
{
    card_resp r;
    iotsafe_status ignored;
    const card_apdu a = {.ins = 0x70, .p1 = 0x80, .p2 = ch, .le = -1};
    return card_exchange_iso(c, 0x00, &a, &r, &ignored) == IOTSAFE_OK;
}

void card_close_channel(iotsafe_card *c)
{
    if (c->stale_channel != 0 && close_one(c, c->stale_channel)) {
        chanrec_release(c, c->stale_channel);
        c->stale_channel = 0;
    }
    if (c->channel_opened && close_one(c, c->channel))
        chanrec_release(c, c->channel);
    c->channel_opened = 0;
    c->channel = 0;
    c->selected = 0;
}

void card_close_channel_final(iotsafe_card *c)
{
    if (!c->channel_opened && c->stale_channel == 0)
        return;
    iotsafe_status ignored;
    c->closing_final = 1;
    c->t->timeout_ms = CARD_EXIT_TIMEOUT_MS;
    if (card_begin(c, &ignored) == IOTSAFE_OK) {
        card_close_channel(c);
        c->t->timeout_ms = CARD_EXIT_TIMEOUT_MS;
        card_end(c);
    }
    c->closing_final = 0;
}

/*
 * Close the channels whose recorded owner is provably gone (chanrec.c): a
 * process killed, or ended by a signal it had no handler for (haproxy on
 * SIGTERM), ran no exit handler. The number closed; -1 when the record stayed
 * locked past the deadline (st says so).
 */
static long reclaim_dead(iotsafe_card *c, iotsafe_status *st)
{
    uint8_t dead[19];
    size_t n = 0;
    long closed = 0;
    if (chanrec_reap(c, dead, sizeof dead, &n, card_ins_timeout_ms(c, 0x70), st) != IOTSAFE_OK)
        return -1;
    for (size_t i = 0; i < n; i++) /* looked at again right before: nobody took it since */
        closed += chanrec_still_free(c, dead[i]) && close_one(c, dead[i]);
    return closed;
}

/*
 * MANAGE CHANNEL open, after giving back the channels of dead owners (costs
 * a read of the record; APDUs only when there are some). On 6A81 (no free
 * channel) look once more, for owners that died meanwhile. *sw gets the last
 * status.
 */
static iotsafe_rc open_logical(iotsafe_card *c, uint16_t *sw, iotsafe_status *st)
{
    const card_apdu open = {.ins = 0x70, .p1 = 0x00, .p2 = 0x00, .le = 1};
    card_resp r;
    if (reclaim_dead(c, st) < 0)
        return IOTSAFE_E_TIMEOUT;
    for (int attempt = 0;; attempt++) {
        iotsafe_rc rc = card_exchange_iso(c, 0x00, &open, &r, st);
        if (rc != IOTSAFE_OK)
            return rc;
        *sw = r.sw;
        if (card_sw_ok(r.sw)) {
            if (r.len != 1 || r.data[0] == 0 || r.data[0] > 19)
                return card_malformed(st, r.sw, "MANAGE CHANNEL (open)", NULL,
                                      "expected one channel number 01..13");
            c->channel = r.data[0];
            c->channel_opened = 1;
            rc = chanrec_claim(c, c->channel, card_ins_timeout_ms(c, 0x70), st);
            if (rc != IOTSAFE_OK) { /* not recorded: it would outlive us if we died, give it back */
                close_one(c, c->channel);
                c->channel_opened = 0;
                c->channel = 0;
            }
            return rc;
        }
        if (r.sw != 0x6A81 || attempt == 1)
            return IOTSAFE_OK;
        long closed = reclaim_dead(c, st);
        if (closed < 0)
            return IOTSAFE_E_TIMEOUT;
        if (closed == 0)
            return IOTSAFE_OK;
    }
}

/* The transport opens the channel and selects (AT+CCHO); CLA channel bits stay 0. */
static iotsafe_rc select_by_transport(iotsafe_card *c, iotsafe_status *st)
{
    c->t->timeout_ms = card_ins_timeout_ms(c, 0xA4); /* the transport's SELECT: SELECT's deadline */
    iotsafe_rc rc = c->t->ops->select_applet(c->t, c->aid, c->aid_len, st);
    if (rc != IOTSAFE_OK)
        return rc;
    /* the transport owns the channel: we neither close it nor put its number in CLA */
    c->channel = 0;
    c->channel_opened = 0;
    c->selected = 1;
    return IOTSAFE_OK;
}

iotsafe_rc card_open_channel_and_select(iotsafe_card *c, iotsafe_status *st)
{
    card_resp r;
    iotsafe_rc rc;
    c->selected = 0;
    c->channel = 0;
    c->channel_opened = 0;
    c->basic_fallback = 0;
    if (c->t->ops->select_applet != NULL)
        return select_by_transport(c, st);

    /* a channel left open by a command that timed out is still ours: give it back first */
    if (c->stale_channel != 0 && close_one(c, c->stale_channel)) {
        chanrec_release(c, c->stale_channel);
        c->stale_channel = 0;
    }
    if (c->use_channel && !c->channel_refused && !c->exiting && c->channel_retry_at != 0 &&
        now_ms() < c->channel_retry_at) {
        /* all channels were taken a moment ago: share the basic channel without asking again */
        c->basic_fallback = 1;
    } else if (c->use_channel && !c->channel_refused && !c->exiting) {
        uint16_t sw = 0;
        card_ctx(st, "MANAGE CHANNEL (open)", NULL);
        rc = open_logical(c, &sw, st);
        if (rc != IOTSAFE_OK)
            return rc;
        if (sw == 0x6A81) {
            /* every channel taken by live processes: fall back only where that is safe */
            int basic = c->on_exhausted == IOTSAFE_EXHAUSTED_BASIC ||
                        (c->on_exhausted == IOTSAFE_EXHAUSTED_AUTO &&
                         strcmp(c->t->ops->name, "pcsc") == 0);
            if (!basic)
                return iotsafe_status_set(
                    st, IOTSAFE_E_SW, sw,
                    "MANAGE CHANNEL (open) on the card in reader '%s': card answered 6A81 (%s): "
                    "no free logical channel (channel-exhausted=%s)",
                    c->reader, iotsafe_sw_str(sw),
                    c->on_exhausted == IOTSAFE_EXHAUSTED_FAIL ? "fail" : "auto, modem");
            c->basic_fallback = 1; /* shared with others: SELECT before every operation */
            c->channel_retry_at = now_ms() + CARD_CHANNEL_RETRY_MS;
        } else if (!card_sw_ok(sw)) {
            /* no logical channels (6881, 6D00, 6E00, ...): the basic channel will do */
            c->channel_refused = 1;
        }
    }

    const card_apdu sel = {
        .ins = 0xA4, .p1 = 0x04, .p2 = 0x00, .data = c->aid, .lc = c->aid_len, .le = -1};
    card_ctx(st, "SELECT", NULL);
    rc = card_exchange_iso(c, card_cla(1, c->channel), &sel, &r, st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (!card_sw_ok(r.sw)) {
        char aid[2 * CARD_AID_MAX + 1];
        iotsafe_hex_format(c->aid, c->aid_len, aid, sizeof aid);
        uint16_t sw = r.sw;
        card_close_channel(c);
        if (sw == 0x6A82)
            return iotsafe_status_set(st, IOTSAFE_E_NO_APPLET, sw,
                                      "IoT SAFE applet %s not found on the card in '%s': SELECT "
                                      "answered 6A82 (%s)",
                                      aid, c->reader, iotsafe_sw_str(sw));
        return iotsafe_status_set(st, IOTSAFE_E_SW, sw,
                                  "SELECT of IoT SAFE applet %s on '%s': card answered %04X (%s)",
                                  aid, c->reader, sw, iotsafe_sw_str(sw));
    }
    c->selected = 1;
    return IOTSAFE_OK;
}
