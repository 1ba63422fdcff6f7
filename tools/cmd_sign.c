/* SPDX-License-Identifier: Apache-2.0 */
/* iotsafe-tool sign and verify: hash on the host, sign/verify on the card. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tool.h"

#define DER_SIG_MAX (2 * (IOTSAFE_RS_MAX / 2 + 3) + 3)

/* Digest of --in with the chosen hash. Returns an exit code. */
static int digest_input(const tool_opts *o, uint8_t *md, size_t *md_len)
{
    if (!o->in) {
        tool_err("invalid argument: --in FILE is required");
        return EXIT_BAD_ARGS;
    }
    const char *name = o->hash == IOTSAFE_HASH_SHA384   ? "SHA384"
                       : o->hash == IOTSAFE_HASH_SHA512 ? "SHA512"
                                                        : "SHA256";
    uint8_t *data = NULL;
    size_t len = 0;
    if (tool_read_file(o->in, &data, &len) != 0)
        return EXIT_BAD_ARGS;
    unsigned int n = 0;
    EVP_MD *md_alg = EVP_MD_fetch(NULL, name, NULL);
    int ok = md_alg && EVP_Digest(data, len, md, &n, md_alg, NULL) == 1;
    EVP_MD_free(md_alg);
    free(data);
    if (!ok) {
        tool_err("cannot compute %s", name);
        return EXIT_FAILURE_OTHER;
    }
    *md_len = n;
    return EXIT_OK;
}

/*
 * The card's signature is checked before it is written: an ECDSA verification
 * (default provider) with the key's public key read from the card, which also
 * refuses r or s outside [1, n-1]. A wrong signature is never output.
 */
static int check_signature(iotsafe_card *c, const iotsafe_object *priv, iotsafe_curve curve,
                           const uint8_t *md, size_t md_len, const uint8_t *der, size_t der_len)
{
    char group[32];
    iotsafe_object pub;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc r = iotsafe_find_public_for_private(c, priv, &pub, &st);
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    uint8_t point[IOTSAFE_POINT_MAX];
    size_t plen = sizeof point;
    if (r == IOTSAFE_OK)
        r = iotsafe_read_public_key(c, &ref, point, &plen, &st);
    if (r != IOTSAFE_OK)
        return tool_fail(r, &st, TOOL_OBJ(priv));
    snprintf(group, sizeof group, "%s", iotsafe_curve_name(curve) ? iotsafe_curve_name(curve) : "");
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, plen),
        OSSL_PARAM_END,
    };
    /* never our own provider, should the configuration activate it */
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider!=iotsafe");
    EVP_PKEY_CTX *vctx = NULL;
    EVP_PKEY *pkey = NULL;
    int v = -1;
    if (kctx != NULL && EVP_PKEY_fromdata_init(kctx) > 0 &&
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0 &&
        (vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, "provider!=iotsafe")) != NULL &&
        EVP_PKEY_verify_init(vctx) > 0)
        v = EVP_PKEY_verify(vctx, der, der_len, md, md_len);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    if (v == 1)
        return EXIT_OK;
    if (v < 0)
        tool_err("malformed card answer: the public key of %s in reader '%s' is not a valid %s "
                 "point, the signature cannot be checked",
                 TOOL_OBJ(priv), iotsafe_card_reader(c), group);
    else
        tool_err("malformed card answer: card returned an invalid signature for %s in reader "
                 "'%s': it does not verify with the key's public key",
                 TOOL_OBJ(priv), iotsafe_card_reader(c));
    return EXIT_MALFORMED;
}

int cmd_sign(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PRIVATE};
    uint8_t md[64];
    size_t md_len = 0;
    int rc = digest_input(o, md, &md_len);
    if (rc != EXIT_OK)
        return rc;
    iotsafe_card *c = NULL;
    iotsafe_object ob;
    rc = tool_open_object(o, kinds, 1, &c, &ob);
    if (rc != EXIT_OK)
        return rc;
    /* A key the tool cannot check a signature of is not used (no type given: P-256). */
    iotsafe_curve curve = IOTSAFE_CURVE_NONE;
    rc = tool_key_curve(&ob, NULL, IOTSAFE_CURVE_P256, &curve);
    if (rc != EXIT_OK)
        goto out;
    iotsafe_ref ref = iotsafe_object_ref(&ob);
    uint8_t rs[IOTSAFE_RS_MAX];
    size_t rs_len = 0;
    unsigned long repeat = o->repeat ? o->repeat : 1;
    for (unsigned long i = 1; i <= repeat; i++) {
        if (i > 1 && o->interval_ms) {
            /* Idle outside any card transaction, as a real client between requests. */
            struct timespec ts = {.tv_sec = (time_t)(o->interval_ms / 1000),
                                  .tv_nsec = (long)(o->interval_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
        unsigned long before = iotsafe_card_apdu_count(c);
        iotsafe_status st;
        iotsafe_status_clear(&st);
        rs_len = sizeof rs;
        iotsafe_rc r = iotsafe_sign_digest(c, &ref, o->hash, md, md_len, rs, &rs_len, &st);
        if (r != IOTSAFE_OK) {
            rc = tool_fail(r, &st, TOOL_OBJ(&ob));
            goto out;
        }
        /* The steady-state APDU cost per signature, for tests and benchmarks. */
        if (o->stats)
            fprintf(stderr, "iotsafe-tool: signature %lu: %lu APDUs\n", i,
                    iotsafe_card_apdu_count(c) - before);
    }
    uint8_t der[DER_SIG_MAX];
    size_t der_len = sizeof der;
    if (iotsafe_ecdsa_rs_to_der(rs, rs_len, der, &der_len) != IOTSAFE_OK) {
        tool_err("malformed card answer: signature of %zu bytes cannot be DER-encoded", rs_len);
        rc = EXIT_MALFORMED;
        goto out;
    }
    rc = check_signature(c, &ob, curve, md, md_len, der, der_len);
    if (rc != EXIT_OK)
        goto out;
    rc = tool_write_output(o->out, der, der_len);
out:
    iotsafe_card_free(c);
    return rc;
}

int cmd_verify(const tool_opts *o)
{
    static const enum obj_kind kinds[] = {KIND_PUBLIC, KIND_PRIVATE};
    if (!o->sig) {
        tool_err("invalid argument: --sig FILE is required");
        return EXIT_BAD_ARGS;
    }
    uint8_t md[64];
    size_t md_len = 0;
    int rc = digest_input(o, md, &md_len);
    if (rc != EXIT_OK)
        return rc;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (tool_read_file(o->sig, &sig, &sig_len) != 0)
        return EXIT_BAD_ARGS;
    iotsafe_card *c = NULL;
    rc = tool_open_card(o, &c);
    if (rc != EXIT_OK) {
        free(sig);
        return rc;
    }
    iotsafe_object ob, pub;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    rc = tool_resolve(c, o, kinds, 2, &ob);
    if (rc != EXIT_OK)
        goto out;
    rc = tool_public_of(c, &ob, &pub);
    if (rc != EXIT_OK)
        goto out;
    /* Both supported curves are 256-bit: r and s are 32 bytes each. */
    const size_t half = IOTSAFE_RS_MAX / 2;
    uint8_t rs[IOTSAFE_RS_MAX];
    size_t rs_len = sizeof rs;
    if (iotsafe_ecdsa_der_to_rs(sig, sig_len, half, rs, &rs_len) != IOTSAFE_OK) {
        if (sig_len == 2 * half && sig[0] != 0x30) {
            memcpy(rs, sig, sig_len); /* raw r||s */
            rs_len = sig_len;
        } else {
            tool_err("invalid argument: %s is not a DER ECDSA signature", TOOL_ESC(o->sig));
            rc = EXIT_BAD_ARGS;
            goto out;
        }
    }
    iotsafe_ref ref = iotsafe_object_ref(&pub);
    iotsafe_rc r = iotsafe_verify_digest(c, &ref, o->hash, md, md_len, rs, rs_len, &st);
    if (r != IOTSAFE_OK) {
        rc = tool_fail(r, &st, TOOL_OBJ(&pub));
        goto out;
    }
    printf("signature OK\n");
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
out:
    free(sig);
    iotsafe_card_free(c);
    return rc;
}
