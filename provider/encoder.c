/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encoders for card keys. "PrivateKeyInfo" output is the key-reference file
 * (PEM or DER, v2: doc/keyfile.md) that names the key on the card and carries
 * its public half: `openssl pkey -in iotsafe:... -out card-key.pem`. SubjectPublicKeyInfo is written here too because on
 * OpenSSL 3.0 the default provider's encoders would need a full export of
 * the key, which we refuse. Text output prints the public half only.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "iotsafe/der.h"
#include "dispatch.h"
#include "error.h"
#include "key.h"
#include "keyfile.h"
#include "iotsafe/keyref.h"
#include "iotsafe/uri.h"

static OSSL_FUNC_encoder_newctx_fn enc_newctx;
static OSSL_FUNC_encoder_freectx_fn enc_freectx;
static OSSL_FUNC_encoder_does_selection_fn keyref_does_selection;
static OSSL_FUNC_encoder_does_selection_fn spki_does_selection;
static OSSL_FUNC_encoder_does_selection_fn text_does_selection;
static OSSL_FUNC_encoder_encode_fn keyref_pem_encode;
static OSSL_FUNC_encoder_encode_fn keyref_der_encode;
static OSSL_FUNC_encoder_encode_fn spki_pem_encode;
static OSSL_FUNC_encoder_encode_fn spki_der_encode;
static OSSL_FUNC_encoder_encode_fn text_encode;

static void *enc_newctx(void *provctx)
{
    return provctx;
}

static void enc_freectx(void *ctx)
{
    (void)ctx;
}

static int keyref_does_selection(void *provctx, int selection)
{
    (void)provctx;
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0;
}

static int spki_does_selection(void *provctx, int selection)
{
    (void)provctx;
    return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0;
}

static int text_does_selection(void *provctx, int selection)
{
    (void)provctx;
    return (selection & OSSL_KEYMGMT_SELECT_ALL) != 0;
}

/* Write all of buf to the core BIO. */
static int write_out(IPROV_CTX *pctx, OSSL_CORE_BIO *cout, const char *pem_label,
                     const uint8_t *buf, size_t len)
{
    BIO *out = BIO_new_from_core_bio(pctx->libctx, cout);
    int ok;
    if (out == NULL)
        return 0;
    if (pem_label != NULL)
        ok = PEM_write_bio(out, pem_label, "", buf, (long)len) > 0;
    else
        ok = BIO_write(out, buf, (int)len) == (int)len;
    BIO_free(out);
    if (!ok)
        IPROV_ERR(pctx, IPROV_R_INTERNAL, "writing the encoded key");
    return ok;
}

/* The key-reference file (v2: no card I/O to load it again, see keyfile.c). */
static int keyref_encode(IPROV_CTX *pctx, OSSL_CORE_BIO *cout, const IPROV_KEY *k,
                         const char *pem_label)
{
    uint8_t der[IOTSAFE_KEYREF_DER_MAX];
    size_t der_len = 0;

    if (k == NULL || !k->on_card || !k->has_private) {
        IPROV_ERR(pctx, IPROV_R_NOT_A_PRIVATE_KEY,
                  "only private keys on the card can be written as a key reference");
        return 0;
    }
    if (iprov_key_to_keyref_der(k, der, sizeof(der), &der_len) < 0) {
        IPROV_ERR(pctx, IPROV_R_INTERNAL, "encoding the key reference");
        return 0;
    }
    return write_out(pctx, cout, pem_label, der, der_len);
}

/* SubjectPublicKeyInfo for a named curve (RFC 5480). */
static int spki_build(const IPROV_KEY *k, uint8_t *out, size_t cap, size_t *out_len)
{
    static const uint8_t ec_public_key_oid[] = {0x06, 0x07, 0x2A, 0x86, 0x48,
                                                0xCE, 0x3D, 0x02, 0x01};
    const uint8_t *curve_oid;
    size_t curve_oid_len, alg_len, bits_len, pos = 0;
    const uint8_t zero = 0;

    curve_oid = iotsafe_curve_oid_der(k->curve, &curve_oid_len);
    if (curve_oid == NULL || k->point_len == 0)
        return 0;
    alg_len = sizeof(ec_public_key_oid) + curve_oid_len;
    bits_len = 1 + k->point_len;
    if (iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_SEQUENCE,
                            iotsafe_der_hdr_size(alg_len) + alg_len +
                                iotsafe_der_hdr_size(bits_len) + bits_len) < 0 ||
        iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_SEQUENCE, alg_len) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, ec_public_key_oid, sizeof(ec_public_key_oid)) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, curve_oid, curve_oid_len) < 0 ||
        iotsafe_der_put_hdr(out, cap, &pos, IOTSAFE_DER_BIT_STRING, bits_len) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, &zero, 1) < 0 ||
        iotsafe_der_put_raw(out, cap, &pos, k->point, k->point_len) < 0)
        return 0;
    *out_len = pos;
    return 1;
}

static int spki_encode(IPROV_CTX *pctx, OSSL_CORE_BIO *cout, const IPROV_KEY *k,
                       const char *pem_label)
{
    uint8_t der[128];
    size_t len = 0;
    if (k == NULL || !spki_build(k, der, sizeof(der), &len)) {
        IPROV_ERR(pctx, IPROV_R_BAD_PUBLIC_KEY, "the key has no public point to encode");
        return 0;
    }
    return write_out(pctx, cout, pem_label, der, len);
}

/*
 * The OSSL_FUNC_encoder_encode entry that writes obj with fn under a PEM
 * label (NULL: DER). Key references and public keys need no passphrase, and
 * the selection was checked by does_selection.
 */
#define ENCODE_ENTRY(name, fn, label)                                                             \
    static int name(void *ctx, OSSL_CORE_BIO *cout, const void *obj_raw,                          \
                    const OSSL_PARAM obj_abstract[], int selection, OSSL_PASSPHRASE_CALLBACK *cb, \
                    void *cbarg)                                                                  \
    {                                                                                             \
        (void)obj_abstract;                                                                       \
        (void)selection;                                                                          \
        (void)cb;                                                                                 \
        (void)cbarg;                                                                              \
        return fn(ctx, cout, obj_raw, label);                                                     \
    }

ENCODE_ENTRY(keyref_pem_encode, keyref_encode, IOTSAFE_KEYREF_PEM_LABEL)
ENCODE_ENTRY(keyref_der_encode, keyref_encode, NULL)
ENCODE_ENTRY(spki_pem_encode, spki_encode, PEM_STRING_PUBLIC)
ENCODE_ENTRY(spki_der_encode, spki_encode, NULL)

static int text_encode(void *ctx, OSSL_CORE_BIO *cout, const void *obj_raw,
                       const OSSL_PARAM obj_abstract[], int selection, OSSL_PASSPHRASE_CALLBACK *cb,
                       void *cbarg)
{
    IPROV_CTX *pctx = ctx;
    const IPROV_KEY *k = obj_raw;
    char d[160], text[IOTSAFE_URI_MAX + 1];
    iotsafe_uri u;
    BIO *out;
    (void)obj_abstract;
    (void)cb;
    (void)cbarg;

    if (k == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && k->has_private) {
        IPROV_ERR(pctx, IPROV_R_PRIVATE_KEY_EXPORT,
                  "%s stays on the card: it cannot be printed or exported "
                  "(the public key can: use -pubout or -text_pub)",
                  iprov_key_desc(k, d, sizeof(d)));
        return 0;
    }
    out = BIO_new_from_core_bio(pctx->libctx, cout);
    if (out == NULL)
        return 0;
    BIO_printf(out, "Public-Key: (%d bit)\n", iotsafe_curve_bits(k->curve));
    if (k->point_len > 0) {
        BIO_printf(out, "pub:");
        for (size_t i = 0; i < k->point_len; i++)
            BIO_printf(out, "%s%02x%s", i % 15 == 0 ? "\n    " : "", k->point[i],
                       i + 1 < k->point_len ? ":" : "");
        BIO_printf(out, "\n");
    }
    if (k->curve != IOTSAFE_CURVE_NONE)
        BIO_printf(out, "ASN1 OID: %s\n", iotsafe_curve_name(k->curve));
    if (k->curve == IOTSAFE_CURVE_P256)
        BIO_printf(out, "NIST CURVE: P-256\n");
    if (iprov_key_to_uri(k, &u) && iotsafe_uri_format(&u, text, sizeof(text)) >= 0)
        BIO_printf(out, "IoT SAFE object: %s\n", text);
    BIO_free(out);
    return 1;
}

#define ENCODER_DISPATCH(name, does, enc)                         \
    const OSSL_DISPATCH name[] = {                                \
        {OSSL_FUNC_ENCODER_NEWCTX, (void (*)(void))enc_newctx},   \
        {OSSL_FUNC_ENCODER_FREECTX, (void (*)(void))enc_freectx}, \
        {OSSL_FUNC_ENCODER_DOES_SELECTION, (void (*)(void))does}, \
        {OSSL_FUNC_ENCODER_ENCODE, (void (*)(void))enc},          \
        {0, NULL},                                                \
    }

ENCODER_DISPATCH(iprov_ec_to_keyref_pem_encoder_functions, keyref_does_selection,
                 keyref_pem_encode);
ENCODER_DISPATCH(iprov_ec_to_keyref_der_encoder_functions, keyref_does_selection,
                 keyref_der_encode);
ENCODER_DISPATCH(iprov_ec_to_spki_pem_encoder_functions, spki_does_selection, spki_pem_encode);
ENCODER_DISPATCH(iprov_ec_to_spki_der_encoder_functions, spki_does_selection, spki_der_encode);
ENCODER_DISPATCH(iprov_ec_to_text_encoder_functions, text_does_selection, text_encode);
