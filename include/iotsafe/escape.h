/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one escaping of untrusted text (labels, file contents, URIs, reader
 * names, attribute names, config values) before it goes into a message, a
 * log line or the APDU trace, so that no byte from a card or a user can
 * move the cursor, ring a bell, clear a screen or forge a second line.
 */
#ifndef IOTSAFE_ESCAPE_H
#define IOTSAFE_ESCAPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Buffer size that always holds the escaped form of n bytes (no truncation). */
#define IOTSAFE_ESCAPED_SIZE(n) (4 * (size_t)(n) + 1)

/*
 * Write the escaped form of the n bytes at p into out (cap bytes, always
 * NUL-terminated when cap > 0) and return out.
 * Kept as they are: printable ASCII, and well-formed UTF-8 sequences except
 * C1 controls (U+0080..U+009F), line/paragraph separators (U+2028/2029) and
 * bidirectional controls (U+200E/200F, U+202A..U+202E, U+2066..U+2069).
 * A backslash becomes "\\"; every other byte (controls, ESC, BEL, newline,
 * NUL, DEL, bytes of malformed or refused UTF-8) becomes "\xHH".
 * When the result does not fit, it stops at a whole character and ends
 * with "...(+N bytes)", N counting the input bytes left out.
 */
const char *iotsafe_escape(const void *p, size_t n, char *out, size_t cap);

/* Same for a NUL-terminated string (NULL reads as ""). */
const char *iotsafe_escape_str(const char *s, char *out, size_t cap);

/* Buffer size that always holds the JSON-escaped form of n bytes. */
#define IOTSAFE_JSON_ESCAPED_SIZE(n) (6 * (size_t)(n) + 1)

/*
 * Write the n bytes at p as the contents of a JSON string (without the
 * quotes) into out (cap bytes) and return out; NULL (and "" in out when
 * cap > 0) when it does not fit: a JSON value is never cut.
 * Kept as they are: printable ASCII, and well-formed UTF-8 sequences except
 * the code points iotsafe_escape refuses. A quote and a backslash become
 * \" and \\; control characters (C0, DEL) and the refused code points (C1
 * controls, line/paragraph separators, bidirectional controls) become
 * \u00XX / \uXXXX, so a JSON reader gets the same characters back and none
 * reaches a terminal or a log raw. Each byte of malformed UTF-8 becomes
 * \ufffd (U+FFFD REPLACEMENT CHARACTER), not \u00XX: that would decode to
 * another character, one a well-formed label may really hold.
 */
const char *iotsafe_escape_json(const void *p, size_t n, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
