/* SPDX-License-Identifier: Apache-2.0 */
/* The card's random number generator (GET RANDOM); it takes no seed. */
#include "p11.h"

CK_RV C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
    p11_session *s;
    p11_slot *sl;
    if (out == NULL && len > 0)
        return CKR_ARGUMENTS_BAD;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    p11_session_put();
    if (len == 0)
        return CKR_OK;
    iotsafe_status st;
    iotsafe_status_clear(&st);
    pthread_mutex_lock(&sl->lock);
    rv = p11_slot_card(sl);
    if (rv == CKR_OK) {
        iotsafe_rc rc = iotsafe_get_random(sl->card, out, len, &st);
        if (rc != IOTSAFE_OK)
            rv = p11_slot_failed(sl, rc, &st);
    }
    pthread_mutex_unlock(&sl->lock);
    return rv;
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len)
{
    p11_session *s;
    p11_slot *sl;
    (void)seed;
    (void)len;
    CK_RV rv = p11_session_get(h, &s, &sl);
    if (rv != CKR_OK)
        return rv;
    p11_session_put();
    return CKR_RANDOM_SEED_NOT_SUPPORTED;
}
