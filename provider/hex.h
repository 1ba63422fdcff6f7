/* SPDX-License-Identifier: Apache-2.0 */
/* Hex digits <-> bytes for config values, key IDs, URI escapes and messages. Pure C. */
#ifndef IOTSAFE_PROV_HEX_H
#define IOTSAFE_PROV_HEX_H

#include <stddef.h>
#include <stdint.h>

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

#endif
