/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key-reference files for programs that only take a key file (curl 7.88,
 * mosquitto). OpenSSL 3.0's own PEM-to-DER decoder drops PEM labels it does
 * not know, so stage 1 is ours: from PEM, it passes the body of an IOTSAFE
 * KEY REFERENCE block on with our structure name. Stage 2 ("EC", structure
 * iotsafe-keyref) turns it into a card key: a v2 body from the file alone,
 * a v1 body by resolving its URI on the card (doc/keyfile.md). What their
 * registration costs other key decodes: decoder_algs in provider.c.
 * Anything that is not ours goes back "empty handed" so other decoders run.
 *
 * Error reasons on OpenSSL 3.0: the openssl CLI loads key files through the
 * file store, which runs stage 2 inside ossl_store_handle_load_result; that
 * pops whatever stage 2 raised and reports only "unsupported". So stage 1
 * resolves the reference itself first. When that fails, its error is raised
 * BEFORE any store or decoder error mark is set, and a body nothing decodes is
 * passed on (IPROV_KEYREF_DEAD_STRUCTURE) so libcrypto counts the object as
 * "tried": otherwise OSSL_DECODER_from_bio adds "No supported data", which
 * makes the file store pop our reason after all. libcrypto runs stage 2
 * inside stage 1's data callback, on the same thread: stage 1 leaves the key
 * it resolved in a memo on the provider context for that call, so a load
 * resolves once. A DER key-reference file has no stage 1: through the CLI it
 * still ends in "unsupported".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "dispatch.h"
#include "error.h"
#include "key.h"
#include "key_load.h"
#include "keyfile.h"
#include "iotsafe/keyref.h"
#include "iotsafe/uri.h"

/* Structure name of an unresolvable reference: no decoder takes it. */
/* Decoder "structure" naming the key-reference DER between the two decoder stages. */
#define IPROV_KEYREF_STRUCTURE "iotsafe-keyref"
#define IPROV_KEYREF_DEAD_STRUCTURE "iotsafe-keyref-unresolvable"

static OSSL_FUNC_decoder_newctx_fn dec_newctx;
static OSSL_FUNC_decoder_freectx_fn dec_freectx;
static OSSL_FUNC_decoder_does_selection_fn keyref_does_selection;
static OSSL_FUNC_decoder_decode_fn pem_decode;
static OSSL_FUNC_decoder_decode_fn keyref_decode;
static OSSL_FUNC_decoder_export_object_fn keyref_export_object;

/*
 * Stage 2 only ever yields private keys. Declining every other selection
 * keeps it out of the decoder chains libcrypto builds for each public key it
 * decodes (every certificate of every TLS handshake, card key or not).
 * Selection 0 ("anything") is what the file store asks for.
 */
static int keyref_does_selection(void *provctx, int selection)
{
    (void)provctx;
    return selection == 0 || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0;
}

static void *dec_newctx(void *provctx)
{
    return provctx; /* stateless: the provider context is all we need */
}

static void dec_freectx(void *ctx)
{
    (void)ctx;
}

/* Pass a key on by reference (the keymgmt takes its own reference). */
static int emit_key(IPROV_KEY *k, OSSL_CALLBACK *data_cb, void *data_cbarg)
{
    int type = OSSL_OBJECT_PKEY;
    OSSL_PARAM params[4];
    params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)"EC", 0);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &k, sizeof(k));
    params[3] = OSSL_PARAM_construct_end();
    return data_cb(params, data_cbarg);
}

/* A key stage 1 resolved, offered to the stage 2 calls nested in its data callback. */
struct iprov_keyref_memo {
    struct iprov_keyref_memo *next;
    pthread_t thread;
    const unsigned char *der;
    size_t len;
    IPROV_KEY *key;
};

static void memo_push(IPROV_CTX *pctx, struct iprov_keyref_memo *m)
{
    pthread_mutex_lock(&pctx->lock);
    m->next = pctx->keyref_memos;
    pctx->keyref_memos = m;
    pthread_mutex_unlock(&pctx->lock);
}

static void memo_pop(IPROV_CTX *pctx, const struct iprov_keyref_memo *m)
{
    pthread_mutex_lock(&pctx->lock);
    for (struct iprov_keyref_memo **p = &pctx->keyref_memos; *p != NULL; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    pthread_mutex_unlock(&pctx->lock);
}

/* The key this thread's enclosing stage 1 resolved from the same DER, with a new reference. */
static IPROV_KEY *memo_take(IPROV_CTX *pctx, const unsigned char *der, size_t len)
{
    IPROV_KEY *k = NULL;
    pthread_mutex_lock(&pctx->lock);
    for (const struct iprov_keyref_memo *m = pctx->keyref_memos; m != NULL; m = m->next) {
        if (pthread_equal(m->thread, pthread_self()) && m->len == len &&
            memcmp(m->der, der, len) == 0 && iprov_key_up_ref(m->key)) {
            k = m->key;
            break;
        }
    }
    pthread_mutex_unlock(&pctx->lock);
    return k;
}

/* The card key a v1 key reference's URI names (reads the card); NULL with an error raised. */
static IPROV_KEY *resolve_uri(IPROV_CTX *pctx, const char *uri_text, size_t uri_len)
{
    iotsafe_uri uri;
    char err[160], esc[200];

    if (iotsafe_uri_parse(uri_text, uri_len, &uri, err, sizeof(err)) < 0) {
        IPROV_ERR(pctx, IPROV_R_BAD_KEYREF, "key reference holds a malformed URI '%s': %s",
                  iotsafe_escape(uri_text, uri_len, esc, sizeof(esc)), err);
        return NULL;
    }
    return iprov_key_resolve(pctx, &uri);
}

/* A parsed key reference -> the key: v2 from the file alone, v1 from the card. */
static IPROV_KEY *resolve_keyref(IPROV_CTX *pctx, const iotsafe_keyref *r)
{
    if (r->version == 2)
        return iprov_key_from_keyref_v2(pctx, r);
    return resolve_uri(pctx, r->uri, r->uri_len);
}

/*
 * The DER body of a key reference -> the card key. Returns 1 without a
 * callback when der is not a key reference, so other decoders carry on.
 */
static int decode_keyref(IPROV_CTX *pctx, const unsigned char *der, size_t len,
                         OSSL_CALLBACK *data_cb, void *data_cbarg)
{
    iotsafe_keyref r;
    IPROV_KEY *k;
    int ret;

    if (iotsafe_keyref_parse(der, len, &r) < 0)
        return 1;
    /* From here on it is ours: problems are errors with a clear message. */
    if ((k = memo_take(pctx, der, len)) == NULL && (k = resolve_keyref(pctx, &r)) == NULL)
        return 0;
    ret = emit_key(k, data_cb, data_cbarg);
    iprov_key_free(k);
    return ret;
}

/*
 * Stage 1 resolution of a PEM key reference body (see the top of the file):
 * the card key, else NULL with the reason raised.
 */
static IPROV_KEY *keyref_resolve_pem(IPROV_CTX *pctx, const unsigned char *der, size_t len)
{
    iotsafe_keyref r;

    if (iotsafe_keyref_parse(der, len, &r) < 0) {
        IPROV_ERR(pctx, IPROV_R_BAD_KEYREF,
                  "the %s PEM block does not hold a key reference (SEQUENCE { \"%s\", URI } "
                  "or its v2 form)",
                  IOTSAFE_KEYREF_PEM_LABEL, IOTSAFE_KEYREF_MAGIC);
        return NULL;
    }
    return resolve_keyref(pctx, &r);
}

static int pem_decode(void *ctx, OSSL_CORE_BIO *cin, int selection, OSSL_CALLBACK *data_cb,
                      void *data_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    IPROV_CTX *pctx = ctx;
    BIO *in = BIO_new_from_core_bio(pctx->libctx, cin);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len = 0;
    int ret = 1; /* "carry on": not our PEM block */
    (void)selection;
    (void)pw_cb;
    (void)pw_cbarg;

    if (in == NULL)
        return 0;
    /* Input that is not PEM makes PEM_read_bio queue "no start line": not ours, no error. */
    ERR_set_mark();
    if (PEM_read_bio(in, &name, &header, &data, &len) <= 0 ||
        strcmp(name, IOTSAFE_KEYREF_PEM_LABEL) != 0) {
        ERR_pop_to_mark();
    } else {
        OSSL_PARAM params[3];
        struct iprov_keyref_memo memo;
        IPROV_KEY *k;
        int resolves;

        ERR_clear_last_mark();
        k = keyref_resolve_pem(pctx, data, (size_t)len);
        resolves = k != NULL;
        /*
         * Only DER goes on, never a key reference: OpenSSL 3.0's file store
         * hands references from any decoder to the default provider's
         * keymgmt. Stage 2 is reached through libcrypto's own key decoder
         * setup, which binds our reference to our keymgmt.
         */
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA, data, (size_t)len);
        params[1] = OSSL_PARAM_construct_utf8_string(
            OSSL_OBJECT_PARAM_DATA_STRUCTURE,
            (char *)(resolves ? IPROV_KEYREF_STRUCTURE : IPROV_KEYREF_DEAD_STRUCTURE), 0);
        params[2] = OSSL_PARAM_construct_end();
        if (resolves) {
            memo = (struct iprov_keyref_memo){NULL, pthread_self(), data, (size_t)len, k};
            memo_push(pctx, &memo);
        }
        ret = data_cb(params, data_cbarg);
        if (resolves)
            memo_pop(pctx, &memo);
        iprov_key_free(k);
        /* Ours and broken: a hard failure keeps the reason raised above on the queue. */
        if (!resolves)
            ret = 0;
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(in);
    return ret;
}

static int keyref_decode(void *ctx, OSSL_CORE_BIO *cin, int selection, OSSL_CALLBACK *data_cb,
                         void *data_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    IPROV_CTX *pctx = ctx;
    BIO *in = BIO_new_from_core_bio(pctx->libctx, cin);
    unsigned char der[IOTSAFE_KEYREF_DER_MAX + 1];
    size_t len = 0;
    (void)selection;
    (void)pw_cb;
    (void)pw_cbarg;

    if (in == NULL)
        return 0;
    while (len < sizeof(der)) {
        int n = BIO_read(in, der + len, (int)(sizeof(der) - len));
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    BIO_free(in);
    return decode_keyref(pctx, der, len, data_cb, data_cbarg);
}

/* Only public keys may be copied into another provider. */
static int keyref_export_object(void *ctx, const void *objref, size_t objref_sz,
                                OSSL_CALLBACK *export_cb, void *export_cbarg)
{
    IPROV_KEY *k = NULL;
    (void)ctx;
    if (!iprov_key_from_reference(objref, objref_sz, &k) || k->has_private)
        return 0;
    return iprov_key_export_public(
        k, OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, export_cb,
        export_cbarg);
}

const OSSL_DISPATCH iprov_pem_to_der_decoder_functions[] = {
    {OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))dec_newctx},
    {OSSL_FUNC_DECODER_FREECTX, (void (*)(void))dec_freectx},
    {OSSL_FUNC_DECODER_DECODE, (void (*)(void))pem_decode},
    {0, NULL},
};

const OSSL_DISPATCH iprov_der_to_ec_decoder_functions[] = {
    {OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))dec_newctx},
    {OSSL_FUNC_DECODER_FREECTX, (void (*)(void))dec_freectx},
    {OSSL_FUNC_DECODER_DOES_SELECTION, (void (*)(void))keyref_does_selection},
    {OSSL_FUNC_DECODER_DECODE, (void (*)(void))keyref_decode},
    {OSSL_FUNC_DECODER_EXPORT_OBJECT, (void (*)(void))keyref_export_object},
    {0, NULL},
};
