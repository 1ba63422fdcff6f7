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
    if (len > 0)
        rv = p11_slot_enter(sl, s->generation); /* the session's card, not whichever is there now */
    if (rv == CKR_OK && len > 0) {
        iotsafe_status st;
        iotsafe_status_clear(&st);
        iotsafe_rc rc = iotsafe_get_random(sl->card, out, len, &st);
        if (rc != IOTSAFE_OK)
            rv = p11_slot_failed(sl, rc, &st);
        p11_slot_leave(sl);
    }
    p11_session_put(s);
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
    p11_session_put(s);
    return CKR_RANDOM_SEED_NOT_SUPPORTED;
}
