/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions: several per slot and per thread; each holds the state of one
 * search and one signature at a time, and its own objects (derived secrets).
 * A session belongs to the card it was opened on: when the card goes, its
 * sessions end (CKR_SESSION_HANDLE_INVALID), and new ones work when it is back.
 * There is no PIN in IoT SAFE, so logging in is accepted and changes nothing
 * on the card: programs that always log in keep working.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

p11_session *p11_session_find(CK_SESSION_HANDLE h)
{
    if (h == CK_INVALID_HANDLE)
        return NULL;
    for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
        if (p11_g.sessions[i].handle == h)
            return &p11_g.sessions[i];
    return NULL;
}

void p11_session_reset_op(p11_session *s)
{
    p11_digest_free(s->md);
    s->md = NULL;
    s->op = P11_OP_NONE;
    s->multipart = 0;
}

void p11_session_free_state(p11_session *s)
{
    p11_session_reset_op(s);
    free(s->found);
    for (size_t i = 0; i < s->nsobjs; i++) {
        if (s->sobjs[i].value != NULL)
            memset(s->sobjs[i].value, 0, s->sobjs[i].value_len); /* secrets */
        free(s->sobjs[i].value);
    }
    free(s->sobjs);
    memset(s, 0, sizeof(*s));
}

CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **sess, p11_slot **slot)
{
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    p11_session *s = rv == CKR_OK ? p11_session_find(h) : NULL;
    if (rv == CKR_OK && s == NULL)
        rv = CKR_SESSION_HANDLE_INVALID;
    if (rv == CKR_OK) {
        p11_slot *sl = &p11_g.slots[s->slot];
        if (sl->generation != s->generation) {
            p11_session_free_state(s); /* its card went away */
            rv = CKR_SESSION_HANDLE_INVALID;
        } else {
            *sess = s;
            *slot = sl;
            return CKR_OK;
        }
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

void p11_session_put(void)
{
    pthread_mutex_unlock(&p11_g.lock);
}

CK_RV C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                    CK_SESSION_HANDLE_PTR out)
{
    (void)app;
    (void)notify; /* no callbacks: nothing here is slow enough to report progress */
    p11_slot *sl;
    if (out == NULL)
        return CKR_ARGUMENTS_BAD;
    if ((flags & CKF_SERIAL_SESSION) == 0)
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &sl);
    if (rv == CKR_OK) {
        pthread_mutex_lock(&sl->lock);
        rv = p11_slot_card(sl);
        pthread_mutex_unlock(&sl->lock);
    }
    p11_session *s = NULL;
    for (size_t i = 0; rv == CKR_OK && i < P11_MAX_SESSIONS && s == NULL; i++)
        if (p11_g.sessions[i].handle == CK_INVALID_HANDLE)
            s = &p11_g.sessions[i];
    if (rv == CKR_OK && s == NULL)
        rv = CKR_SESSION_COUNT;
    if (rv == CKR_OK) {
        memset(s, 0, sizeof(*s));
        s->handle = p11_g.next_session++;
        if (p11_g.next_session == CK_INVALID_HANDLE || p11_g.next_session >= 0x80000000UL)
            p11_g.next_session = 1;
        s->slot = id;
        s->generation = sl->generation;
        s->flags = flags;
        /* A session opened while another of the slot is logged in is logged in too. */
        for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
            if (p11_g.sessions[i].handle != CK_INVALID_HANDLE && p11_g.sessions[i].slot == id &&
                p11_g.sessions[i].logged_in)
                s->logged_in = 1;
        *out = s->handle;
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE h)
{
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    p11_session *s = rv == CKR_OK ? p11_session_find(h) : NULL;
    if (rv == CKR_OK && s == NULL)
        rv = CKR_SESSION_HANDLE_INVALID;
    if (rv == CKR_OK)
        p11_session_free_state(s);
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID id)
{
    p11_slot *sl;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        rv = p11_slot_get(id, &sl);
    for (size_t i = 0; rv == CKR_OK && i < P11_MAX_SESSIONS; i++)
        if (p11_g.sessions[i].handle != CK_INVALID_HANDLE && p11_g.sessions[i].slot == id)
            p11_session_free_state(&p11_g.sessions[i]);
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
    p11_session *s;
    p11_slot *sl;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    const int rw = (s->flags & CKF_RW_SESSION) != 0;
    info->slotID = s->slot;
    info->flags = s->flags;
    info->ulDeviceError = 0;
    if (s->logged_in)
        info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    else
        info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    p11_session_put();
    return CKR_OK;
}

/* Every session of the slot logs in and out together, as the spec wants. */
static void set_login(CK_SLOT_ID slot, int on)
{
    for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
        if (p11_g.sessions[i].handle != CK_INVALID_HANDLE && p11_g.sessions[i].slot == slot)
            p11_g.sessions[i].logged_in = on;
}

CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    (void)pin;
    (void)pin_len; /* no PIN exists on the card: any is accepted and none is kept */
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (user != CKU_USER && user != CKU_SO && user != CKU_CONTEXT_SPECIFIC)
        rv = CKR_USER_TYPE_INVALID;
    else if (user == CKU_SO)
        rv = CKR_USER_TYPE_INVALID; /* no security officer: the card is provisioned, not administered */
    else if (s->logged_in && user == CKU_USER)
        rv = CKR_USER_ALREADY_LOGGED_IN;
    else
        set_login(s->slot, 1);
    p11_session_put();
    return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    if (!s->logged_in)
        rv = CKR_USER_NOT_LOGGED_IN;
    else
        set_login(s->slot, 0);
    p11_session_put();
    return rv;
}
