/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the libiotsafe unit tests: hex, a scripted card, Check runner. */
#ifndef IOTSAFE_TESTUTIL_H
#define IOTSAFE_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "iotsafe/iotsafe.h"
#include "run_suite.h"

/* §13 fixture values */
#define TV_HASH "AF2BDBE1AA9B6EC1E2ADE1D694F41FC71A831D0268E9891562113D8A62ADD1BF"
#define TV_R "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define TV_S "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
#define TV_QX "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
#define TV_QY "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
#define TV_DER "3046022100" TV_R "022100" TV_S
#define TV_OPEN_CMD "00 70 00 00 01"
#define TV_SELECT_CMD "01 A4 04 00 07 A0 00 00 05 59 00 10"

/* Hex (spaces ignored) to bytes; aborts the test on bad input. Returns length. */
size_t hex2bin(const char *hex, uint8_t *out, size_t cap);

typedef struct script script;
script *script_new(void);
void script_free(script *s);
/* Expect cmd (hex, or "*" for any) and answer resp (hex data||SW). */
void script_expect(script *s, const char *cmd_hex, const char *resp_hex);
/* Expect cmd and fail the transmit with rc (e.g. IOTSAFE_E_CARD_RESET). */
void script_expect_err(script *s, const char *cmd_hex, iotsafe_rc rc);
/* TV-1: MANAGE CHANNEL open -> 01, SELECT -> 9000. */
void script_expect_open(script *s);
/* Steps not consumed yet; first mismatch message or NULL. */
size_t script_remaining(const script *s);
const char *script_error(const script *s);
int script_fn(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len);
/* Attach a card to the script (cfg may be NULL); fails the test on error. */
iotsafe_card *script_card(script *s, const iotsafe_config *cfg);
/* ck_assert that every step ran and nothing mismatched. */
void script_done(const script *s);

#endif
