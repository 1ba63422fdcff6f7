/* SPDX-License-Identifier: Apache-2.0 */
/*
 * READ FILE of a whole file in read_chunk steps. The size comes from the
 * object list (tag 20); a short answer ends the file; bytes a card pads past
 * the declared size are dropped. Only a card without an object list is read
 * without a size; then a DER certificate is cut at its own encoded length.
 */
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "iotsafe/der.h"

#define FILE_MAX (0xFFFF + 256) /* P1P2 offsets are 16 bits */

/* Total length of the DER SEQUENCE at p (a certificate), 0 if none. */
static size_t der_total_len(const uint8_t *p, size_t n)
{
    size_t pos = 0, len = 0;
    return iotsafe_der_get_hdr(p, n, &pos, IOTSAFE_DER_SEQUENCE, &len) == 0 ? pos + len : 0;
}

/*
 * The object list failed because the card does not offer one (GET DATA 01:
 * 6D00 INS or 6A81 function not supported, 6A86 P1/P2 not supported, 6A88
 * no such data object). Anything else (malformed list, other SW, transport,
 * memory, file not in the list) is a real error that must not be papered over.
 */
static int list_unsupported(iotsafe_rc rc, uint16_t sw)
{
    if (rc != IOTSAFE_E_SW && rc != IOTSAFE_E_NOT_FOUND)
        return 0;
    return sw == 0x6D00 || sw == 0x6A81 || sw == 0x6A86 || sw == 0x6A88;
}

struct read_arg {
    const iotsafe_ref *ref;
    uint8_t **data;
    size_t *len;
};

static iotsafe_rc op_read_file(iotsafe_card *c, void *arg, iotsafe_status *st)
{
    static const char cmd[] = "READ FILE";
    struct read_arg *a = arg;
    iotsafe_object obj;
    char desc[CARD_DESC_MAX];
    /* a local status: the fallback decision needs the SW even when st is NULL */
    iotsafe_status lst;
    iotsafe_status_clear(&lst);
    memcpy(lst.reader, c->reader, sizeof lst.reader);
    iotsafe_rc rc = objects_find_locked(c, IOTSAFE_OBJ_FILE, a->ref, &obj, &lst);
    if (rc != IOTSAFE_OK && !list_unsupported(rc, lst.sw)) {
        if (st != NULL)
            *st = lst;
        return rc;
    }
    /* a card without an object list can still read the file, size unknown */
    const int have_size = rc == IOTSAFE_OK && (obj.present & IOTSAFE_HAS_FILE_SIZE);
    const size_t size = have_size ? obj.file_size : 0;
    card_obj_desc(c, IOTSAFE_OBJ_FILE, a->ref, desc, sizeof desc);
    if (have_size && size > FILE_MAX)
        return iotsafe_status_set(st, IOTSAFE_E_UNSUPPORTED, 0,
                                  "%s on %s: declared size %zu is beyond READ FILE offsets", cmd,
                                  desc, size);

    uint8_t refbuf[2 + IOTSAFE_LABEL_MAX];
    iotsafe_tlv_writer w;
    iotsafe_tlv_writer_init(&w, refbuf, sizeof refbuf);
    card_put_ref(&w, 0x83, 0x73, a->ref);

    uint8_t *buf = malloc(have_size && size > 0 ? size : 1);
    size_t cap = have_size && size > 0 ? size : 1, off = 0;
    if (buf == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "%s: out of memory", cmd);
    card_resp r;
    r.sw = 0;
    card_ctx(st, cmd, desc);
    for (;;) {
        size_t want = c->read_chunk;
        if (have_size) {
            if (off >= size)
                break;
            if (want > size - off)
                want = size - off;
        } else if (off > 0xFFFF) {
            break;
        }
        const card_apdu ap = {.ins = 0xB0,
                              .p1 = (uint8_t)(off >> 8),
                              .p2 = (uint8_t)off,
                              .data = refbuf,
                              .lc = w.len,
                              .le = (int)want};
        rc = card_exchange(c, &ap, &r, st);
        if (rc != IOTSAFE_OK)
            goto fail;
        if (!card_sw_ok(r.sw)) {
            /* size unknown: "offset out of bounds" after some data is the end of file */
            if (!have_size && off > 0 && (r.sw == 0x6A86 || r.sw == 0x6981 || r.sw == 0x6B00))
                break;
            rc = card_sw_fail(st, r.sw, cmd, desc);
            goto fail;
        }
        size_t got = r.len < want ? r.len : want; /* drop padding beyond what was asked */
        if (got == 0)
            break;
        if (off + got > cap) {
            size_t ncap = cap * 2 > off + got ? cap * 2 : off + got;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = iotsafe_status_set(st, IOTSAFE_E_NOMEM, 0, "%s: out of memory", cmd);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + off, r.data, got);
        off += got;
        if (got < want)
            break; /* short answer: end of file */
    }
    if (have_size && off < size) {
        rc = card_malformed(st, r.sw, cmd, desc, "file ended before its declared size");
        goto fail;
    }
    if (!have_size) {
        size_t der = der_total_len(buf, off);
        if (der != 0)
            off = der;
    }
    *a->data = buf;
    *a->len = off;
    return IOTSAFE_OK;
fail:
    free(buf);
    return rc;
}

iotsafe_rc iotsafe_read_file(iotsafe_card *c, const iotsafe_ref *file, uint8_t **data, size_t *len,
                             iotsafe_status *st)
{
    iotsafe_status_clear(st);
    iotsafe_rc rc = card_check_ref(file, "READ FILE", st);
    if (rc != IOTSAFE_OK)
        return rc;
    if (data == NULL || len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "READ FILE: NULL output");
    *data = NULL;
    *len = 0;
    struct read_arg a = {file, data, len};
    return card_run(c, op_read_file, &a, st);
}
