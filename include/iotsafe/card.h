/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection to one IoT SAFE applet: logical channel, CLA style, SELECT
 * once, GET RESPONSE / 6Cxx loops, transactions, reset recovery, caches.
 * One iotsafe_card may be shared by threads: every public call takes the
 * card's mutex and holds a transport transaction for its whole APDU sequence.
 */
#ifndef IOTSAFE_CARD_H
#define IOTSAFE_CARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iotsafe/error.h"
#include "iotsafe/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct iotsafe_card iotsafe_card;

typedef enum iotsafe_cla_style {
    IOTSAFE_CLA_AUTO = 0,      /* try 8N, fall back to 0N on 6E00 (and remember) */
    IOTSAFE_CLA_PROPRIETARY,   /* 8N only */
    IOTSAFE_CLA_INTERINDUSTRY, /* 0N only */
} iotsafe_cla_style;

/* GSMA standard AID A0 00 00 05 59 00 10 */
extern const uint8_t IOTSAFE_AID_GSMA[7];

/* When MANAGE CHANNEL answers 6A81 (no free channel) even after recovering dead owners'. */
typedef enum iotsafe_channel_exhausted {
    IOTSAFE_EXHAUSTED_AUTO = 0, /* basic channel on a PC/SC reader, fail on a modem's SIM */
    IOTSAFE_EXHAUSTED_FAIL,     /* fail, naming the card's 6A81 */
    IOTSAFE_EXHAUSTED_BASIC,    /* share the basic channel (SELECT before each operation) */
} iotsafe_channel_exhausted;

typedef struct iotsafe_config {
    const uint8_t *aid; /* NULL: IOTSAFE_AID_GSMA */
    size_t aid_len;
    iotsafe_cla_style cla;
    int basic_channel;    /* 1: stay on channel 0, no MANAGE CHANNEL */
    uint8_t sign_session; /* P2 used for signature sessions; 0 means default (1) */
    size_t read_chunk;    /* READ FILE step in bytes, 1..256; 0 means 256 */
    int trace;            /* non-zero: APDU trace (see iotsafe_setting_trace for the switch) */
    FILE *trace_out;      /* where the trace goes, owned by the caller; NULL: stderr */
    iotsafe_channel_exhausted on_exhausted;
    unsigned long timeout_ms; /* deadline of every command and reader wait; 0: per class */
    /*
     * Directory of the state shared with other processes using the card (the
     * record of channel owners, the queue of fair turns): NULL means
     * /run/iotsafe, "none" means no shared state. Used only when it is a real
     * directory owned by root (or by this user) and not writable by others;
     * its group is who may share the card (see doc/provider.md).
     */
    const char *state_dir;
} iotsafe_config;

/* Zero-initialised config = all defaults. */
void iotsafe_config_init(iotsafe_config *cfg);

/*
 * Connect through PC/SC. reader: NULL/"" = first reader whose card answers
 * SELECT of the applet; else exact name, substring, or "#N". Opens the
 * channel and selects the applet before returning.
 */
iotsafe_rc iotsafe_card_open(const iotsafe_config *cfg, const char *reader, iotsafe_card **out,
                             iotsafe_status *st);

/*
 * Connect through an AT-command modem on a serial device (see
 * iotsafe_at_open; opt NULL: AT+CSIM, 115200 baud, 10 s timeout).
 */
iotsafe_rc iotsafe_card_open_at(const iotsafe_config *cfg, const char *device,
                                const iotsafe_at_options *opt, iotsafe_card **out,
                                iotsafe_status *st);

/* Same over any transport (takes ownership of t, also on failure). */
iotsafe_rc iotsafe_card_attach(const iotsafe_config *cfg, iotsafe_transport *t, iotsafe_card **out,
                               iotsafe_status *st);

/* Close the channel (best effort) and free. NULL is fine. */
void iotsafe_card_free(iotsafe_card *c);

/*
 * Free without any transport I/O: for a child process after fork(), where the
 * parent's PC/SC context must not be touched.
 */
void iotsafe_card_discard(iotsafe_card *c);

/*
 * The shared state this handle uses, for a debug log: "DIR (group G)", or
 * "none (why)" when it works without (channels still closed at exit, but no
 * fair queue between processes and no recovery of dead processes' channels).
 */
const char *iotsafe_card_shared_state(const iotsafe_card *c);

/* Reader (or transport) description for messages, escaped (see escape.h). */
const char *iotsafe_card_reader(const iotsafe_card *c);

/*
 * Drop the cached object list and public keys (the next call that needs them
 * re-reads the card). The caches belong to this handle: changes made by other
 * processes or handles (PUT PUBLIC KEY, GENERATE KEY PAIR) stay invisible
 * until a flush, so callers that must see them flush first, e.g. at each key
 * load. Cheap (no card I/O), takes the card mutex, safe from any thread.
 * NULL is fine.
 */
void iotsafe_card_flush_cache(iotsafe_card *c);

/*
 * Number of APDUs sent on this handle so far (GET RESPONSE included); for
 * tests and benchmarks that check the steady-state cost of an operation.
 */
unsigned long iotsafe_card_apdu_count(const iotsafe_card *c);

#ifdef __cplusplus
}
#endif
#endif
