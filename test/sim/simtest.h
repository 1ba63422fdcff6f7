/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the simulator's unit tests: APDUs as hex strings, temporary card configs. */
#ifndef IOTSAFE_SIMTEST_H
#define IOTSAFE_SIMTEST_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "applet.h"
#include "run_suite.h"

/* A test directory that is removed by t_cleanup(). */
const char *t_dir(void);
void t_cleanup(void);
/* Write text into t_dir()/name; returns the full path (static storage per call site is not needed: malloc'ed, freed by t_cleanup). */
const char *t_write(const char *name, const char *text);
/* Standard test card (test/data/card.conf). */
const char *t_card_conf(void);
const char *t_data(const char *name);

/* New applet from conf with overrides (NULL-terminated list); state in t_dir()/state unless state is given. */
sim_applet *t_new(const char *conf, ...) __attribute__((sentinel));
sim_applet *t_new_state(const char *conf, const char *state, int fresh, ...)
    __attribute__((sentinel));
/* Standard card, channel 1 opened and the applet selected on it (TV-1). */
sim_applet *t_ready(const char *first_override, ...);

/* Send hex APDU (spaces ignored); returns the SW, data into out (may be NULL). */
uint16_t t_send(sim_applet *a, const char *hex, uint8_t *out, size_t *out_len);
/* Send and require the exact response (data || SW, hex, spaces ignored). */
#define t_expect(a, cmd, resp) t_expect_at(a, cmd, resp, __FILE__, __LINE__)
void t_expect_at(sim_applet *a, const char *cmd, const char *resp, const char *file, int line);
/* Send and require the SW only. */
#define t_sw(a, cmd, sw) t_sw_at(a, cmd, sw, __FILE__, __LINE__)
size_t t_sw_at(sim_applet *a, const char *cmd, uint16_t sw, const char *file, int line);

size_t t_unhex(const char *hex, uint8_t *out, size_t cap);
void t_hex(const uint8_t *p, size_t n, char *out);

#endif
