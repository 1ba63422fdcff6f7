/* SPDX-License-Identifier: Apache-2.0 */
/* Key-reference DER codec: round trip, exact bytes, and strict rejection. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/keyref.h"
#include "iotsafe/uri.h"
#include "run_suite.h"

static const char uri[] = "iotsafe:id=%01;type=private";

START_TEST(encode_exact_bytes)
{
    uint8_t der[256];
    size_t len = 0;
    ck_assert_int_eq(iotsafe_keyref_encode(uri, strlen(uri), der, sizeof(der), &len), 0);
    /* 30 L 1A 19 "IoT SAFE key reference v1" 0C 1B uri */
    ck_assert_uint_eq(len, 2 + 2 + 25 + 2 + strlen(uri));
    ck_assert_uint_eq(der[0], 0x30);
    ck_assert_uint_eq(der[1], len - 2);
    ck_assert_uint_eq(der[2], 0x1A);
    ck_assert_uint_eq(der[3], 25);
    ck_assert_mem_eq(der + 4, "IoT SAFE key reference v1", 25);
    ck_assert_uint_eq(der[29], 0x0C);
    ck_assert_uint_eq(der[30], strlen(uri));
    ck_assert_mem_eq(der + 31, uri, strlen(uri));
}
END_TEST

START_TEST(round_trip_lengths)
{
    /* Cross the short/long DER length boundaries (127/128, 255/256). */
    static const size_t lens[] = {9,   90,  97,  98,  99,  100,  120,
                                  127, 128, 200, 255, 256, 1000, IOTSAFE_URI_MAX};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char text[IOTSAFE_URI_MAX + 1];
        uint8_t der[IOTSAFE_URI_MAX + 64];
        size_t len = 0, ulen = 0;
        const char *out = NULL;
        memset(text, 'x', lens[i]);
        memcpy(text, "iotsafe:", 8);
        ck_assert_int_eq(iotsafe_keyref_encode(text, lens[i], der, sizeof(der), &len), 0);
        ck_assert_int_eq(iotsafe_keyref_decode(der, len, &out, &ulen), 0);
        ck_assert_uint_eq(ulen, lens[i]);
        ck_assert_mem_eq(out, text, ulen);
        /* every truncation is rejected */
        for (size_t cut = 0; cut < len; cut++)
            ck_assert_int_eq(iotsafe_keyref_decode(der, cut, &out, &ulen), -1);
        /* every too-small output buffer is rejected */
        ck_assert_int_eq(iotsafe_keyref_encode(text, lens[i], der, len - 1, &ulen), -1);
    }
}
END_TEST

START_TEST(encode_rejects)
{
    uint8_t der[IOTSAFE_URI_MAX + 128];
    char big[IOTSAFE_URI_MAX + 2];
    size_t len;
    memset(big, 'a', sizeof(big));
    ck_assert_int_eq(iotsafe_keyref_encode("", 0, der, sizeof(der), &len), -1);
    ck_assert_int_eq(iotsafe_keyref_encode(big, IOTSAFE_URI_MAX + 1, der, sizeof(der), &len), -1);
    ck_assert_int_eq(iotsafe_keyref_encode("a\0b", 3, der, sizeof(der), &len), -1);
    ck_assert_int_eq(iotsafe_keyref_encode(NULL, 3, der, sizeof(der), &len), -1);
}
END_TEST

static void mutate_expect_reject(size_t pos, uint8_t value)
{
    uint8_t der[256];
    size_t len = 0, ulen;
    const char *out;
    ck_assert_int_eq(iotsafe_keyref_encode(uri, strlen(uri), der, sizeof(der), &len), 0);
    der[pos] = value;
    ck_assert_msg(iotsafe_keyref_decode(der, len, &out, &ulen) == -1, "accepted mutation at %zu",
                  pos);
}

START_TEST(decode_rejects)
{
    uint8_t der[256];
    size_t len = 0, ulen;
    const char *out;

    mutate_expect_reject(0, 0x31);      /* SET instead of SEQUENCE */
    mutate_expect_reject(1, 0x80);      /* indefinite length */
    mutate_expect_reject(2, 0x0C);      /* magic as UTF8String */
    mutate_expect_reject(4, 'i');       /* wrong magic text */
    mutate_expect_reject(28, '2');      /* "v2" */
    mutate_expect_reject(29, 0x16);     /* URI as IA5String */
    mutate_expect_reject(31 + 3, 0x00); /* NUL inside the URI */

    ck_assert_int_eq(iotsafe_keyref_encode(uri, strlen(uri), der, sizeof(der), &len), 0);
    /* trailing garbage after the SEQUENCE */
    der[len] = 0x00;
    ck_assert_int_eq(iotsafe_keyref_decode(der, len + 1, &out, &ulen), -1);
    /* non-minimal length form 81 xx with xx < 0x80 */
    {
        uint8_t nm[256];
        nm[0] = 0x30;
        nm[1] = 0x81;
        nm[2] = der[1];
        memcpy(nm + 3, der + 2, len - 2);
        ck_assert_int_eq(iotsafe_keyref_decode(nm, len + 1, &out, &ulen), -1);
    }
    /* an extra element inside the SEQUENCE */
    {
        uint8_t ex[256];
        memcpy(ex, der, len);
        ex[1] = (uint8_t)(der[1] + 2);
        ex[len] = 0x05;
        ex[len + 1] = 0x00;
        ck_assert_int_eq(iotsafe_keyref_decode(ex, len + 2, &out, &ulen), -1);
    }
    /* empty URI */
    {
        static const uint8_t e[] = {0x30, 0x1D, 0x1A, 0x19, 'I', 'o', 'T', ' ',  'S', 'A', 'F',
                                    'E',  ' ',  'k',  'e',  'y', ' ', 'r', 'e',  'f', 'e', 'r',
                                    'e',  'n',  'c',  'e',  ' ', 'v', '1', 0x0C, 0x00};
        ck_assert_int_eq(iotsafe_keyref_decode(e, sizeof(e), &out, &ulen), -1);
    }
    ck_assert_int_eq(iotsafe_keyref_decode(NULL, 0, &out, &ulen), -1);
    ck_assert_int_eq(iotsafe_keyref_decode(der, 0, &out, &ulen), -1);
}
END_TEST

/* A v2 reference with fixed contents (P-256 OID, a 65-byte point, GSMA AID). */
static const char v2_uri[] = "iotsafe:id=%01;label=DEVKEY;type=private";
static const char v2_pub_uri[] = "iotsafe:id=%01;label=DEVKEY;type=public";
static const uint8_t v2_oid[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t v2_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10};

static iotsafe_keyref v2_sample(uint8_t point[65], uint8_t attrs[IOTSAFE_KEYREF_ATTRS_LEN])
{
    iotsafe_keyref r;
    memset(&r, 0, sizeof(r));
    point[0] = 0x04;
    for (int i = 1; i < 65; i++)
        point[i] = (uint8_t)i;
    for (int i = 0; i < IOTSAFE_KEYREF_ATTRS_LEN; i++)
        attrs[i] = (uint8_t)(0xA0 + i);
    r.version = 2;
    r.uri = v2_uri;
    r.uri_len = strlen(v2_uri);
    r.curve_oid = v2_oid;
    r.curve_oid_len = sizeof(v2_oid);
    r.point = point;
    r.point_len = 65;
    r.attrs = attrs;
    r.pub_uri = v2_pub_uri;
    r.pub_uri_len = strlen(v2_pub_uri);
    r.aid = v2_aid;
    r.aid_len = sizeof(v2_aid);
    return r;
}

START_TEST(v2_round_trip)
{
    uint8_t point[65], attrs[IOTSAFE_KEYREF_ATTRS_LEN], der[IOTSAFE_KEYREF_DER_MAX];
    size_t len = 0;
    iotsafe_keyref in = v2_sample(point, attrs), out;
    const char *u;
    size_t ulen;

    ck_assert_int_eq(iotsafe_keyref_encode_v2(&in, der, sizeof(der), &len), 0);
    ck_assert_int_eq(iotsafe_keyref_parse(der, len, &out), 0);
    ck_assert_int_eq(out.version, 2);
    ck_assert_mem_eq(out.uri, v2_uri, out.uri_len);
    ck_assert_uint_eq(out.uri_len, strlen(v2_uri));
    ck_assert_mem_eq(out.pub_uri, v2_pub_uri, out.pub_uri_len);
    ck_assert_uint_eq(out.curve_oid_len, sizeof(v2_oid));
    ck_assert_mem_eq(out.curve_oid, v2_oid, sizeof(v2_oid));
    ck_assert_uint_eq(out.point_len, 65);
    ck_assert_mem_eq(out.point, point, 65);
    ck_assert_mem_eq(out.attrs, attrs, IOTSAFE_KEYREF_ATTRS_LEN);
    ck_assert_uint_eq(out.aid_len, sizeof(v2_aid));
    ck_assert_mem_eq(out.aid, v2_aid, sizeof(v2_aid));
    /* the v1-only decoder does not take a v2 body */
    ck_assert_int_eq(iotsafe_keyref_decode(der, len, &u, &ulen), -1);
    /* every truncation and every too-small buffer is rejected */
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(iotsafe_keyref_parse(der, cut, &out), -1);
    ck_assert_int_eq(iotsafe_keyref_encode_v2(&in, der, len - 1, &ulen), -1);
}
END_TEST

START_TEST(v2_rejects)
{
    uint8_t point[65], attrs[IOTSAFE_KEYREF_ATTRS_LEN], der[IOTSAFE_KEYREF_DER_MAX];
    size_t len = 0;
    iotsafe_keyref in = v2_sample(point, attrs), bad, out;

    bad = in;
    bad.point_len = 64; /* even: not 04 || X || Y */
    ck_assert_int_eq(iotsafe_keyref_encode_v2(&bad, der, sizeof(der), &len), -1);
    bad = in;
    bad.aid_len = 4;
    ck_assert_int_eq(iotsafe_keyref_encode_v2(&bad, der, sizeof(der), &len), -1);
    bad = in;
    bad.pub_uri_len = 0;
    ck_assert_int_eq(iotsafe_keyref_encode_v2(&bad, der, sizeof(der), &len), -1);

    ck_assert_int_eq(iotsafe_keyref_encode_v2(&in, der, sizeof(der), &len), 0);
    /* a compressed-point marker instead of 04 */
    {
        uint8_t m[IOTSAFE_KEYREF_DER_MAX];
        size_t at = 0;
        memcpy(m, der, len);
        for (size_t i = 0; i + 2 < len; i++)
            if (m[i] == 0x03 && m[i + 1] == 66 && m[i + 2] == 0x00) {
                at = i + 3;
                break;
            }
        ck_assert_uint_ne(at, 0);
        m[at] = 0x02;
        ck_assert_int_eq(iotsafe_keyref_parse(m, len, &out), -1);
        /* unused bits in the BIT STRING */
        memcpy(m, der, len);
        m[at - 1] = 0x01;
        ck_assert_int_eq(iotsafe_keyref_parse(m, len, &out), -1);
    }
    /* trailing element inside the SEQUENCE */
    {
        uint8_t m[IOTSAFE_KEYREF_DER_MAX];
        memcpy(m, der, len);
        ck_assert_uint_lt(der[1], 0x80 + 2); /* 81 xx form for this size */
        m[2] = (uint8_t)(der[2] + 2);
        m[len] = 0x05;
        m[len + 1] = 0x00;
        ck_assert_int_eq(iotsafe_keyref_parse(m, len + 2, &out), -1);
    }
}
END_TEST

static Suite *keyref_suite(void)
{
    Suite *s = suite_create("keyref");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, encode_exact_bytes);
    tcase_add_test(tc, round_trip_lengths);
    tcase_add_test(tc, encode_rejects);
    tcase_add_test(tc, decode_rejects);
    tcase_add_test(tc, v2_round_trip);
    tcase_add_test(tc, v2_rejects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(keyref_suite());
}
