/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The settings every front end takes (the provider's openssl.cnf section and
 * the PKCS#11 module's file, both overridden by IOTSAFE_* variables): their
 * names, the one parser of each value, and opening the card they name. A
 * front end keeps only what is its own (the provider's `rand`).
 */
#ifndef IOTSAFE_OPTIONS_H
#define IOTSAFE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iotsafe/card.h"
#include "iotsafe/commands.h"
#include "iotsafe/settings.h"
#include "iotsafe/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum iotsafe_option {
    IOTSAFE_OPT_READER,
    IOTSAFE_OPT_AID,
    IOTSAFE_OPT_CLA,
    IOTSAFE_OPT_CHANNEL,
    IOTSAFE_OPT_TRACE,
    IOTSAFE_OPT_DH_PEER_SLOT,
    IOTSAFE_OPT_MODEM,
    IOTSAFE_OPT_MODEM_MODE,
    IOTSAFE_OPT_VERIFY_SIGNATURES,
    IOTSAFE_OPT_TIMEOUT,
    IOTSAFE_OPT_CHANNEL_EXHAUSTED,
    IOTSAFE_OPT_STATE_DIR,
    IOTSAFE_OPT_N
} iotsafe_option;

typedef struct iotsafe_options {
    char *reader; /* NULL: first reader whose card has the applet */
    uint8_t aid[16];
    size_t aid_len; /* 0: the GSMA AID */
    iotsafe_cla_style cla;
    int basic_channel;
    iotsafe_trace_level trace;
    char *trace_file;      /* NULL: stderr */
    int verify_signatures; /* default 1 */
    uint8_t dh_peer_slot[IOTSAFE_ID_MAX];
    size_t dh_peer_slot_len; /* 0: first public key with update access */
    char *modem;             /* AT modem device: used instead of PC/SC when set */
    iotsafe_at_mode modem_mode;
    unsigned long timeout_ms; /* 0: per command class */
    iotsafe_channel_exhausted on_exhausted;
    char *state_dir; /* NULL: libiotsafe's default */
} iotsafe_options;

/* "reader", "IOTSAFE_READER", and the valid values in words; NULL out of range. */
const char *iotsafe_option_name(iotsafe_option o);
const char *iotsafe_option_env(iotsafe_option o);
const char *iotsafe_option_words(iotsafe_option o);
/* The option called name ("timeout"); -1 for a name no front end knows. */
int iotsafe_option_lookup(const char *name);

/* The defaults (verify-signatures on, everything else automatic). */
void iotsafe_options_init(iotsafe_options *o);
/* Free the strings and return to the defaults. */
void iotsafe_options_clear(iotsafe_options *o);
/* Parse value for option which: 1 set, -1 bad value (o unchanged), 0 out of memory. */
int iotsafe_options_set(iotsafe_options *o, iotsafe_option which, const char *value);

/* The card layer's config these options describe; trace lines go to trace_out (NULL: stderr). */
void iotsafe_options_card_config(const iotsafe_options *o, FILE *trace_out, iotsafe_config *cfg);

/*
 * Open the card the options name: the modem when one is set, else PC/SC with
 * reader (NULL: the `reader` option, else the first reader with the applet).
 */
iotsafe_rc iotsafe_options_open_card(const iotsafe_options *o, const char *reader, FILE *trace_out,
                                     iotsafe_card **out, iotsafe_status *st);

#ifdef __cplusplus
}
#endif
#endif
