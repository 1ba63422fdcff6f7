/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How APDUs reach a card. The layers above (apdu.c, the command set) only
 * see this interface, so PC/SC, an AT+CSIM/+CGLA modem on a serial port, or
 * an in-process simulator can be plugged in without touching them.
 */
#ifndef IOTSAFE_TRANSPORT_H
#define IOTSAFE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct iotsafe_transport iotsafe_transport;

typedef struct iotsafe_transport_ops {
    const char *name; /* "pcsc", "sim", ... for traces and messages */
    /*
     * Send one command APDU (header, Lc, data, Le as one short APDU) and
     * receive the response (data || SW1 SW2) into resp, whose capacity is
     * *resp_len on entry and the received length on return.
     * Returns IOTSAFE_E_CARD_RESET when the card was reset since the last
     * call (the APDU was not sent; the caller reselects and retries once),
     * IOTSAFE_E_CARD_REMOVED / IOTSAFE_E_NO_SERVICE / IOTSAFE_E_TRANSPORT otherwise.
     */
    iotsafe_rc (*transmit)(iotsafe_transport *t, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                           size_t *resp_len, iotsafe_status *st);
    /* Exclusive access across processes (SCardBeginTransaction). May report CARD_RESET. */
    iotsafe_rc (*begin)(iotsafe_transport *t, iotsafe_status *st);
    iotsafe_rc (*end)(iotsafe_transport *t, iotsafe_status *st);
    /*
     * Re-establish the connection after a reset, removal or daemon restart
     * (a new PC/SC context/handle if needed). All card-side state (channels,
     * selection) must be assumed lost afterwards.
     */
    iotsafe_rc (*reconnect)(iotsafe_transport *t, iotsafe_status *st);
    /* Human-readable name of what we are connected to (reader name). */
    const char *(*describe)(const iotsafe_transport *t);
    void (*close)(iotsafe_transport *t);
    /* Free without any I/O (in a child after fork: the parent's PC/SC handles are not ours). */
    void (*discard)(iotsafe_transport *t);
    /*
     * Optional (NULL unless the transport selects applets itself, as a modem
     * does with AT+CCHO): open a channel to the applet with this AID. When set,
     * the card layer calls it instead of sending MANAGE CHANNEL and SELECT, and
     * sends every APDU with the CLA channel bits at 0: the transport (the
     * modem) owns the channel. Called again after reconnect. Returns
     * IOTSAFE_E_NO_APPLET when the applet cannot be selected.
     */
    iotsafe_rc (*select_applet)(iotsafe_transport *t, const uint8_t *aid, size_t aid_len,
                                iotsafe_status *st);
} iotsafe_transport_ops;

struct iotsafe_transport {
    const iotsafe_transport_ops *ops;
    void *impl;
    /*
     * Deadline of the next call (transmit, begin, reconnect) in ms, set by the
     * card layer; 0: none. On expiry the call returns IOTSAFE_E_TIMEOUT and
     * the connection is dropped (the next call reconnects).
     */
    unsigned long timeout_ms;
};

/*
 * Reader selection for PC/SC: NULL or "" = first reader whose card answers the
 * applet SELECT (the card layer does that probe); otherwise an exact reader
 * name, then a substring, then "#N" (0-based index in SCardListReaders order).
 */
typedef struct iotsafe_pcsc_options {
    const char *reader;
} iotsafe_pcsc_options;

/* List reader names (NUL-separated, double-NUL terminated, malloc'ed; caller frees). */
iotsafe_rc iotsafe_pcsc_list_readers(char **names, size_t *count, iotsafe_status *st);

/*
 * The reader of names (as iotsafe_pcsc_list_readers gives them) that want
 * selects: the exact name, else the first holding it as a substring, else
 * "#N" (0-based); NULL when none does. Points into names.
 */
const char *iotsafe_pcsc_pick_reader(const char *names, const char *want);

/*
 * For each reader of names (as iotsafe_pcsc_list_readers gives them, at most n):
 * present[i] = 1 when pcscd sees a card in it that answered its reset. No card I/O.
 */
iotsafe_rc iotsafe_pcsc_cards_present(const char *names, int *present, size_t n,
                                      iotsafe_status *st);

/* Connect to one reader (exact name) in shared mode, T=0|T=1. */
iotsafe_rc iotsafe_pcsc_open(const char *reader_name, iotsafe_transport **out, iotsafe_status *st);

/*
 * A modem (or any AT-command device) on a serial port that passes APDUs to
 * its SIM. CSIM: AT+CSIM on the channels the card layer opens itself.
 * CGLA: AT+CCHO opens a channel and selects the applet at attach, APDUs go
 * through AT+CGLA, AT+CCHC closes it at close. Transactions lock the device
 * (flock) so processes sharing the modem do not interleave.
 */
typedef enum iotsafe_at_mode {
    IOTSAFE_AT_CSIM = 0,
    IOTSAFE_AT_CGLA,
} iotsafe_at_mode;

typedef struct iotsafe_at_options {
    iotsafe_at_mode mode;
    unsigned long baud;       /* 0: 115200 */
    unsigned long timeout_ms; /* answer timeout per AT command; 0: 10000 */
} iotsafe_at_options;

/* Open device (e.g. /dev/ttyUSB2), set it raw, check the modem answers (ATE0). opt NULL: defaults. */
iotsafe_rc iotsafe_at_open(const char *device, const iotsafe_at_options *opt,
                           iotsafe_transport **out, iotsafe_status *st);

/*
 * In-process transport around a function that plays the card: used by unit
 * tests with the simulator's applet core, and by fuzzers. The callback gets
 * one command APDU and writes the response (data||SW) into resp.
 */
typedef int (*iotsafe_card_fn)(void *card_ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                               size_t *resp_len);
iotsafe_rc iotsafe_func_transport_new(iotsafe_card_fn fn, void *card_ctx, iotsafe_transport **out);

/* Free a transport from any implementation. NULL is fine. */
void iotsafe_transport_close(iotsafe_transport *t);

#ifdef __cplusplus
}
#endif
#endif
