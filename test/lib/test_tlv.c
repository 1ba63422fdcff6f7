/* SPDX-License-Identifier: Apache-2.0 */
/* BER-TLV reader/writer and the tag-33 forms. */
#include <string.h>

#include "testutil.h"

START_TEST(reader_short_long_forms)
{
    uint8_t buf[420];
    size_t n = 0;
    buf[n++] = 0x84;
    buf[n++] = 0x01;
    buf[n++] = 0x01;
    buf[n++] = 0x9B;
    buf[n++] = 0x81;
    buf[n++] = 0x90;
    memset(buf + n, 0xAA, 0x90);
    n += 0x90;
    buf[n++] = 0x34;
    buf[n++] = 0x82;
    buf[n++] = 0x01;
    buf[n++] = 0x00;
    memset(buf + n, 0xBB, 0x100);
    n += 0x100;
    buf[n++] = 0x60;
    buf[n++] = 0x00;
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_tlv_reader_init(&r, buf, n);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_OK);
    ck_assert_uint_eq(t.tag, 0x84);
    ck_assert_uint_eq(t.len, 1);
    ck_assert_uint_eq(t.value[0], 0x01);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_OK);
    ck_assert_uint_eq(t.tag, 0x9B);
    ck_assert_uint_eq(t.len, 0x90);
    ck_assert_ptr_eq(t.value, buf + 6);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_OK);
    ck_assert_uint_eq(t.tag, 0x34);
    ck_assert_uint_eq(t.len, 0x100);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_OK);
    ck_assert_uint_eq(t.tag, 0x60);
    ck_assert_uint_eq(t.len, 0);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_E_NOT_FOUND);
    ck_assert_int_eq(iotsafe_tlv_next(&r, &t), IOTSAFE_E_NOT_FOUND);

    ck_assert_int_eq(iotsafe_tlv_find(buf, n, 0x34, &t), IOTSAFE_OK);
    ck_assert_uint_eq(t.len, 0x100);
    ck_assert_int_eq(iotsafe_tlv_find(buf, n, 0x77, &t), IOTSAFE_E_NOT_FOUND);
    ck_assert_int_eq(iotsafe_tlv_find(NULL, 0, 0x77, &t), IOTSAFE_E_NOT_FOUND);
}
END_TEST

static iotsafe_rc first(const char *hex)
{
    uint8_t b[64];
    size_t n = hex2bin(hex, b, sizeof b);
    iotsafe_tlv_reader r;
    iotsafe_tlv t;
    iotsafe_tlv_reader_init(&r, b, n);
    iotsafe_rc rc;
    while ((rc = iotsafe_tlv_next(&r, &t)) == IOTSAFE_OK)
        ck_assert(t.value + t.len <= b + n);
    return rc;
}

START_TEST(reader_malformed)
{
    ck_assert_int_eq(first("84"), IOTSAFE_E_MALFORMED);                /* tag only */
    ck_assert_int_eq(first("84 02 01"), IOTSAFE_E_MALFORMED);          /* value truncated */
    ck_assert_int_eq(first("84 81"), IOTSAFE_E_MALFORMED);             /* 81 without length */
    ck_assert_int_eq(first("84 82 01"), IOTSAFE_E_MALFORMED);          /* 82 with 1 length byte */
    ck_assert_int_eq(first("84 82 FF FF 00"), IOTSAFE_E_MALFORMED);    /* oversized */
    ck_assert_int_eq(first("84 81 80 00"), IOTSAFE_E_MALFORMED);       /* oversized 81 */
    ck_assert_int_eq(first("84 83 00 00 01 00"), IOTSAFE_E_MALFORMED); /* 83 unsupported */
    ck_assert_int_eq(first("84 80 00 00"), IOTSAFE_E_MALFORMED);       /* indefinite */
    ck_assert_int_eq(first("84 01 01 85"), IOTSAFE_E_MALFORMED);       /* trailing garbage */
    ck_assert_int_eq(first(""), IOTSAFE_E_NOT_FOUND);
    ck_assert_int_eq(first("84 01 01 85 00"), IOTSAFE_E_NOT_FOUND);
    uint8_t b[4] = {0x84, 0x02, 0x01, 0x02};
    iotsafe_tlv t;
    ck_assert_int_eq(iotsafe_tlv_find(b, 3, 0x99, &t), IOTSAFE_E_MALFORMED);
}
END_TEST

static iotsafe_rc sig(const char *hex, size_t hint, size_t *hdr, size_t *len)
{
    static uint8_t b[400];
    size_t n = hex2bin(hex, b, sizeof b);
    iotsafe_tlv t;
    iotsafe_rc rc = iotsafe_tlv_parse_sig33(b, n, hint, &t);
    if (rc == IOTSAFE_OK) {
        ck_assert(t.value + t.len <= b + n);
        *hdr = (size_t)(t.value - b);
        *len = t.len;
    }
    return rc;
}

START_TEST(sig33_forms)
{
    size_t hdr = 0, len = 0;
    ck_assert_int_eq(sig("33 00 40" TV_R TV_S, 64, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 3);
    ck_assert_uint_eq(len, 64);
    ck_assert_int_eq(sig("33 40" TV_R TV_S, 64, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 2);
    ck_assert_uint_eq(len, 64);
    ck_assert_int_eq(sig("33 81 40" TV_R TV_S, 64, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 3);
    ck_assert_uint_eq(len, 64);
    ck_assert_int_eq(sig("33 82 00 40" TV_R TV_S, 64, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 4);
    ck_assert_uint_eq(len, 64);
    ck_assert_int_eq(sig("33 48" TV_DER, 64, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(len, 72);
    ck_assert_int_eq(sig("33 00 48" TV_DER, 0, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 3);
    ck_assert_uint_eq(len, 72);
    /* "33 00" alone is an empty value when no length is expected */
    ck_assert_int_eq(sig("33 00", 0, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(len, 0);
    /* RSA-style 2-byte length 01 00 */
    char big[2 * 300 + 16] = "33 01 00";
    for (int i = 0; i < 256; i++)
        strcat(big, "5A");
    ck_assert_int_eq(sig(big, 0, &hdr, &len), IOTSAFE_OK);
    ck_assert_uint_eq(hdr, 3);
    ck_assert_uint_eq(len, 256);
}
END_TEST

START_TEST(sig33_malformed)
{
    size_t hdr, len;
    ck_assert_int_eq(sig("34 40" TV_R TV_S, 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 00 40" TV_R, 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 41" TV_R TV_S, 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 81", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 82 00", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 83 00 00 40", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 7F FF", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    ck_assert_int_eq(sig("33 00", 64, &hdr, &len), IOTSAFE_E_MALFORMED);
    iotsafe_tlv t;
    ck_assert_int_eq(iotsafe_tlv_parse_sig33(NULL, 0, 64, &t), IOTSAFE_E_MALFORMED);
}
END_TEST

START_TEST(writer_forms_and_overflow)
{
    uint8_t buf[600], v[300];
    memset(v, 0x11, sizeof v);
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, buf, sizeof buf);
    iotsafe_tlv_put_u8(&w, 0xA1, 0x03);
    iotsafe_tlv_put_u16(&w, 0x91, 0x0001);
    iotsafe_tlv_put(&w, 0x9B, v, 0x7F);
    iotsafe_tlv_put(&w, 0x9B, v, 0x80);
    iotsafe_tlv_put(&w, 0x9B, v, 0x100);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_OK);
    ck_assert_uint_eq(w.len, 3 + 4 + (2 + 0x7F) + (3 + 0x80) + (4 + 0x100));
    uint8_t head[7];
    hex2bin("A1 01 03 91 02 00 01", head, sizeof head);
    ck_assert_mem_eq(buf, head, 7);
    ck_assert_uint_eq(buf[7 + 1], 0x7F);
    ck_assert_uint_eq(buf[7 + 2 + 0x7F + 1], 0x81);
    ck_assert_uint_eq(buf[7 + 2 + 0x7F + 2], 0x80);
    size_t p = 7 + 2 + 0x7F + 3 + 0x80;
    ck_assert_uint_eq(buf[p + 1], 0x82);
    ck_assert_uint_eq(buf[p + 2], 0x01);
    ck_assert_uint_eq(buf[p + 3], 0x00);

    /* a TLV that does not fit leaves nothing behind and the error sticks */
    uint8_t small[8];
    iotsafe_tlv_writer_init(&w, small, sizeof small);
    iotsafe_tlv_put(&w, 0x84, v, 4);
    ck_assert_uint_eq(w.len, 6);
    iotsafe_tlv_put(&w, 0x85, v, 1); /* needs 3, 2 left */
    ck_assert_uint_eq(w.len, 6);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_E_BUFFER);
    iotsafe_tlv_put(&w, 0x85, v, 0); /* would fit, but the writer is already in error */
    ck_assert_uint_eq(w.len, 6);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_E_BUFFER);

    /* exact fit */
    iotsafe_tlv_writer_init(&w, small, sizeof small);
    iotsafe_tlv_put(&w, 0x84, v, 6);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_OK);
    ck_assert_uint_eq(w.len, 8);
    iotsafe_tlv_put_raw(&w, v, 1);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_E_BUFFER);

    /* too long for an 82 length */
    static uint8_t huge[0x10001];
    static uint8_t out[0x10010];
    iotsafe_tlv_writer_init(&w, out, sizeof out);
    iotsafe_tlv_put(&w, 0x9B, huge, sizeof huge);
    ck_assert_int_eq(iotsafe_tlv_writer_status(&w), IOTSAFE_E_BUFFER);
}
END_TEST

static Suite *tlv_suite(void)
{
    Suite *s = suite_create("tlv");
    TCase *tc = tcase_create("tlv");
    tcase_add_test(tc, reader_short_long_forms);
    tcase_add_test(tc, reader_malformed);
    tcase_add_test(tc, sig33_forms);
    tcase_add_test(tc, sig33_malformed);
    tcase_add_test(tc, writer_forms_and_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(tlv_suite());
}
