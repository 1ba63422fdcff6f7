/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p11_probe MODULE COMMAND: what pkcs11-tool cannot show, driven through the
 * module's function list as any PKCS#11 program would (dlopen, no link to our
 * code). Prints one line per fact; exit 0 when the command ran as expected.
 *   info        interfaces, C_GetInfo, the token's flags
 *   attrs       a private key's attributes a card key cannot have
 *   fork        a child gets CKR_CRYPTOKI_NOT_INITIALIZED, then signs after C_Initialize
 *   threads N M N threads x M sessions each signing; prints "signed K"
 *   sign        one signature with the key CKA_ID 01; prints the CKR
 *   again       sign, wait for a line on stdin (the card is reset), sign in the same session
 *   sign-exit   one signature, then exit without C_Finalize (as many programs end)
 *   removal     sign, wait for a line on stdin (the card is removed), sign again (CKR),
 *               use the old session again (CKR), wait for a line (the card is back),
 *               open a new session and sign (CKR)
 *   derive-bad-template HEX  CKM_ECDH1_DERIVE with CKA_ID 04 and peer point HEX: templates the
 *               module must refuse before any card I/O, then a good one (the CKR of each)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *f;

#define RV(x) \
    {         \
        x, #x \
    }
static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_ARGUMENTS_BAD),
};

static const char *rv_name(CK_RV rv)
{
    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    return "other";
}

static CK_SLOT_ID first_slot(void)
{
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || n == 0) {
        printf("no token\n");
        exit(2);
    }
    return slots[0];
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, unsigned char id)
{
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, &id, 1}};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    if (f->C_FindObjectsInit(s, t, 2) != CKR_OK)
        return h;
    f->C_FindObjects(s, &h, 1, &n);
    f->C_FindObjectsFinal(s);
    return n == 1 ? h : CK_INVALID_HANDLE;
}

static CK_RV sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
    CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
    unsigned char sig[64], msg[] = "probe";
    CK_ULONG len = sizeof(sig);
    CK_RV rv = f->C_SignInit(s, &m, key);
    if (rv == CKR_OK)
        rv = f->C_Sign(s, msg, sizeof(msg) - 1, sig, &len);
    return rv;
}

static CK_RV open_sign(void)
{
    CK_SESSION_HANDLE s;
    CK_RV rv = f->C_OpenSession(first_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK)
        return rv;
    rv = sign_once(s, find_key(s, CKO_PRIVATE_KEY, 1));
    f->C_CloseSession(s);
    return rv;
}

struct job {
    int sessions;
    int signed_ok;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    CK_SESSION_HANDLE s[8];
    CK_SLOT_ID slot = first_slot();
    for (int i = 0; i < j->sessions; i++)
        if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s[i]) != CKR_OK)
            return NULL;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < j->sessions; i++)
            if (sign_once(s[i], find_key(s[i], CKO_PRIVATE_KEY, 1)) == CKR_OK)
                j->signed_ok++;
    for (int i = 0; i < j->sessions; i++)
        f->C_CloseSession(s[i]);
    return NULL;
}

static int wait_line(void)
{
    char buf[16];
    return fgets(buf, sizeof(buf), stdin) != NULL;
}

/* Open a session, sign with key 01 and say so, then wait for a line: the key, the session in *s. */
static CK_OBJECT_HANDLE sign_then_wait(CK_SESSION_HANDLE *s)
{
    f->C_OpenSession(first_slot(), CKF_SERIAL_SESSION, NULL, NULL, s);
    CK_OBJECT_HANDLE k = find_key(*s, CKO_PRIVATE_KEY, 1);
    printf("sign %s\n", rv_name(sign_once(*s, k)));
    fflush(stdout);
    wait_line();
    return k;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: p11_probe MODULE info|attrs|fork|threads N M|sign|removal\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList gfl = lib != NULL ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList")
                                           : NULL;
    if (gfl == NULL || gfl(&f) != CKR_OK) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 2;
    }
    CK_C_INITIALIZE_ARGS ia = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = f->C_Initialize(&ia);
    printf("C_Initialize %s\n", rv_name(rv));
    if (rv != CKR_OK)
        return 1;
    const char *cmd = argv[2];
    int ok = 1;
    if (strcmp(cmd, "info") == 0) {
        typedef CK_RV (*list_fn)(void *, CK_ULONG *);
        list_fn gil = (list_fn)dlsym(lib, "C_GetInterfaceList");
        CK_ULONG n = 0;
        rv = gil != NULL ? gil(NULL, &n) : CKR_GENERAL_ERROR;
        printf("C_GetInterfaceList %s count %lu\n", rv_name(rv), n);
        struct {
            CK_UTF8CHAR *name;
            void *list;
            CK_FLAGS flags;
        } ifs[4];
        if (gil != NULL && n > 0 && n <= 4 && gil(ifs, &n) == CKR_OK)
            printf("interface '%s' version %d.%d\n", (char *)ifs[0].name,
                   ((CK_VERSION *)ifs[0].list)->major, ((CK_VERSION *)ifs[0].list)->minor);
        CK_INFO info;
        f->C_GetInfo(&info);
        printf("cryptoki %d.%d\n", info.cryptokiVersion.major, info.cryptokiVersion.minor);
        CK_TOKEN_INFO ti;
        f->C_GetTokenInfo(first_slot(), &ti);
        printf("login required %s\n", (ti.flags & CKF_LOGIN_REQUIRED) ? "yes" : "no");
    } else if (strcmp(cmd, "attrs") == 0) {
        CK_SESSION_HANDLE s;
        f->C_OpenSession(first_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s);
        CK_OBJECT_HANDLE k = find_key(s, CKO_PRIVATE_KEY, 1);
        const CK_ATTRIBUTE_TYPE types[] = {CKA_VALUE, CKA_MODULUS, CKA_PRIME_1, CKA_EC_PARAMS};
        const char *names[] = {"CKA_VALUE", "CKA_MODULUS", "CKA_PRIME_1", "CKA_EC_PARAMS"};
        for (int i = 0; i < 4; i++) {
            unsigned char buf[128];
            CK_ATTRIBUTE a = {types[i], buf, sizeof(buf)};
            rv = f->C_GetAttributeValue(s, k, &a, 1);
            printf("%s %s len %s\n", names[i], rv_name(rv),
                   a.ulValueLen == CK_UNAVAILABLE_INFORMATION ? "unavailable" : "given");
        }
    } else if (strcmp(cmd, "fork") == 0) {
        printf("parent sign %s\n", rv_name(open_sign()));
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            CK_SLOT_ID slots[4];
            CK_ULONG n = 4;
            printf("child before C_Initialize %s\n", rv_name(f->C_GetSlotList(CK_TRUE, slots, &n)));
            printf("child C_Initialize %s\n", rv_name(f->C_Initialize(&ia)));
            printf("child sign %s\n", rv_name(open_sign()));
            f->C_Finalize(NULL);
            fflush(stdout);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        printf("parent sign again %s\n", rv_name(open_sign()));
    } else if (strcmp(cmd, "threads") == 0 && argc == 5) {
        int nt = atoi(argv[3]), ns = atoi(argv[4]);
        if (nt < 1 || nt > 16 || ns < 1 || ns > 8)
            return 2;
        pthread_t t[16];
        struct job jobs[16];
        for (int i = 0; i < nt; i++) {
            jobs[i] = (struct job){ns, 0};
            pthread_create(&t[i], NULL, worker, &jobs[i]);
        }
        int total = 0;
        for (int i = 0; i < nt; i++) {
            pthread_join(t[i], NULL);
            total += jobs[i].signed_ok;
        }
        printf("signed %d of %d\n", total, nt * ns * 3);
        ok = total == nt * ns * 3;
    } else if (strcmp(cmd, "sign") == 0) {
        rv = open_sign();
        printf("sign %s\n", rv_name(rv));
        ok = rv == CKR_OK;
    } else if (strcmp(cmd, "sign-exit") == 0) {
        rv = open_sign();
        printf("sign %s\n", rv_name(rv));
        exit(rv == CKR_OK ? 0 : 1);
    } else if (strcmp(cmd, "again") == 0) {
        CK_SESSION_HANDLE s;
        CK_OBJECT_HANDLE k = sign_then_wait(&s);
        rv = sign_once(s, k);
        printf("same session sign %s\n", rv_name(rv));
        ok = rv == CKR_OK;
    } else if (strcmp(cmd, "removal") == 0) {
        CK_SESSION_HANDLE s;
        CK_OBJECT_HANDLE k = sign_then_wait(&s);
        printf("sign after removal %s\n", rv_name(sign_once(s, k)));
        printf("old session %s\n", rv_name(sign_once(s, k)));
        CK_SLOT_ID slots[4];
        CK_ULONG n = 4;
        f->C_GetSlotList(CK_TRUE, slots, &n);
        printf("tokens while removed %lu\n", n);
        CK_SESSION_HANDLE s2;
        printf("open while removed %s\n",
               rv_name(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s2)));
        fflush(stdout);
        wait_line();
        printf("new session sign %s\n", rv_name(open_sign()));
    } else if (strcmp(cmd, "derive-bad-template") == 0 && argc == 4) {
        /* what pkcs11-tool cannot send; CKRs in hex: 0x13 ATTRIBUTE_VALUE_INVALID, 0xd1
           TEMPLATE_INCONSISTENT, 0x71 MECHANISM_PARAM_INVALID */
        unsigned char pt[65];
        CK_ULONG pl = 0;
        while (pl < sizeof(pt) && sscanf(argv[3] + 2 * pl, "%2hhx", &pt[pl]) == 1)
            pl++;
        CK_SESSION_HANDLE s;
        f->C_OpenSession(first_slot(), CKF_SERIAL_SESSION, NULL, NULL, &s);
        CK_OBJECT_HANDLE k = find_key(s, CKO_PRIVATE_KEY, 4), out;
        CK_ECDH1_DERIVE_PARAMS dp = {CKD_NULL, 0, NULL, pl, pt};
        CK_MECHANISM m = {CKM_ECDH1_DERIVE, &dp, sizeof(dp)};
        CK_BBOOL yes = CK_TRUE;
        CK_ULONG wide_true = CK_TRUE, aes = CKK_AES, len20 = 20, len16 = 16;
        const struct {
            const char *name;
            CK_ATTRIBUTE t[3];
            CK_ULONG n;
        } cases[] = {
            {"sensitive-in-a-ulong", {{CKA_SENSITIVE, &wide_true, sizeof(wide_true)}}, 1},
            {"label-without-buffer", {{CKA_LABEL, NULL, 5}}, 1},
            {"id-without-buffer", {{CKA_ID, NULL, 3}}, 1},
            {"value-len-in-a-byte", {{CKA_VALUE_LEN, &yes, sizeof(yes)}}, 1},
            {"aes-20-bytes",
             {{CKA_KEY_TYPE, &aes, sizeof(aes)}, {CKA_VALUE_LEN, &len20, sizeof(len20)}},
             2},
            {"good",
             {{CKA_SENSITIVE, &yes, sizeof(yes)},
              {CKA_KEY_TYPE, &aes, sizeof(aes)},
              {CKA_VALUE_LEN, &len16, sizeof(len16)}},
             3},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            out = CK_INVALID_HANDLE;
            rv = f->C_DeriveKey(s, &m, k, (CK_ATTRIBUTE_PTR)cases[i].t, cases[i].n, &out);
            printf("%s 0x%lx\n", cases[i].name, (unsigned long)rv);
        }
        unsigned char v[32];
        CK_ATTRIBUTE a = {CKA_VALUE, v, sizeof(v)};
        printf("value of the sensitive secret %s\n",
               rv_name(f->C_GetAttributeValue(s, out, &a, 1)));
        f->C_CloseSession(s);
    } else {
        ok = 0;
    }
    printf("C_Finalize %s\n", rv_name(f->C_Finalize(NULL)));
    return ok ? 0 : 1;
}
