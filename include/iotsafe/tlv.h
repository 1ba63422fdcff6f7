/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict BER-TLV reader and writer for IoT SAFE data fields.
 * Tags are one byte (IoT SAFE never uses multi-byte tags). Lengths may be
 * short (0..7F), 81 xx, or 82 xx xx. The reader never reads past its input.
 */
#ifndef IOTSAFE_TLV_H
#define IOTSAFE_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct iotsafe_tlv {
    uint8_t tag;
    const uint8_t *value; /* points into the parsed buffer */
    size_t len;
} iotsafe_tlv;

/* Cursor over a buffer of consecutive TLVs. */
typedef struct iotsafe_tlv_reader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} iotsafe_tlv_reader;

void iotsafe_tlv_reader_init(iotsafe_tlv_reader *r, const uint8_t *buf, size_t len);

/*
 * Next TLV. Returns IOTSAFE_OK and fills *out, IOTSAFE_E_NOT_FOUND at the
 * clean end of input, IOTSAFE_E_MALFORMED if the length runs past the end or
 * uses an unsupported form (83+, indefinite).
 */
iotsafe_rc iotsafe_tlv_next(iotsafe_tlv_reader *r, iotsafe_tlv *out);

/* First TLV with tag in buf[0..len) (top level only). IOTSAFE_E_NOT_FOUND if absent. */
iotsafe_rc iotsafe_tlv_find(const uint8_t *buf, size_t len, uint8_t tag, iotsafe_tlv *out);

/*
 * Tag 33 (signature) as cards send it: a 2-byte length "00 40" / "01 00",
 * a 1-byte length "40", or BER 81/82. hint_len is the length the caller
 * expects (e.g. 64 for P-256 r||s, 0 if unknown) and resolves the ambiguity
 * between "33 00 40 ..." (2-byte length) and a short length of 0.
 */
iotsafe_rc iotsafe_tlv_parse_sig33(const uint8_t *buf, size_t len, size_t hint_len,
                                   iotsafe_tlv *out);

/* Writer into a caller buffer; errors are sticky so callers check once at the end. */
typedef struct iotsafe_tlv_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
} iotsafe_tlv_writer;

void iotsafe_tlv_writer_init(iotsafe_tlv_writer *w, uint8_t *buf, size_t cap);
/* Append tag + BER length (shortest form) + value. */
void iotsafe_tlv_put(iotsafe_tlv_writer *w, uint8_t tag, const uint8_t *value, size_t len);
void iotsafe_tlv_put_u8(iotsafe_tlv_writer *w, uint8_t tag, uint8_t v);
void iotsafe_tlv_put_u16(iotsafe_tlv_writer *w, uint8_t tag, uint16_t v); /* big-endian, 2 bytes */
/* Append raw bytes without a header. */
void iotsafe_tlv_put_raw(iotsafe_tlv_writer *w, const uint8_t *p, size_t len);
/* IOTSAFE_E_BUFFER if anything did not fit, else IOTSAFE_OK. */
iotsafe_rc iotsafe_tlv_writer_status(const iotsafe_tlv_writer *w);

#ifdef __cplusplus
}
#endif
#endif
