/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated IoT SAFE applet: APDU in, response out. No I/O besides the
 * state file, so unit tests can link it in process (through libiotsafe's
 * function transport) and the vpcd daemon (sim/daemon.c) wraps it for pcscd.
 */
#ifndef IOTSAFE_SIM_APPLET_H
#define IOTSAFE_SIM_APPLET_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_applet sim_applet;

/*
 * Provision from config_path (see doc/simulator.md). If state_path is non-NULL
 * and the file exists and fresh == 0, objects are restored from it instead (so a
 * key generated on the card survives a restart); otherwise the state file is
 * (re)written from the provisioning. Quirk/latency settings always come from
 * the config file, then from overrides ("key=value" strings, e.g. "cla=proprietary").
 * On failure returns NULL and writes a message naming the file and line into err.
 */
sim_applet *sim_applet_new(const char *config_path, const char *state_path, int fresh,
                           const char *const *overrides, size_t n_overrides, char *err,
                           size_t errlen);
void sim_applet_free(sim_applet *a);

/* Card power events from the reader: channels and sessions are lost, volatile keys cleared. */
enum { SIM_POWER_OFF = 0, SIM_POWER_ON = 1, SIM_RESET = 2 };
void sim_applet_power(sim_applet *a, int event);

/* ATR bytes (T=1). Returns length. */
size_t sim_applet_atr(const sim_applet *a, uint8_t *atr, size_t cap);

/*
 * Process one command APDU; writes data||SW into resp (capacity *resp_len on
 * entry, >= 258). Returns 0 (a card always answers, with an error SW if need be).
 * Signature matches iotsafe_card_fn so it plugs into iotsafe_func_transport_new.
 */
int sim_applet_process(void *applet, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                       size_t *resp_len);

/* Bit N set: logical channel N is open (for the daemon's channel census). */
unsigned sim_applet_open_channels(const sim_applet *a);

/*
 * What the daemon does with this command (faults hang/drop, see
 * doc/simulator.md): answer it, hang (never answer; after *hang_ms, if not 0,
 * drop the connection), or execute it and drop the connection unanswered.
 */
enum { SIM_IO_ANSWER = 0, SIM_IO_HANG, SIM_IO_DROP };
int sim_applet_io_fault(sim_applet *a, const uint8_t *cmd, size_t n, unsigned *hang_ms);

#endif
