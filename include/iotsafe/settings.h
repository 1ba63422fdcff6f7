/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The words of the settings every front end shares: the provider's config
 * section and IOTSAFE_* variables, iotsafe-tool's options. One parser each,
 * so a value one accepts the other accepts too. Each returns 0 and sets *out,
 * or -1 (nothing written) for a value outside the words listed.
 */
#ifndef IOTSAFE_SETTINGS_H
#define IOTSAFE_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/card.h"
#include "iotsafe/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* yes|no, 1|0, true|false, on|off */
int iotsafe_setting_bool(const char *s, int *out);
/* auto|proprietary|interindustry */
int iotsafe_setting_cla(const char *s, iotsafe_cla_style *out);
/* logical|basic -> *basic = 0|1 */
int iotsafe_setting_channel(const char *s, int *basic);
/* auto|fail|basic */
int iotsafe_setting_channel_exhausted(const char *s, iotsafe_channel_exhausted *out);
/* csim|cgla */
int iotsafe_setting_at_mode(const char *s, iotsafe_at_mode *out);
/* Seconds, decimals allowed ("2", "0.5"), 0.1 to 3600 -> milliseconds. */
int iotsafe_setting_seconds(const char *s, unsigned long *ms);
/* The shared-state directory: "none", or a plain absolute path (iotsafe_state_dir_plain)
   without control characters. *out points into s. */
int iotsafe_setting_state_dir(const char *s, const char **out);
/* 1 for an absolute path of at most 150 bytes whose components are neither empty, "." nor
   ".." and that does not end in '/' (such paths could lead through a symbolic link). */
int iotsafe_state_dir_plain(const char *s);
/* An AID: 5 to 16 bytes of hex, bytes optionally separated by ' ' or ':'. */
int iotsafe_setting_aid(const char *s, uint8_t out[16], size_t *len);

/*
 * The one tracing and debugging switch (IOTSAFE_TRACE, the provider's
 * `trace`, iotsafe-tool --trace): LEVEL or LEVEL:FILE, where LEVEL is
 *   no | 0 | off | false          nothing
 *   yes | 1 | on | true | apdu    the APDU trace
 *   debug                         the APDU trace and the debug log
 * and FILE, when given, receives the lines (appended) instead of stderr.
 */
typedef enum iotsafe_trace_level {
    IOTSAFE_TRACE_OFF = 0,
    IOTSAFE_TRACE_APDU,
    IOTSAFE_TRACE_DEBUG,
} iotsafe_trace_level;

typedef struct iotsafe_trace_setting {
    iotsafe_trace_level level;
    const char *file; /* points into the parsed string; NULL: stderr */
} iotsafe_trace_setting;

int iotsafe_setting_trace(const char *s, iotsafe_trace_setting *out);

/* The valid words of each setting, for messages about a bad value. */
#define IOTSAFE_SETTING_BOOL_WORDS "yes or no"
#define IOTSAFE_SETTING_CLA_WORDS "auto, proprietary or interindustry"
#define IOTSAFE_SETTING_CHANNEL_WORDS "logical or basic"
#define IOTSAFE_SETTING_EXHAUSTED_WORDS "auto, fail or basic"
#define IOTSAFE_SETTING_AT_MODE_WORDS "csim or cgla"
#define IOTSAFE_SETTING_SECONDS_WORDS "seconds, 0.1 to 3600"
#define IOTSAFE_SETTING_AID_WORDS "5 to 16 bytes in hex"
#define IOTSAFE_SETTING_STATE_DIR_WORDS "none or an absolute directory path"
#define IOTSAFE_SETTING_TRACE_WORDS "no, yes, apdu or debug, optionally followed by :FILE"

#ifdef __cplusplus
}
#endif

#endif
