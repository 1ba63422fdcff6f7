/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal strict DER helpers (single-byte tags, lengths below 64 KiB). Pure C. */
#ifndef IOTSAFE_DER_H
#define IOTSAFE_DER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOTSAFE_DER_SEQUENCE 0x30
#define IOTSAFE_DER_INTEGER 0x02
#define IOTSAFE_DER_OID 0x06
#define IOTSAFE_DER_BIT_STRING 0x03
#define IOTSAFE_DER_NULL 0x05
#define IOTSAFE_DER_OCTET_STRING 0x04
#define IOTSAFE_DER_UTF8STRING 0x0C
#define IOTSAFE_DER_VISIBLESTRING 0x1A

/* Bytes of tag + length for a value of len bytes (0 if len >= 64 KiB). */
size_t iotsafe_der_hdr_size(size_t len);

/*
 * Append tag + length at out[*pos]. Returns 0, or -1 if it does not fit in cap
 * or len is too large.
 */
int iotsafe_der_put_hdr(uint8_t *out, size_t cap, size_t *pos, uint8_t tag, size_t len);

/* Append raw bytes. Returns 0 or -1. */
int iotsafe_der_put_raw(uint8_t *out, size_t cap, size_t *pos, const uint8_t *p, size_t n);

/*
 * Read a header with exactly this tag at in[*pos]: definite, minimal length
 * that fits in the remaining input. On success *pos is past the header and
 * *clen is the content length. Returns 0 or -1.
 */
int iotsafe_der_get_hdr(const uint8_t *in, size_t len, size_t *pos, uint8_t tag, size_t *clen);

#ifdef __cplusplus
}
#endif

#endif
