/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the whole command API against a card whose answers come from
 * the fuzz input (each answer: one length byte, then that many bytes; a
 * length of FF means "card reset"). Nothing may crash or leak whatever the
 * card says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/iotsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
    const uint8_t *p;
    size_t left;
};

static int fuzz_card(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len)
{
    struct feed *f = ctx;
    (void)cmd;
    (void)cmd_len;
    if (f->left == 0) {
        resp[0] = 0x6F;
        resp[1] = 0x00;
        *resp_len = 2;
        return 0;
    }
    size_t n = f->p[0];
    f->p++;
    f->left--;
    if (n == 0xFF)
        return -(int)IOTSAFE_E_CARD_RESET;
    if (n > f->left)
        n = f->left;
    if (n + 2 > *resp_len)
        n = *resp_len - 2;
    memcpy(resp, f->p, n);
    f->p += n;
    f->left -= n;
    /* every answer ends in 90 00 unless the input provided its own SW bytes */
    if (n >= 2 && (resp[n - 2] & 0xF0) >= 0x60) {
        *resp_len = n;
    } else {
        resp[n] = 0x90;
        resp[n + 1] = 0x00;
        *resp_len = n + 2;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed f = {data, size};
    iotsafe_transport *t;
    iotsafe_card *c;
    iotsafe_status st;
    iotsafe_config cfg;
    iotsafe_config_init(&cfg);
    if (iotsafe_func_transport_new(fuzz_card, &f, &t) != IOTSAFE_OK)
        return 0;
    if (iotsafe_card_attach(&cfg, t, &c, &st) != IOTSAFE_OK)
        return 0;

    const uint8_t id1 = 1, id5 = 5;
    const iotsafe_ref k1 = {.id = &id1, .id_len = 1}, k5 = {.id = &id5, .id_len = 1};
    const iotsafe_ref lab = {.label = (const uint8_t *)"DEVCERT", .label_len = 7};
    uint8_t buf[300], pt[65], rs[64], h[32] = {0};
    size_t len;
    iotsafe_object *objs;
    size_t n;
    iotsafe_object o, p;
    if (iotsafe_list_objects(c, &objs, &n, &st) == IOTSAFE_OK)
        free(objs);
    if (iotsafe_find_object(c, IOTSAFE_OBJ_PRIVATE_KEY, &k1, &o, &st) == IOTSAFE_OK)
        (void)iotsafe_find_public_for_private(c, &o, &p, &st);
    iotsafe_app_info ai;
    (void)iotsafe_get_app_info(c, &ai, &st);
    uint8_t *file;
    if (iotsafe_read_file(c, &lab, &file, &len, &st) == IOTSAFE_OK)
        free(file);
    len = sizeof pt;
    (void)iotsafe_read_public_key(c, &k1, pt, &len, &st);
    len = sizeof rs;
    (void)iotsafe_sign_digest(c, &k1, IOTSAFE_HASH_SHA256, h, 32, rs, &len, &st);
    len = sizeof rs;
    (void)iotsafe_sign_message(c, &k1, IOTSAFE_HASH_SHA256, buf, 280, rs, &len, &st);
    (void)iotsafe_verify_digest(c, &k1, IOTSAFE_HASH_SHA256, h, 32, rs, 64, &st);
    iotsafe_keygen_result kr;
    (void)iotsafe_generate_key_pair(c, &k1, &kr, &st);
    pt[0] = 0x04;
    len = 64;
    (void)iotsafe_compute_dh_with_peer(c, &k1, &k5, pt, 65, buf, &len, &st);
    (void)iotsafe_get_random(c, buf, 300, &st);
    (void)iotsafe_compute_prf(c, h, 32, NULL, h, 32, buf, 48, &st);
    len = 64;
    (void)iotsafe_compute_hkdf_extract(c, IOTSAFE_HASH_SHA256, h, 32, NULL, 0, buf, &len, &st);
    iotsafe_card_free(c);
    return 0;
}
