/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions: several per slot and per thread; each holds the state of one
 * search and one signature at a time. Session objects (derived secrets) are
 * the module's, seen by every session, and end with the session that made
 * them. A session belongs to the card it was opened on: when the card goes,
 * its sessions end (CKR_SESSION_HANDLE_INVALID), and new ones work when it is
 * back. There is no PIN in IoT SAFE, so logging in is accepted and changes
 * nothing on the card: programs that always log in keep working.
 */
#include <stdlib.h>
#include <string.h>

#include "p11.h"

/* The live session h (module lock held), or NULL. */
static p11_session *find(CK_SESSION_HANDLE h)
{
    if (h == CK_INVALID_HANDLE)
        return NULL;
    for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
        if (p11_g.sessions[i].handle == h && !p11_g.sessions[i].closing)
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

void p11_session_object_remove(size_t i)
{
    p11_obj *o = &p11_g.sobjs[i];
    if (o->value != NULL)
        explicit_bzero(o->value, o->value_len); /* secrets */
    free(o->value);
    p11_g.sobjs[i] = p11_g.sobjs[--p11_g.nsobjs];
}

void p11_session_free_state(p11_session *s)
{
    const CK_SESSION_HANDLE h = s->handle;
    p11_session_reset_op(s);
    free(s->found);
    for (size_t i = p11_g.nsobjs; h != CK_INVALID_HANDLE && i-- > 0;)
        if (p11_g.sobjs[i].owner == h)
            p11_session_object_remove(i);
    memset(s, 0, sizeof(*s));
}

/* Unlist s: freed now, or by the last unpin when an operation holds it (module lock held). */
static void close_session(p11_session *s)
{
    if (s->busy > 0) {
        /* its objects go now: no session may find them once it is closed */
        for (size_t i = p11_g.nsobjs; i-- > 0;)
            if (p11_g.sobjs[i].owner == s->handle)
                p11_session_object_remove(i);
        s->closing = 1;
        return;
    }
    p11_session_free_state(s);
}

CK_RV p11_session_get(CK_SESSION_HANDLE h, p11_session **sess, p11_slot **slot)
{
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    p11_session *s = rv == CKR_OK ? find(h) : NULL;
    if (rv == CKR_OK && s == NULL)
        rv = CKR_SESSION_HANDLE_INVALID;
    if (rv == CKR_OK) {
        p11_slot *sl = &p11_g.slots[s->slot];
        if (atomic_load(&sl->generation) != s->generation) {
            close_session(s); /* its card went away */
            rv = CKR_SESSION_HANDLE_INVALID;
        } else {
            s->busy++;
            *sess = s;
            *slot = sl;
        }
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

void p11_session_put(p11_session *s)
{
    pthread_mutex_lock(&p11_g.lock);
    if (--s->busy == 0 && s->closing)
        p11_session_free_state(s);
    pthread_mutex_unlock(&p11_g.lock);
}

CK_RV p11_session_add_object(const p11_session *s, p11_obj *o, CK_OBJECT_HANDLE *out)
{
    pthread_mutex_lock(&p11_g.lock);
    p11_obj *grown = realloc(p11_g.sobjs, (p11_g.nsobjs + 1) * sizeof(*grown));
    CK_RV rv = CKR_OK;
    if (grown == NULL) {
        rv = CKR_HOST_MEMORY;
    } else {
        p11_g.sobjs = grown;
        o->owner = s->handle;
        o->handle = P11_SESSION_OBJ | p11_g.next_session_obj++;
        if (p11_g.next_session_obj >= P11_SESSION_OBJ)
            p11_g.next_session_obj = 1;
        p11_g.sobjs[p11_g.nsobjs++] = *o;
        *out = o->handle;
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

p11_obj *p11_session_object(CK_OBJECT_HANDLE h)
{
    for (size_t i = 0; i < p11_g.nsobjs; i++)
        if (p11_g.sobjs[i].handle == h)
            return &p11_g.sobjs[i];
    return NULL;
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
    pthread_mutex_unlock(&p11_g.lock);
    if (rv != CKR_OK)
        return rv;
    /* The card is opened without the module lock: other slots' calls go on meanwhile. */
    const unsigned long gen = atomic_load(&sl->generation);
    rv = p11_slot_enter(sl, gen);
    if (rv == CKR_DEVICE_REMOVED)
        rv = CKR_TOKEN_NOT_PRESENT;
    if (rv != CKR_OK)
        return rv;
    const unsigned long card_gen = atomic_load(&sl->generation);
    p11_slot_leave(sl);

    pthread_mutex_lock(&p11_g.lock);
    p11_session *s = NULL;
    for (size_t i = 0; i < P11_MAX_SESSIONS && s == NULL; i++)
        if (p11_g.sessions[i].handle == CK_INVALID_HANDLE && p11_g.sessions[i].busy == 0)
            s = &p11_g.sessions[i];
    if (s == NULL)
        rv = CKR_SESSION_COUNT;
    if (rv == CKR_OK) {
        memset(s, 0, sizeof(*s));
        s->handle = p11_g.next_session++;
        if (p11_g.next_session == CK_INVALID_HANDLE || p11_g.next_session >= 0x80000000UL)
            p11_g.next_session = 1;
        s->slot = id;
        s->generation = card_gen;
        s->flags = flags;
        /* A session opened while another of the slot is logged in is logged in too. */
        for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
            if (find(p11_g.sessions[i].handle) != NULL && p11_g.sessions[i].slot == id &&
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
    p11_session *s = rv == CKR_OK ? find(h) : NULL;
    if (rv == CKR_OK && s == NULL)
        rv = CKR_SESSION_HANDLE_INVALID;
    if (rv == CKR_OK)
        close_session(s);
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
        if (find(p11_g.sessions[i].handle) != NULL && p11_g.sessions[i].slot == id)
            close_session(&p11_g.sessions[i]);
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
    p11_session_put(s);
    return CKR_OK;
}

/* Every session of the slot logs in and out together, as the spec wants (module lock held). */
static void set_login(CK_SLOT_ID slot, int on)
{
    for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
        if (find(p11_g.sessions[i].handle) != NULL && p11_g.sessions[i].slot == slot)
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
    pthread_mutex_lock(&p11_g.lock);
    if (user == CKU_CONTEXT_SPECIFIC)
        /* no key asks for it (none has CKA_ALWAYS_AUTHENTICATE): only with an operation */
        rv = s->op == P11_OP_NONE ? CKR_OPERATION_NOT_INITIALIZED : CKR_OK;
    else if (user != CKU_USER)
        rv = CKR_USER_TYPE_INVALID; /* no security officer: the card is provisioned, not administered */
    else if (s->logged_in)
        rv = CKR_USER_ALREADY_LOGGED_IN;
    else
        set_login(s->slot, 1);
    pthread_mutex_unlock(&p11_g.lock);
    p11_session_put(s);
    return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
    p11_session *s;
    p11_slot *sl;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    pthread_mutex_lock(&p11_g.lock);
    if (!s->logged_in)
        rv = CKR_USER_NOT_LOGGED_IN;
    else
        set_login(s->slot, 0);
    pthread_mutex_unlock(&p11_g.lock);
    p11_session_put(s);
    return rv;
}
