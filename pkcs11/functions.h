/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every PKCS#11 2.40 function in the order of CK_FUNCTION_LIST, for building
 * the list (module.c). Each is defined in the file of its part, or in
 * unsupported.c when the card has nothing to do it with.
 */
#ifndef P11_FUNCTIONS_H
#define P11_FUNCTIONS_H

#define P11_FUNCTIONS                \
    P11_ENTRY(C_Initialize)          \
    P11_ENTRY(C_Finalize)            \
    P11_ENTRY(C_GetInfo)             \
    P11_ENTRY(C_GetFunctionList)     \
    P11_ENTRY(C_GetSlotList)         \
    P11_ENTRY(C_GetSlotInfo)         \
    P11_ENTRY(C_GetTokenInfo)        \
    P11_ENTRY(C_GetMechanismList)    \
    P11_ENTRY(C_GetMechanismInfo)    \
    P11_ENTRY(C_InitToken)           \
    P11_ENTRY(C_InitPIN)             \
    P11_ENTRY(C_SetPIN)              \
    P11_ENTRY(C_OpenSession)         \
    P11_ENTRY(C_CloseSession)        \
    P11_ENTRY(C_CloseAllSessions)    \
    P11_ENTRY(C_GetSessionInfo)      \
    P11_ENTRY(C_GetOperationState)   \
    P11_ENTRY(C_SetOperationState)   \
    P11_ENTRY(C_Login)               \
    P11_ENTRY(C_Logout)              \
    P11_ENTRY(C_CreateObject)        \
    P11_ENTRY(C_CopyObject)          \
    P11_ENTRY(C_DestroyObject)       \
    P11_ENTRY(C_GetObjectSize)       \
    P11_ENTRY(C_GetAttributeValue)   \
    P11_ENTRY(C_SetAttributeValue)   \
    P11_ENTRY(C_FindObjectsInit)     \
    P11_ENTRY(C_FindObjects)         \
    P11_ENTRY(C_FindObjectsFinal)    \
    P11_ENTRY(C_EncryptInit)         \
    P11_ENTRY(C_Encrypt)             \
    P11_ENTRY(C_EncryptUpdate)       \
    P11_ENTRY(C_EncryptFinal)        \
    P11_ENTRY(C_DecryptInit)         \
    P11_ENTRY(C_Decrypt)             \
    P11_ENTRY(C_DecryptUpdate)       \
    P11_ENTRY(C_DecryptFinal)        \
    P11_ENTRY(C_DigestInit)          \
    P11_ENTRY(C_Digest)              \
    P11_ENTRY(C_DigestUpdate)        \
    P11_ENTRY(C_DigestKey)           \
    P11_ENTRY(C_DigestFinal)         \
    P11_ENTRY(C_SignInit)            \
    P11_ENTRY(C_Sign)                \
    P11_ENTRY(C_SignUpdate)          \
    P11_ENTRY(C_SignFinal)           \
    P11_ENTRY(C_SignRecoverInit)     \
    P11_ENTRY(C_SignRecover)         \
    P11_ENTRY(C_VerifyInit)          \
    P11_ENTRY(C_Verify)              \
    P11_ENTRY(C_VerifyUpdate)        \
    P11_ENTRY(C_VerifyFinal)         \
    P11_ENTRY(C_VerifyRecoverInit)   \
    P11_ENTRY(C_VerifyRecover)       \
    P11_ENTRY(C_DigestEncryptUpdate) \
    P11_ENTRY(C_DecryptDigestUpdate) \
    P11_ENTRY(C_SignEncryptUpdate)   \
    P11_ENTRY(C_DecryptVerifyUpdate) \
    P11_ENTRY(C_GenerateKey)         \
    P11_ENTRY(C_GenerateKeyPair)     \
    P11_ENTRY(C_WrapKey)             \
    P11_ENTRY(C_UnwrapKey)           \
    P11_ENTRY(C_DeriveKey)           \
    P11_ENTRY(C_SeedRandom)          \
    P11_ENTRY(C_GenerateRandom)      \
    P11_ENTRY(C_GetFunctionStatus)   \
    P11_ENTRY(C_CancelFunction)      \
    P11_ENTRY(C_WaitForSlotEvent)

#endif
