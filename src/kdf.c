/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COMPUTE PRF (TLS 1.2 PRF, mode 00 secret given / 01 secret key on the
 * card) and COMPUTE HKDF (extract). Inputs and outputs are secrets: they are
 * redacted from traces and wiped from our buffers.
 */
#include <string.h>

#include "card_internal.h"

struct prf_arg {
    const uint8_t *secret;
    size_t secret_len;
    const iotsafe_ref *ref;
    const uint8_t *label_seed;
    size_t label_seed_len;
    uint8_t *out;
    size_t out_len;
};

static iotsafe_rc finish(iotsafe_rc rc, uint8_t *data, size_t dlen, card_resp *r)
{
    /* explicit_bzero: a memset of buffers about to die may be optimised away */
    explicit_bzero(data, dlen);
    explicit_bzero(r->data, sizeof r->data);
    return rc;
}

static iotsafe_rc op_prf(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "COMPUTE PRF";
    struct prf_arg *a = arg;
    char desc[CARD_DESC_MAX];
    desc[0] = '\0';
    uint8_t data[255];
    card_resp r;
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    if (a->ref != NULL) {
        card_put_ref(&w, 0x86, 0x76, a->ref);
        card_obj_desc(c, IOTSAFE_OBJ_SECRET_KEY, a->ref, desc, sizeof desc);
    } else {
        iotsafe_tlv_put(&w, 0xD1, a->secret, a->secret_len);
    }
    iotsafe_tlv_put(&w, 0xD2, a->label_seed, a->label_seed_len);
    iotsafe_tlv_put_u8(&w, 0xD3, (uint8_t)a->out_len);
    if (iotsafe_tlv_writer_status(&w) != IOTSAFE_OK)
        return finish(iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                         "%s: inputs do not fit one APDU (255 bytes)", cmd),
                      data, sizeof data, &r);
    const card_apdu ap = {.ins = 0x48,
                          .p1 = a->ref != NULL ? 0x01 : 0x00,
                          .p2 = 0x00,
                          .data = data,
                          .lc = w.len,
                          .le = 256,
                          .redact = CARD_REDACT_CMD | CARD_REDACT_RESP};
    iotsafe_rc rc = card_command(c, &ap, &r, cmd, desc, st);
    if (rc != IOTSAFE_OK)
        return finish(rc, data, sizeof data, &r);
    if (r.len != a->out_len)
        return finish(card_malformed(st, r.sw, cmd, desc, "output length differs from D3"), data,
                      sizeof data, &r);
    memcpy(a->out, r.data, r.len);
    return finish(IOTSAFE_OK, data, sizeof data, &r);
}

iotsafe_rc iotsafe_compute_prf(iotsafe_card *c, const uint8_t *secret, size_t secret_len,
                               const iotsafe_ref *secret_ref, const uint8_t *label_seed,
                               size_t label_seed_len, uint8_t *out, size_t out_len,
                               iotsafe_status *st)
{
    iotsafe_status_clear(st);
    const int by_ref = secret_ref != NULL;
    if (by_ref == (secret != NULL && secret_len != 0))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "COMPUTE PRF: give either a secret or a secret key reference");
    if (by_ref) {
        iotsafe_rc rc = card_check_ref(secret_ref, "COMPUTE PRF", st);
        if (rc != IOTSAFE_OK)
            return rc;
    }
    if ((label_seed == NULL && label_seed_len != 0) || out == NULL || out_len == 0 || out_len > 255)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "COMPUTE PRF: output must be 1..255 bytes");
    struct prf_arg a = {secret, secret_len, secret_ref, label_seed, label_seed_len, out, out_len};
    return card_run(c, op_prf, &a, st);
}

struct hkdf_arg {
    iotsafe_hash hash;
    const uint8_t *ikm;
    size_t ikm_len;
    const uint8_t *salt;
    size_t salt_len;
    uint8_t *prk;
    size_t *prk_len;
};

static iotsafe_rc op_hkdf(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "COMPUTE HKDF";
    struct hkdf_arg *a = arg;
    static const uint8_t zeros[64] = {0};
    const size_t hl = iotsafe_hash_len(a->hash);
    uint8_t data[255];
    card_resp r;
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, data, sizeof data);
    iotsafe_tlv_put(&w, 0xD1, a->ikm, a->ikm_len);
    /* RFC 5869: no salt means HashLen zero bytes; send them, some cards need D5 */
    if (a->salt_len != 0)
        iotsafe_tlv_put(&w, 0xD5, a->salt, a->salt_len);
    else
        iotsafe_tlv_put(&w, 0xD5, zeros, hl);
    iotsafe_tlv_put_u16(&w, 0x91, (uint16_t)a->hash);
    if (iotsafe_tlv_writer_status(&w) != IOTSAFE_OK)
        return finish(iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                         "%s: inputs do not fit one APDU (255 bytes)", cmd),
                      data, sizeof data, &r);
    const card_apdu ap = {.ins = 0x4A,
                          .p1 = 0x00,
                          .p2 = 0x00,
                          .data = data,
                          .lc = w.len,
                          .le = 256,
                          .redact = CARD_REDACT_CMD | CARD_REDACT_RESP};
    iotsafe_rc rc = card_command(c, &ap, &r, cmd, NULL, st);
    if (rc != IOTSAFE_OK)
        return finish(rc, data, sizeof data, &r);
    if (r.len != hl)
        return finish(card_malformed(st, r.sw, cmd, NULL, "PRK length differs from the hash size"),
                      data, sizeof data, &r);
    if (hl > *a->prk_len)
        return finish(iotsafe_status_set(st, IOTSAFE_E_BUFFER, 0,
                                         "%s: PRK of %zu bytes does not fit a %zu-byte buffer", cmd,
                                         hl, *a->prk_len),
                      data, sizeof data, &r);
    memcpy(a->prk, r.data, hl);
    *a->prk_len = hl;
    return finish(IOTSAFE_OK, data, sizeof data, &r);
}

iotsafe_rc iotsafe_compute_hkdf_extract(iotsafe_card *c, iotsafe_hash hash, const uint8_t *ikm,
                                        size_t ikm_len, const uint8_t *salt, size_t salt_len,
                                        uint8_t *prk, size_t *prk_len, iotsafe_status *st)
{
    iotsafe_status_clear(st);
    if (iotsafe_hash_len(hash) == 0)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "COMPUTE HKDF: unknown hash algorithm %04X", (unsigned)hash);
    if ((ikm == NULL && ikm_len != 0) || (salt == NULL && salt_len != 0) || prk == NULL ||
        prk_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "COMPUTE HKDF: NULL argument");
    struct hkdf_arg a = {hash, ikm, ikm_len, salt, salt_len, prk, prk_len};
    return card_run(c, op_hkdf, &a, st);
}
