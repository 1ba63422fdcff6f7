/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load iotsafe.so into fresh library contexts: no card (not even pcscd) is
 * contacted at load, algorithms are there, bad settings do not fail the load
 * but make the provider report status 0 and fail every operation, and
 * the card-free parts of keymgmt (import, match, public export, encoders)
 * behave with keys of the default provider.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "iotsafe/escape.h"
#include "run_suite.h"

#ifndef PROVIDER_DIR
#error "PROVIDER_DIR must point at the directory holding iotsafe.so"
#endif

typedef struct {
    OSSL_LIB_CTX *lib;
    OSSL_PROVIDER *def, *ours;
} env;

static int load(env *e)
{
    e->lib = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(e->lib);
    ck_assert_int_eq(OSSL_PROVIDER_set_default_search_path(e->lib, PROVIDER_DIR), 1);
    e->def = OSSL_PROVIDER_load(e->lib, "default"); /* default first, as in our openssl.cnf */
    ck_assert_ptr_nonnull(e->def);
    e->ours = OSSL_PROVIDER_load(e->lib, "iotsafe");
    return e->ours != NULL;
}

static void unload(env *e)
{
    if (e->ours != NULL)
        OSSL_PROVIDER_unload(e->ours);
    OSSL_PROVIDER_unload(e->def);
    OSSL_LIB_CTX_free(e->lib);
}

/* Any errors queued? Prints them for the test log. */
static int errors_queued(void)
{
    if (ERR_peek_error() == 0)
        return 0;
    ERR_print_errors_fp(stderr);
    return 1;
}

START_TEST(load_touches_no_card)
{
    char dir[] = "/tmp/iotsafe-test-XXXXXX";
    char path[sizeof(struct sockaddr_un)];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    env e;
    int fd;

    /* A listening socket where pcscd would be: any PC/SC use would connect to it. */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pcscd.comm", dir);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    setenv("PCSCLITE_CSOCK_NAME", path, 1);

    ERR_clear_error();
    ck_assert(load(&e));
    EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(e.lib, "EC", "provider=iotsafe");
    EVP_SIGNATURE *sig = EVP_SIGNATURE_fetch(e.lib, "ECDSA", "provider=iotsafe");
    OSSL_STORE_LOADER *ld = OSSL_STORE_LOADER_fetch(e.lib, "iotsafe", NULL);
    ck_assert_ptr_nonnull(km);
    ck_assert_ptr_nonnull(sig);
    ck_assert_ptr_nonnull(ld);
    ck_assert(EVP_KEYMGMT_is_a(km, "id-ecPublicKey"));
    /* We register no digest, cipher or RNG that could shadow the default provider. */
    ck_assert_ptr_null(EVP_MD_fetch(e.lib, "SHA256", "provider=iotsafe"));
    ck_assert_ptr_null(EVP_CIPHER_fetch(e.lib, "AES-128-GCM", "provider=iotsafe"));
    ck_assert_ptr_null(EVP_RAND_fetch(e.lib, "CTR-DRBG", "provider=iotsafe"));
    ERR_clear_error();
    ck_assert(!errors_queued());
    /* Unqualified fetches still resolve to the default provider (activated first). */
    EVP_KEYMGMT *any = EVP_KEYMGMT_fetch(e.lib, "EC", NULL);
    ck_assert_str_eq(OSSL_PROVIDER_get0_name(EVP_KEYMGMT_get0_provider(any)), "default");
    EVP_KEYMGMT_free(any);

    errno = 0;
    ck_assert_int_eq(accept(fd, NULL, NULL), -1);
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "something connected to pcscd at load");

    /* First use is what connects: without a daemon it fails with a clear message. */
    close(fd);
    unlink(path);
    rmdir(dir);
    OSSL_STORE_CTX *st = OSSL_STORE_open_ex("iotsafe:label=DEVKEY", e.lib, NULL, NULL, NULL, NULL,
                                            NULL, NULL);
    ck_assert_ptr_nonnull(st);
    ck_assert_ptr_null(OSSL_STORE_load(st));
    ck_assert_uint_ne(ERR_peek_last_error(), 0);
    char buf[256];
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
    ck_assert_msg(strstr(buf, "PC/SC service not available") != NULL, "got: %s", buf);
    OSSL_STORE_close(st);
    ERR_clear_error();

    /* A malformed URI is refused at open with the parser's reason. */
    ck_assert_ptr_null(
        OSSL_STORE_open_ex("iotsafe:id=%zz", e.lib, NULL, NULL, NULL, NULL, NULL, NULL));
    {
        const char *data = NULL;
        unsigned long code;
        int found = 0;
        while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, NULL)) != 0)
            if (data != NULL && strstr(data, "bad percent-escape") != NULL)
                found = 1;
        ck_assert(found);
    }

    OSSL_STORE_LOADER_free(ld);
    EVP_SIGNATURE_free(sig);
    EVP_KEYMGMT_free(km);
    unload(&e);
    unsetenv("PCSCLITE_CSOCK_NAME");
}
END_TEST

/* The provider's status parameter: 1 usable, 0 not. */
static int prov_status(OSSL_PROVIDER *p)
{
    int status = -1;
    OSSL_PARAM params[] = {OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, &status), OSSL_PARAM_END};
    ck_assert_int_eq(OSSL_PROVIDER_get_params(p, params), 1);
    return status;
}

/* Text of every queued error's data, joined; clears the queue. */
static void drain_errors(char *out, size_t cap)
{
    const char *data = NULL;
    int flags = 0;
    size_t used = 0;
    out[0] = '\0';
    while (ERR_get_error_all(NULL, NULL, NULL, &data, &flags) != 0)
        if (data != NULL && (flags & ERR_TXT_STRING) != 0 && used < cap)
            used += (size_t)snprintf(out + used, cap - used, "%s|", data);
}

START_TEST(bad_config_is_loud)
{
    static const char *const vars[][3] = {
        {"IOTSAFE_CLA", "bogus", "auto, proprietary or interindustry"},
        {"IOTSAFE_AID", "A0000005", "5 to 16 bytes in hex"},
        {"IOTSAFE_AID", "zz", "5 to 16 bytes in hex"},
        {"IOTSAFE_CHANNEL", "wide", "logical or basic"},
        {"IOTSAFE_TRACE", "2", "no, yes, apdu or debug, optionally followed by :FILE"},
        {"IOTSAFE_TRACE", "no:/tmp/x", "no, yes, apdu or debug, optionally followed by :FILE"},
        {"IOTSAFE_DH_PEER_SLOT", "0", "an object ID of 1 to 20 bytes in hex"},
        {"IOTSAFE_MODEM_MODE", "x", "csim or cgla"},
        {"IOTSAFE_VERIFY_SIGNATURES", "maybe", "yes or no"},
        {"IOTSAFE_RAND", "\x1b[2J", "yes or no"},
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        env e;
        char want[256], got[2048], esc[64];
        setenv(vars[i][0], vars[i][1], 1);
        ERR_clear_error();
        /* loads (OpenSSL 3.0 would drop an init error), says it is unusable */
        ck_assert_msg(load(&e), "%s=%s fails the load", vars[i][0], vars[i][1]);
        ck_assert_int_eq(prov_status(e.ours), 0);
        ck_assert_int_eq(prov_status(e.def), 1);
        ck_assert(!errors_queued());
        /* and every operation fails with the exact reason */
        OSSL_STORE_CTX *sc = OSSL_STORE_open_ex("iotsafe:", e.lib, NULL, NULL, NULL, NULL, NULL,
                                                NULL);
        ck_assert_ptr_null(sc);
        drain_errors(got, sizeof(got));
        snprintf(want, sizeof(want),
                 "bad value '%s' for environment variable %s (%s); the IoT SAFE provider is "
                 "unusable until this is fixed|",
                 iotsafe_escape_str(vars[i][1], esc, sizeof(esc)), vars[i][0], vars[i][2]);
        ck_assert_msg(strstr(got, want) != NULL, "got: %s\nwant: %s", got, want);
        EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(e.lib, "EC", "provider=iotsafe");
        ck_assert(kc == NULL || EVP_PKEY_keygen_init(kc) <= 0);
        EVP_PKEY_CTX_free(kc);
        drain_errors(got, sizeof(got));
        ck_assert_msg(strstr(got, want) != NULL, "got: %s\nwant: %s", got, want);
        unload(&e);
        unsetenv(vars[i][0]);
    }
    /* Good values, and an empty variable counts as unset. */
    {
        env e;
        setenv("IOTSAFE_CLA", "interindustry", 1);
        setenv("IOTSAFE_AID", "A0 00 00 05 59 00 10", 1);
        setenv("IOTSAFE_CHANNEL", "basic", 1);
        setenv("IOTSAFE_DH_PEER_SLOT", "05", 1);
        setenv("IOTSAFE_READER", "", 1);
        ck_assert(load(&e));
        ck_assert_int_eq(prov_status(e.ours), 1);
        unload(&e);
        unsetenv("IOTSAFE_CLA");
        unsetenv("IOTSAFE_AID");
        unsetenv("IOTSAFE_CHANNEL");
        unsetenv("IOTSAFE_DH_PEER_SLOT");
        unsetenv("IOTSAFE_READER");
    }
}
END_TEST

static EVP_PKEY *gen_default(OSSL_LIB_CTX *lib, const char *group)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(lib, "EC", "provider=default");
    EVP_PKEY *k = NULL;
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_PKEY_keygen_init(c), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_group_name(c, group), 1);
    ck_assert_int_eq(EVP_PKEY_keygen(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

/* Import the public half of k into our keymgmt. */
static EVP_PKEY *import_public(OSSL_LIB_CTX *lib, EVP_PKEY *k)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY *out = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(lib, "EC", "provider=iotsafe");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_PKEY_todata(k, EVP_PKEY_PUBLIC_KEY, &params), 1);
    ck_assert_int_eq(EVP_PKEY_fromdata_init(c), 1);
    if (EVP_PKEY_fromdata(c, &out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        out = NULL;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(c);
    return out;
}

START_TEST(keymgmt_without_card)
{
    env e;
    ck_assert(load(&e));
    EVP_PKEY *dk = gen_default(e.lib, "P-256");
    EVP_PKEY *other = gen_default(e.lib, "P-256");
    EVP_PKEY *ours = import_public(e.lib, dk);
    char name[64];
    size_t len;

    ck_assert_ptr_nonnull(ours);
    ck_assert_str_eq(EVP_PKEY_get0_description(ours), "EC keys held by an IoT SAFE applet");
    ck_assert_int_eq(EVP_PKEY_get_bits(ours), 256);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(ours), 128);
    ck_assert_int_eq(EVP_PKEY_get_size(ours), 72);
    ck_assert_int_eq(EVP_PKEY_get_group_name(ours, name, sizeof(name), &len), 1);
    ck_assert_str_eq(name, "prime256v1");
    ck_assert_int_eq(EVP_PKEY_get_default_digest_name(ours, name, sizeof(name)), 1); /* advisory */
    ck_assert_str_eq(name, "SHA256");
    ck_assert_int_eq(EVP_PKEY_get_utf8_string_param(ours,
                                                    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                    name, sizeof(name), &len),
                     1);
    ck_assert_str_eq(name, "uncompressed");
    ck_assert(EVP_PKEY_is_a(ours, "EC"));

    /* match in both directions, and a mismatch */
    ck_assert_int_eq(EVP_PKEY_eq(dk, ours), 1);
    ck_assert_int_eq(EVP_PKEY_eq(ours, dk), 1);
    ck_assert_int_ne(EVP_PKEY_eq(other, ours), 1);

    /* SubjectPublicKeyInfo from our encoder equals the default provider's */
    unsigned char *a = NULL, *b = NULL;
    int la = i2d_PUBKEY(dk, &a), lb = i2d_PUBKEY(ours, &b);
    ck_assert_int_gt(la, 0);
    ck_assert_int_eq(la, lb);
    ck_assert_mem_eq(a, b, (size_t)la);
    OPENSSL_free(a);
    OPENSSL_free(b);

    /* public export works, anything with the private part is refused */
    OSSL_PARAM *params = NULL;
    ck_assert_int_eq(EVP_PKEY_todata(ours, EVP_PKEY_PUBLIC_KEY, &params), 1);
    OSSL_PARAM_free(params);
    params = NULL;
    ck_assert_int_ne(EVP_PKEY_todata(ours, EVP_PKEY_KEYPAIR, &params), 1);
    ERR_clear_error();

    /* an imported public key cannot sign */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ck_assert_int_ne(EVP_DigestSignInit_ex(md, NULL, "SHA256", e.lib, NULL, ours, NULL), 1);
    EVP_MD_CTX_free(md);
    ERR_clear_error();

    /* private key material is never accepted; other curves are not ours */
    {
        OSSL_PARAM *kp = NULL;
        EVP_PKEY *x = NULL;
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(e.lib, "EC", "provider=iotsafe");
        ck_assert_int_eq(EVP_PKEY_todata(dk, EVP_PKEY_KEYPAIR, &kp), 1);
        ck_assert_int_eq(EVP_PKEY_fromdata_init(c), 1);
        ck_assert_int_ne(EVP_PKEY_fromdata(c, &x, EVP_PKEY_KEYPAIR, kp), 1);
        ck_assert_ptr_null(x);
        OSSL_PARAM_free(kp);
        EVP_PKEY_CTX_free(c);
        ERR_clear_error();
        EVP_PKEY *p384 = gen_default(e.lib, "P-384");
        ck_assert_ptr_null(import_public(e.lib, p384));
        ck_assert_int_ne(EVP_PKEY_eq(p384, ours), 1);
        EVP_PKEY_free(p384);
        ERR_clear_error();
    }

    /* brainpoolP256r1 is supported */
    {
        EVP_PKEY *bp = gen_default(e.lib, "brainpoolP256r1");
        EVP_PKEY *obp = import_public(e.lib, bp);
        ck_assert_ptr_nonnull(obp);
        ck_assert_int_eq(EVP_PKEY_eq(bp, obp), 1);
        ck_assert_int_ne(EVP_PKEY_eq(obp, ours), 1);
        EVP_PKEY_free(obp);
        EVP_PKEY_free(bp);
    }

    EVP_PKEY_free(ours);
    EVP_PKEY_free(other);
    EVP_PKEY_free(dk);
    unload(&e);
}
END_TEST

/* Decode buf as a private key of any input type, with both providers loaded. */
static EVP_PKEY *decode_any(OSSL_LIB_CTX *lib, const unsigned char *buf, size_t len)
{
    EVP_PKEY *k = NULL;
    OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&k, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, lib,
                                                        NULL);
    ck_assert_ptr_nonnull(d);
    if (OSSL_DECODER_from_data(d, &buf, &len) != 1)
        k = NULL;
    OSSL_DECODER_CTX_free(d);
    return k;
}

/*
 * Our PEM stage sees every input whose type the caller left open: input that
 * is not PEM (here DER) is not ours and must leave no "no start line" error
 * behind on a successful decode by another provider.
 */
START_TEST(decoder_leaves_no_stray_error)
{
    env e;
    ck_assert(load(&e));
    EVP_PKEY *dk = gen_default(e.lib, "P-256");
    unsigned char *der = NULL;
    int len = i2d_PrivateKey(dk, &der);
    ck_assert_int_gt(len, 0);

    ERR_clear_error();
    EVP_PKEY *k = decode_any(e.lib, der, (size_t)len);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(EVP_PKEY_eq(k, dk), 1);
    ck_assert_int_eq(errors_queued(), 0);
    EVP_PKEY_free(k);

    /* A PEM block with another label is not ours either. */
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem = NULL;
    ck_assert_int_eq(PEM_write_bio_PrivateKey(mem, dk, NULL, NULL, 0, NULL, NULL), 1);
    long plen = BIO_get_mem_data(mem, &pem);
    ck_assert_int_gt(plen, 0);
    k = decode_any(e.lib, (const unsigned char *)pem, (size_t)plen);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(errors_queued(), 0);
    EVP_PKEY_free(k);
    BIO_free(mem);

    OPENSSL_free(der);
    EVP_PKEY_free(dk);
    unload(&e);
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("provider-load");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, load_touches_no_card);
    tcase_add_test(tc, bad_config_is_loud);
    tcase_add_test(tc, keymgmt_without_card);
    tcase_add_test(tc, decoder_leaves_no_stray_error);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(load_suite());
}
