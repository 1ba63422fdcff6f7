/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slots and tokens: one slot per PC/SC reader (only the one the `reader`
 * setting selects, when set), or the configured modem; a token where the
 * card's applet answers SELECT. Whether a reader holds a card is pcscd's
 * answer (no card I/O); a card's handle is opened on first need and dropped
 * when the card goes, which ends that card's sessions. Cards are opened and
 * used under their slot's lock only, never the module's, so one slow card
 * does not hold up the others or the session table.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

static const struct {
    CK_MECHANISM_TYPE type;
    CK_FLAGS flags;
} mechanisms[] = {
    {CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR},
    {CKM_ECDSA, CKF_SIGN},
    {CKM_ECDSA_SHA256, CKF_SIGN},
    {CKM_ECDSA_SHA384, CKF_SIGN},
    {CKM_ECDSA_SHA512, CKF_SIGN},
    {CKM_ECDH1_DERIVE, CKF_DERIVE},
};
#define NMECH (sizeof(mechanisms) / sizeof(mechanisms[0]))

size_t p11_mechanism_count(void)
{
    return NMECH;
}

CK_MECHANISM_TYPE p11_mechanism_at(size_t i)
{
    return mechanisms[i].type;
}

CK_FLAGS p11_mechanism_flags(CK_MECHANISM_TYPE m)
{
    for (size_t i = 0; i < NMECH; i++)
        if (mechanisms[i].type == m)
            return mechanisms[i].flags;
    return 0;
}

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

/* Say msg once while it stays the same: polling programs would repeat it endlessly. */
static void say_once(uint64_t *last, const char *msg)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *c = msg; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
    if (h == *last)
        return;
    *last = h;
    p11_log("%s", msg);
}

/*
 * Bring the slot table up to pcscd's reader list (module lock held). present[i]
 * says whether slot i's reader holds a card: 1, 0, or -1 when unknown (the
 * modem, or pcscd did not say) and the card itself must be asked.
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
    if (rc == IOTSAFE_E_NO_SERVICE) {
        /* No pcscd (a container, a modem-only host): no slot, said once, for p11-kit's sake. */
        if (!p11_g.said_no_service)
            p11_log("%s: no slot", st.msg);
        p11_g.said_no_service = 1;
        return CKR_OK;
    }
    p11_g.said_no_service = 0;
    if (rc != IOTSAFE_OK)
        return p11_card_error(rc, &st);
    int here[P11_MAX_SLOTS] = {0};
    const int known = iotsafe_pcsc_cards_present(names, here, P11_MAX_SLOTS, &st) == IOTSAFE_OK;
    /* The `reader` setting narrows the slots to the one reader it selects. */
    const char *only = NULL;
    if (p11_g.opts.reader != NULL) {
        only = iotsafe_pcsc_pick_reader(names, p11_g.opts.reader);
        if (only == NULL && !p11_g.said_no_reader_match) {
            char e[IOTSAFE_ESCAPED_SIZE(64)];
            p11_log("no PC/SC reader matches the reader setting '%s': no slot",
                    iotsafe_escape_str(p11_g.opts.reader, e, sizeof(e)));
        }
        p11_g.said_no_reader_match = only == NULL;
    }
    size_t k = 0;
    for (const char *s = names; *s != '\0' && k < P11_MAX_SLOTS; s += strlen(s) + 1, k++) {
        if (p11_g.opts.reader != NULL && s != only)
            continue;
        int i = slot_for(s, 0);
        if (i < 0)
            break;
        p11_g.slots[i].listed = 1;
        present[i] = known ? here[k] : -1;
    }
    free(names);
    /* A reader that went: its card and sessions go too (unless busy: the next look does it). */
    for (size_t i = 0; i < p11_g.nslots; i++) {
        p11_slot *sl = &p11_g.slots[i];
        if (!sl->listed && !sl->is_modem && pthread_mutex_trylock(&sl->lock) == 0) {
            p11_slot_drop_card(sl);
            pthread_mutex_unlock(&sl->lock);
        }
    }
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
    atomic_fetch_add(&s->generation, 1);
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
        s->said = 0;
        p11_debug("opened the card in '%s' (shared state: %s)", iotsafe_card_reader(s->card),
                  iotsafe_card_shared_state(s->card));
        return CKR_OK;
    }
    s->card = NULL;
    /* An empty reader or another card is nothing to say; a configured modem that fails is. */
    if (!s->is_modem &&
        (rc == IOTSAFE_E_NO_CARD || rc == IOTSAFE_E_NO_APPLET || rc == IOTSAFE_E_NO_READER))
        return CKR_TOKEN_NOT_PRESENT;
    say_once(&s->said, st.msg[0] != '\0' ? st.msg : iotsafe_rc_str(rc));
    CK_RV rv = p11_card_rv(rc);
    return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
}

CK_RV p11_slot_enter(p11_slot *s, unsigned long gen)
{
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->generation) != gen) {
        pthread_mutex_unlock(&s->lock);
        return CKR_DEVICE_REMOVED; /* the session's card went away meanwhile */
    }
    CK_RV rv = p11_slot_card(s);
    if (rv != CKR_OK)
        pthread_mutex_unlock(&s->lock);
    return rv;
}

void p11_slot_leave(p11_slot *s)
{
    pthread_mutex_unlock(&s->lock);
}

CK_RV p11_slot_failed(p11_slot *s, iotsafe_rc rc, const iotsafe_status *st)
{
    CK_RV rv = p11_card_error(rc, st);
    if (rv == CKR_DEVICE_REMOVED)
        p11_slot_drop_card(s);
    return rv;
}

/* Is there a token in slot s (present from refresh; no module lock held)? */
static int token_present(p11_slot *s, int present)
{
    pthread_mutex_lock(&s->lock);
    if (present == 0)
        p11_slot_drop_card(s); /* pcscd says the card is gone: so are its sessions */
    int yes = present != 0 && p11_slot_card(s) == CKR_OK;
    pthread_mutex_unlock(&s->lock);
    return yes;
}

/* The listed slots and what pcscd says of their cards (takes the module lock). */
static CK_RV look(int present[P11_MAX_SLOTS], int listed[P11_MAX_SLOTS], size_t *nslots)
{
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = refresh(present);
    *nslots = p11_g.nslots;
    for (size_t i = 0; i < p11_g.nslots; i++)
        listed[i] = p11_g.slots[i].listed;
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_GetSlotList(CK_BBOOL token_present_only, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    int present[P11_MAX_SLOTS], listed[P11_MAX_SLOTS];
    CK_SLOT_ID ids[P11_MAX_SLOTS];
    CK_ULONG n = 0;
    size_t nslots = 0;
    const int kind = token_present_only ? 2 : 1;
    if (count == NULL)
        return CKR_ARGUMENTS_BAD;
    /*
     * The list a size query (list NULL) found is the one the next call with a
     * list gets: a reader plugged in between must not make it fail (p11-kit's
     * proxy gives up on a module whose second answer is CKR_BUFFER_TOO_SMALL).
     */
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK && list != NULL && p11_g.snapshot_kind == kind) {
        n = p11_g.nsnapshot;
        memcpy(ids, p11_g.snapshot, n * sizeof(ids[0]));
        p11_g.snapshot_kind = 0;
        pthread_mutex_unlock(&p11_g.lock);
        goto give;
    }
    pthread_mutex_unlock(&p11_g.lock);
    if (rv != CKR_OK)
        return rv;
    rv = look(present, listed, &nslots);
    for (size_t i = 0; rv == CKR_OK && i < nslots; i++) {
        if (!listed[i])
            continue;
        if (token_present_only && !token_present(&p11_g.slots[i], present[i]))
            continue;
        ids[n++] = i;
    }
    if (rv != CKR_OK)
        return rv;
    if (list == NULL) {
        pthread_mutex_lock(&p11_g.lock);
        memcpy(p11_g.snapshot, ids, n * sizeof(ids[0]));
        p11_g.nsnapshot = n;
        p11_g.snapshot_kind = kind;
        pthread_mutex_unlock(&p11_g.lock);
    }
give:
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

/* The slot id with a token in it, or why not (no lock held on return). */
static CK_RV slot_with_token(CK_SLOT_ID id, p11_slot **out, int *has_token)
{
    int present[P11_MAX_SLOTS], listed[P11_MAX_SLOTS];
    size_t nslots = 0;
    CK_RV rv = look(present, listed, &nslots);
    if (rv != CKR_OK)
        return rv;
    if (id >= nslots)
        return CKR_SLOT_ID_INVALID;
    *out = &p11_g.slots[id];
    *has_token = listed[id] && token_present(*out, present[id]);
    return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
    p11_slot *s;
    int has_token = 0;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = slot_with_token(id, &s, &has_token);
    if (rv != CKR_OK)
        return rv;
    memset(info, 0, sizeof(*info));
    p11_pad(info->slotDescription, sizeof(info->slotDescription), s->reader);
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
            s->is_modem ? "AT modem" : "PC/SC reader");
    info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
    if (has_token)
        info->flags |= CKF_TOKEN_PRESENT;
    return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
    p11_slot *s;
    int has_token = 0;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = slot_with_token(id, &s, &has_token);
    if (rv != CKR_OK)
        return rv;
    if (!has_token)
        return CKR_TOKEN_NOT_PRESENT;
    rv = p11_slot_enter(s, atomic_load(&s->generation));
    if (rv == CKR_OK) {
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
        p11_slot_leave(s);
    }
    return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
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
        for (size_t i = 0; i < NMECH; i++)
            list[i] = mechanisms[i].type;
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
    const CK_FLAGS what = p11_mechanism_flags(type);
    if (what == 0)
        return CKR_MECHANISM_INVALID;
    info->ulMinKeySize = 256;
    info->ulMaxKeySize = 256;
    info->flags = CKF_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS | what;
    return CKR_OK;
}
