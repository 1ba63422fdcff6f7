/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slots and tokens: one slot per PC/SC reader (only the one the `reader`
 * setting selects, when set), or the configured modem; a
 * token where the card's applet answers SELECT. Whether a reader holds a
 * card is pcscd's answer (no card I/O); a card's handle is opened on first
 * need and dropped when the card goes, which ends that card's sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

static const CK_MECHANISM_TYPE mechanisms[] = {
    CKM_EC_KEY_PAIR_GEN, CKM_ECDSA,        CKM_ECDSA_SHA256,
    CKM_ECDSA_SHA384,    CKM_ECDSA_SHA512, CKM_ECDH1_DERIVE,
};
#define NMECH (sizeof(mechanisms) / sizeof(mechanisms[0]))

/* Add the slot for name if it is new (module lock held); its index, or -1 when full. */
static int slot_for(const char *name, int is_modem)
{
    for (size_t i = 0; i < p11_g.nslots; i++)
        if (strcmp(p11_g.slots[i].reader, name) == 0)
            return (int)i;
    if (p11_g.nslots == P11_MAX_SLOTS)
        return -1;
    p11_slot *s = &p11_g.slots[p11_g.nslots];
    memset(s, 0, sizeof(*s));
    s->reader = strdup(name);
    if (s->reader == NULL)
        return -1;
    s->is_modem = is_modem;
    s->next_handle = 1;
    pthread_mutex_init(&s->lock, NULL);
    return (int)p11_g.nslots++;
}

/*
 * Bring the slot table up to pcscd's reader list (module lock held). present[i]
 * says whether slot i's reader holds a card; -1 for the modem (unknown
 * until it is asked).
 */
static CK_RV refresh(int present[P11_MAX_SLOTS])
{
    for (size_t i = 0; i < P11_MAX_SLOTS; i++)
        present[i] = 0;
    if (p11_g.opts.modem != NULL) {
        int i = slot_for(p11_g.opts.modem, 1);
        if (i < 0)
            return CKR_HOST_MEMORY;
        p11_g.slots[i].listed = 1;
        present[i] = -1;
        return CKR_OK;
    }
    char *names = NULL;
    size_t n = 0;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    for (size_t i = 0; i < p11_g.nslots; i++)
        p11_g.slots[i].listed = 0;
    iotsafe_rc rc = iotsafe_pcsc_list_readers(&names, &n, &st);
    if (rc == IOTSAFE_E_NO_READER)
        return CKR_OK; /* no reader: no slot, not an error */
    if (rc != IOTSAFE_OK)
        return p11_card_error(rc, &st);
    int here[P11_MAX_SLOTS] = {0};
    rc = iotsafe_pcsc_cards_present(names, here, P11_MAX_SLOTS, &st);
    /* The `reader` setting narrows the slots to the one reader it selects. */
    const char *only = NULL;
    if (p11_g.opts.reader != NULL) {
        only = iotsafe_pcsc_pick_reader(names, p11_g.opts.reader);
        if (only == NULL) {
            char e[IOTSAFE_ESCAPED_SIZE(64)];
            p11_log("no PC/SC reader matches the reader setting '%s': no slot",
                    iotsafe_escape_str(p11_g.opts.reader, e, sizeof(e)));
        }
    }
    size_t k = 0;
    for (const char *s = names; *s != '\0' && k < P11_MAX_SLOTS; s += strlen(s) + 1, k++) {
        if (p11_g.opts.reader != NULL && s != only)
            continue;
        int i = slot_for(s, 0);
        if (i < 0)
            break;
        p11_g.slots[i].listed = 1;
        present[i] = rc == IOTSAFE_OK && here[k];
    }
    free(names);
    return CKR_OK;
}

CK_RV p11_slot_get(CK_SLOT_ID id, p11_slot **out)
{
    if (id >= p11_g.nslots)
        return CKR_SLOT_ID_INVALID;
    *out = &p11_g.slots[id];
    return CKR_OK;
}

void p11_slot_drop_card(p11_slot *s)
{
    if (s->card == NULL)
        return;
    p11_debug("the card in '%s' went away: its sessions end", iotsafe_card_reader(s->card));
    iotsafe_card_free(s->card);
    s->card = NULL;
    for (size_t k = 0; k < s->nobjs; k++)
        free(s->objs[k].value);
    s->nobjs = 0;
    s->objs_valid = 0;
    s->generation++;
}

CK_RV p11_slot_card(p11_slot *s)
{
    if (s->card != NULL)
        return CKR_OK;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    iotsafe_rc rc = iotsafe_options_open_card(&p11_g.opts, s->is_modem ? NULL : s->reader,
                                              p11_g.log, &s->card, &st);
    if (rc == IOTSAFE_OK) {
        p11_debug("opened the card in '%s' (shared state: %s)", iotsafe_card_reader(s->card),
                  iotsafe_card_shared_state(s->card));
        return CKR_OK;
    }
    s->card = NULL;
    /* An empty reader or another card is nothing to say; a configured modem that fails is. */
    if (!s->is_modem &&
        (rc == IOTSAFE_E_NO_CARD || rc == IOTSAFE_E_NO_APPLET || rc == IOTSAFE_E_NO_READER))
        return CKR_TOKEN_NOT_PRESENT;
    CK_RV rv = p11_card_error(rc, &st);
    return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
}

CK_RV p11_slot_failed(p11_slot *s, iotsafe_rc rc, const iotsafe_status *st)
{
    CK_RV rv = p11_card_error(rc, st);
    if (rv == CKR_DEVICE_REMOVED)
        p11_slot_drop_card(s);
    return rv;
}

/* Is there a token in slot i (module lock held, present[i] from refresh)? */
static int token_present(size_t i, int present)
{
    p11_slot *s = &p11_g.slots[i];
    pthread_mutex_lock(&s->lock);
    if (present == 0)
        p11_slot_drop_card(s); /* pcscd says the card is gone: so are its sessions */
    int yes = present != 0 && p11_slot_card(s) == CKR_OK;
    pthread_mutex_unlock(&s->lock);
    return yes;
}

CK_RV C_GetSlotList(CK_BBOOL token_present_only, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    int present[P11_MAX_SLOTS];
    CK_SLOT_ID ids[P11_MAX_SLOTS];
    CK_ULONG n = 0;
    if (count == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = refresh(present);
    for (size_t i = 0; rv == CKR_OK && i < p11_g.nslots; i++) {
        if (!p11_g.slots[i].listed)
            continue;
        if (token_present_only && !token_present(i, present[i]))
            continue;
        ids[n++] = i;
    }
    pthread_mutex_unlock(&p11_g.lock);
    if (rv != CKR_OK)
        return rv;
    if (list != NULL) {
        if (*count < n) {
            *count = n;
            return CKR_BUFFER_TOO_SMALL;
        }
        memcpy(list, ids, n * sizeof(ids[0]));
    }
    *count = n;
    return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
    int present[P11_MAX_SLOTS];
    p11_slot *s;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = refresh(present);
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &s);
    if (rv == CKR_OK) {
        memset(info, 0, sizeof(*info));
        p11_pad(info->slotDescription, sizeof(info->slotDescription), s->reader);
        p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
                s->is_modem ? "AT modem" : "PC/SC reader");
        info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
        if (s->listed && token_present(id, present[id]))
            info->flags |= CKF_TOKEN_PRESENT;
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
    int present[P11_MAX_SLOTS];
    p11_slot *s;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = refresh(present);
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &s);
    if (rv == CKR_OK && (!s->listed || !token_present(id, present[id])))
        rv = CKR_TOKEN_NOT_PRESENT;
    if (rv == CKR_OK) {
        pthread_mutex_lock(&s->lock);
        rv = p11_objects_load(s); /* the serial number is made from them */
        if (rv == CKR_OK) {
            memset(info, 0, sizeof(*info));
            p11_pad(info->label, sizeof(info->label), "IoT SAFE");
            p11_pad(info->manufacturerID, sizeof(info->manufacturerID), "GSMA IoT SAFE");
            p11_pad(info->model, sizeof(info->model), "IoT SAFE applet");
            p11_pad(info->serialNumber, sizeof(info->serialNumber), s->serial);
            /* No PIN exists in IoT SAFE: nothing to log in to. */
            info->flags = CKF_RNG | CKF_TOKEN_INITIALIZED;
            info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
            info->ulSessionCount = CK_UNAVAILABLE_INFORMATION;
            info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
            info->ulRwSessionCount = CK_UNAVAILABLE_INFORMATION;
            info->ulMaxPinLen = 0;
            info->ulMinPinLen = 0;
            info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
            info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
            info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
            info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
            info->hardwareVersion.major = 1;
            info->firmwareVersion.major = 1;
            memset(info->utcTime, ' ', sizeof(info->utcTime));
        }
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
    p11_slot *s;
    if (count == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &s);
    pthread_mutex_unlock(&p11_g.lock);
    if (rv != CKR_OK)
        return rv;
    if (list != NULL) {
        if (*count < NMECH) {
            *count = NMECH;
            return CKR_BUFFER_TOO_SMALL;
        }
        memcpy(list, mechanisms, sizeof(mechanisms));
    }
    *count = NMECH;
    return CKR_OK;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
    p11_slot *s;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &s);
    pthread_mutex_unlock(&p11_g.lock);
    if (rv != CKR_OK)
        return rv;
    const CK_FLAGS ec = CKF_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
    info->ulMinKeySize = 256;
    info->ulMaxKeySize = 256;
    switch (type) {
    case CKM_EC_KEY_PAIR_GEN:
        info->flags = ec | CKF_GENERATE_KEY_PAIR;
        return CKR_OK;
    case CKM_ECDSA:
    case CKM_ECDSA_SHA256:
    case CKM_ECDSA_SHA384:
    case CKM_ECDSA_SHA512:
        info->flags = ec | CKF_SIGN;
        return CKR_OK;
    case CKM_ECDH1_DERIVE:
        info->flags = ec | CKF_DERIVE;
        return CKR_OK;
    default:
        return CKR_MECHANISM_INVALID;
    }
}
