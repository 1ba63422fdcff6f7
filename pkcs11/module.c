/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module's entry points (C_GetFunctionList, C_GetInterfaceList,
 * C_GetInterface), C_Initialize / C_Finalize / C_GetInfo, and p11_g: the one
 * place that holds mutable global state, as a PKCS#11 module must (its API
 * has no context argument). Everything in it is guarded by p11_g.lock, the
 * slots' cards and objects by each slot's own lock.
 *
 * fork(): a child holds copies of the parent's PC/SC handles and locks (the
 * locks made anew by a fork handler). It gets CKR_CRYPTOKI_NOT_INITIALIZED
 * until it calls C_Initialize, which then drops the copies without I/O and
 * starts afresh (what p11-kit and GnuTLS expect of a module).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"

p11_module p11_g = {.lock = PTHREAD_MUTEX_INITIALIZER};

CK_RV p11_ready(void)
{
    if (!p11_g.initialized || p11_g.pid != getpid())
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    return CKR_OK;
}

/* Forget everything; discard: the handles are a parent's (no I/O on them). */
static void teardown(int discard)
{
    for (size_t i = 0; i < P11_MAX_SESSIONS; i++)
        p11_session_free_state(&p11_g.sessions[i]);
    while (p11_g.nsobjs > 0)
        p11_session_object_remove(p11_g.nsobjs - 1);
    free(p11_g.sobjs);
    p11_g.sobjs = NULL;
    for (size_t i = 0; i < p11_g.nslots; i++) {
        p11_slot *s = &p11_g.slots[i];
        /* A call still at work on the card (a program finalizing too early) ends first. */
        pthread_mutex_lock(&s->lock);
        if (discard)
            iotsafe_card_discard(s->card);
        else
            iotsafe_card_free(s->card);
        for (size_t k = 0; k < s->nobjs; k++)
            free(s->objs[k].value);
        free(s->reader);
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_destroy(&s->lock);
    }
    iotsafe_options_clear(&p11_g.opts);
    if (p11_g.log != NULL)
        fclose(p11_g.log);
    memset(p11_g.slots, 0, sizeof(p11_g.slots));
    memset(p11_g.sessions, 0, sizeof(p11_g.sessions));
    p11_g.nslots = 0;
    p11_g.snapshot_kind = 0;
    p11_g.said_no_service = p11_g.said_no_reader_match = 0;
    p11_g.log = NULL;
    p11_g.initialized = 0;
}

/*
 * In a child after fork(), the locks are copies in whatever state a parent
 * thread left them: made anew, so that the child's calls answer
 * CKR_CRYPTOKI_NOT_INITIALIZED and its C_Initialize can start afresh. (glibc
 * forgets this handler when the module is unloaded.)
 */
static void atfork_child(void)
{
    pthread_mutex_init(&p11_g.lock, NULL);
    for (size_t i = 0; i < p11_g.nslots; i++)
        pthread_mutex_init(&p11_g.slots[i].lock, NULL);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

CK_RV C_Initialize(CK_VOID_PTR init_args)
{
    const CK_C_INITIALIZE_ARGS *a = init_args;
    if (a != NULL) {
        if (a->pReserved != NULL)
            return CKR_ARGUMENTS_BAD;
        const int some = a->CreateMutex != NULL || a->DestroyMutex != NULL ||
                         a->LockMutex != NULL || a->UnlockMutex != NULL;
        const int all = a->CreateMutex != NULL && a->DestroyMutex != NULL && a->LockMutex != NULL &&
                        a->UnlockMutex != NULL;
        if (some && !all)
            return CKR_ARGUMENTS_BAD;
        /* Only the application's own locks and no OS locking: we cannot honour that. */
        if (all && (a->flags & CKF_OS_LOCKING_OK) == 0)
            return CKR_CANT_LOCK;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_atfork);
    pthread_mutex_lock(&p11_g.lock);
    if (p11_g.initialized && p11_g.pid == getpid()) {
        pthread_mutex_unlock(&p11_g.lock);
        return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    }
    if (p11_g.initialized)
        teardown(1); /* a forked child: the parent's handles are not ours */
    iotsafe_options_init(&p11_g.opts);
    CK_RV rv = p11_settings_load(&p11_g.opts);
    if (rv == CKR_OK) {
        p11_g.pid = getpid();
        p11_g.next_session = 1;
        p11_g.next_session_obj = 1;
        p11_g.initialized = 1;
    } else {
        iotsafe_options_clear(&p11_g.opts);
    }
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_Finalize(CK_VOID_PTR reserved)
{
    if (reserved != NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&p11_g.lock);
    CK_RV rv = p11_ready();
    if (rv == CKR_OK)
        teardown(0);
    pthread_mutex_unlock(&p11_g.lock);
    return rv;
}

CK_RV C_GetInfo(CK_INFO_PTR info)
{
    CK_RV rv = p11_ready();
    if (rv != CKR_OK)
        return rv;
    if (info == NULL)
        return CKR_ARGUMENTS_BAD;
    memset(info, 0, sizeof(*info));
    info->cryptokiVersion.major = 2;
    info->cryptokiVersion.minor = 40;
    p11_pad(info->manufacturerID, sizeof(info->manufacturerID), "iotsafe-provider project");
    p11_pad(info->libraryDescription, sizeof(info->libraryDescription),
            "IoT SAFE card keys (libiotsafe)");
    info->libraryVersion.major = P11_VERSION_MAJOR;
    info->libraryVersion.minor = P11_VERSION_MINOR;
    return CKR_OK;
}

#include "functions.h"

static CK_FUNCTION_LIST function_list = {.version = {2, 40},
#define P11_ENTRY(name) .name = name,
                                         P11_FUNCTIONS
#undef P11_ENTRY
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    *list = &function_list;
    return CKR_OK;
}

/*
 * PKCS#11 3.0's way in: one interface, "PKCS 11", whose function list is the
 * 2.40 one above (its version says so); a caller asking for version 3.0 gets
 * CKR_ARGUMENTS_BAD and falls back, as the spec lets a module offer only the
 * versions it has. The 3.0 additions (message-based crypto, C_LoginUser,
 * C_SessionCancel) have nothing to work with on an IoT SAFE card.
 */
#ifndef CKF_INTERFACE_FORK_SAFE
/* Headers before PKCS#11 3.0 (p11-kit < 0.25) lack the interface type. */
typedef struct CK_INTERFACE {
    CK_UTF8CHAR *pInterfaceName;
    CK_VOID_PTR pFunctionList;
    CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif

/* The header's type for the name differs (CK_UTF8CHAR * or char *): go through void *. */
static char interface_name[] = "PKCS 11";
static CK_INTERFACE interfaces[] = {{(void *)interface_name, &function_list, 0}};

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR list, CK_ULONG_PTR count);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version, CK_INTERFACE_PTR_PTR iface,
                     CK_FLAGS flags);

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
    const CK_ULONG n = sizeof(interfaces) / sizeof(interfaces[0]);
    if (count == NULL)
        return CKR_ARGUMENTS_BAD;
    if (list == NULL) {
        *count = n;
        return CKR_OK;
    }
    if (*count < n) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(list, interfaces, sizeof(interfaces));
    *count = n;
    return CKR_OK;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version, CK_INTERFACE_PTR_PTR iface,
                     CK_FLAGS flags)
{
    if (iface == NULL)
        return CKR_ARGUMENTS_BAD;
    if (name != NULL && strcmp((const char *)name, interface_name) != 0)
        return CKR_ARGUMENTS_BAD;
    if (version != NULL && (version->major != function_list.version.major ||
                            version->minor != function_list.version.minor))
        return CKR_ARGUMENTS_BAD;
    if ((flags & ~interfaces[0].flags) != 0)
        return CKR_ARGUMENTS_BAD;
    *iface = &interfaces[0];
    return CKR_OK;
}
