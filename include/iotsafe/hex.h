/* SPDX-License-Identifier: Apache-2.0 */
/* Hex digits <-> bytes for settings, key IDs, URI escapes, AT commands and messages. */
#ifndef IOTSAFE_HEX_H
#define IOTSAFE_HEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Value of one hex digit (either case), -1 if c is not one. */
int iotsafe_hex_digit(int c);

/*
 * Hex text -> bytes: pairs of digits, optionally separated by any of the
 * characters in seps (NULL: none). Returns 0 with *out_len set, or -1 when s
 * is empty, has an odd digit or another character, or exceeds cap bytes.
 */
int iotsafe_hex_parse(const char *s, const char *seps, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Bytes -> upper-case hex without separators, always NUL-terminated (cut at
 * a whole byte when buf is too small). Returns buf.
 */
const char *iotsafe_hex_format(const uint8_t *p, size_t len, char *buf, size_t buflen);
/* The same in lower case (tool output, escaped bytes). */
const char *iotsafe_hex_format_lower(const uint8_t *p, size_t len, char *buf, size_t buflen);

#ifdef __cplusplus
}
#endif

#endif
