/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading what a modem answers to one AT command (3GPP TS 27.007 style):
 * tolerant of echo, blank and unsolicited lines, quotes and spaces; strict
 * about the hex payload and its declared length. No I/O, so unit tests and
 * the fuzzer drive it directly.
 */
#ifndef IOTSAFE_AT_PARSE_H
#define IOTSAFE_AT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "iotsafe/error.h"

enum at_final {
    AT_FINAL_NONE = 0, /* no final result line yet */
    AT_FINAL_OK,
    AT_FINAL_ERROR, /* plain "ERROR" */
    AT_FINAL_CME,   /* "+CME ERROR: <n or text>" */
    AT_FINAL_CMS,   /* "+CMS ERROR: <n or text>" */
};

typedef struct at_answer {
    enum at_final final;
    long code;     /* numeric +CME/+CMS code; -1 when given as text or absent */
    char text[48]; /* the text form of +CME/+CMS ERROR (printable ASCII), else "" */
    size_t end;    /* length of buf up to and including the final result line */
} at_answer;

/*
 * Scan buf[0..len) for the first complete final result line. Returns 1 and
 * fills a when found, 0 when more input is needed.
 */
int at_find_final(const char *buf, size_t len, at_answer *a);

/*
 * The APDU answer (data || SW1 SW2) of a complete answer ending in OK:
 * the LAST "<prefix>: <n>,<hex>" line counts (some modems repeat earlier
 * answers first). prefix is "+CSIM" or "+CGLA". resp has capacity
 * *resp_len; on success *resp_len is the byte count (at least 2).
 */
iotsafe_rc at_parse_apdu(const char *buf, size_t len, const char *prefix, uint8_t *resp,
                         size_t *resp_len, iotsafe_status *st);

/* Session id from the answer to AT+CCHO: "+CCHO: <n>" or a bare "<n>" line (27.007). */
iotsafe_rc at_parse_ccho(const char *buf, size_t len, unsigned long *session, iotsafe_status *st);

/*
 * Status for a final result other than OK: "+CME ERROR: 10" -> IOTSAFE_E_NO_CARD,
 * 4 -> IOTSAFE_E_UNSUPPORTED, anything else -> IOTSAFE_E_TRANSPORT. what names
 * the command and device ("AT+CSIM on modem /dev/ttyUSB2").
 */
iotsafe_rc at_final_error(const at_answer *a, const char *what, iotsafe_status *st);

/* Meaning of a +CME ERROR code (27.007 §9.2), "" when unknown. */
const char *at_cme_str(long code);

#endif
