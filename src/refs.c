/* SPDX-License-Identifier: Apache-2.0 */
/* Object references (by ID or by label) and their wording in messages. */
#include <stdio.h>
#include <string.h>

#include "card_internal.h"
#include "iotsafe/hex.h"

const char *iotsafe_ref_str(const iotsafe_ref *ref, char *buf, size_t buflen)
{
    if (buf == NULL || buflen == 0)
        return "";
    buf[0] = '\0';
    if (ref == NULL || buflen < 8)
        return buf;
    if (ref->id != NULL) {
        memcpy(buf, "id=", 3);
        iotsafe_hex_format(ref->id, ref->id_len, buf + 3, buflen - 3);
    } else if (ref->label != NULL) {
        memcpy(buf, "label=", 6);
        iotsafe_escape(ref->label, ref->label_len, buf + 6, buflen - 6);
    }
    return buf;
}

const char *iotsafe_object_str(const iotsafe_object *obj, char *buf, size_t buflen)
{
    char rs[2 * IOTSAFE_ID_MAX + 8], lab[64]; /* the label cut as card_obj_desc cuts it */
    if (buf == NULL || buflen == 0)
        return "";
    if (obj == NULL) {
        snprintf(buf, buflen, "no object");
        return buf;
    }
    iotsafe_ref ref = iotsafe_object_ref(obj);
    if (ref.id_len > IOTSAFE_ID_MAX)
        ref.id_len = IOTSAFE_ID_MAX;
    iotsafe_ref_str(&ref, rs, sizeof rs);
    size_t label_len = obj->label_len <= IOTSAFE_LABEL_MAX ? obj->label_len : IOTSAFE_LABEL_MAX;
    if (label_len != 0)
        snprintf(buf, buflen, "%s %s (%s)", iotsafe_obj_type_words(obj->type), rs,
                 iotsafe_escape(obj->label, label_len, lab, sizeof lab));
    else
        snprintf(buf, buflen, "%s %s", iotsafe_obj_type_words(obj->type), rs);
    return buf;
}

iotsafe_ref iotsafe_object_ref(const iotsafe_object *obj)
{
    iotsafe_ref r = {.id = obj->id, .id_len = obj->id_len, .label = NULL, .label_len = 0};
    return r;
}

iotsafe_rc card_check_ref(const iotsafe_ref *ref, const char *what, iotsafe_status *st)
{
    if (ref == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "%s: no object reference", what);
    const int has_id = ref->id != NULL, has_label = ref->label != NULL;
    if (has_id == has_label)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "%s: name the object by ID or by label (exactly one)", what);
    if (has_id && (ref->id_len == 0 || ref->id_len > IOTSAFE_ID_MAX))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "%s: an object ID has 1..%d bytes",
                                  what, IOTSAFE_ID_MAX);
    if (has_label && (ref->label_len == 0 || ref->label_len > IOTSAFE_LABEL_MAX))
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0,
                                  "%s: an object label has 1..%d bytes", what, IOTSAFE_LABEL_MAX);
    return IOTSAFE_OK;
}

void card_put_ref(iotsafe_tlv_writer *w, uint8_t id_tag, uint8_t label_tag, const iotsafe_ref *ref)
{
    if (ref->id != NULL)
        iotsafe_tlv_put(w, id_tag, ref->id, ref->id_len);
    else
        iotsafe_tlv_put(w, label_tag, ref->label, ref->label_len);
}

int ref_equal_bytes(const iotsafe_ref *ref, const uint8_t *id, size_t id_len, const uint8_t *label,
                    size_t label_len)
{
    if (ref->id != NULL)
        return id_len == ref->id_len && memcmp(id, ref->id, id_len) == 0;
    return label_len != 0 && label_len == ref->label_len &&
           memcmp(label, ref->label, label_len) == 0;
}

const char *iotsafe_obj_type_words(iotsafe_obj_type t)
{
    switch (t) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        return "private key";
    case IOTSAFE_OBJ_PUBLIC_KEY:
        return "public key";
    case IOTSAFE_OBJ_FILE:
        return "file";
    case IOTSAFE_OBJ_SECRET_KEY:
        return "secret key";
    }
    return "object";
}
