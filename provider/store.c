/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OSSL_STORE loader for the "iotsafe" scheme. Keys go out by reference
 * (only this provider can use them), certificates by value (card files that
 * parse as X.509). The card is first touched by the first load, not by open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "dispatch.h"
#include "error.h"
#include "key.h"
#include "key_load.h"
#include "iotsafe/uri.h"

typedef struct store_ctx {
    IPROV_CTX *pctx;
    iotsafe_uri uri;
    int expect;         /* OSSL_STORE_INFO_* or 0 */
    char *alias;        /* search by alias = label */
    X509_NAME *subject; /* search by subject (certificates) */
    int listed;
    iotsafe_object *objs;
    size_t nobjs, next;
    size_t delivered;
    int eof;
    int failed; /* an error was returned: the next load reports the end */
    char reader_name[IOTSAFE_URI_READER_MAX + 1]; /* for messages */
} STORE_CTX;

static OSSL_FUNC_store_open_fn st_open;
static OSSL_FUNC_store_settable_ctx_params_fn st_settable_ctx_params;
static OSSL_FUNC_store_set_ctx_params_fn st_set_ctx_params;
static OSSL_FUNC_store_load_fn st_load;
static OSSL_FUNC_store_eof_fn st_eof;
static OSSL_FUNC_store_close_fn st_close;
static OSSL_FUNC_store_export_object_fn st_export_object;

static void *st_open(void *provctx, const char *uri)
{
    IPROV_CTX *pctx = provctx;
    char err[160], esc[200];
    STORE_CTX *s;

    if (!iprov_usable(pctx))
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        IPROV_ERR(pctx, IPROV_R_MALLOC, "allocating a store context");
        return NULL;
    }
    s->pctx = pctx;
    if (uri == NULL || iotsafe_uri_parse(uri, strlen(uri), &s->uri, err, sizeof(err)) < 0) {
        IPROV_ERR(pctx, IPROV_R_BAD_URI, "malformed URI '%s': %s",
                  iotsafe_escape_str(uri, esc, sizeof(esc)), uri != NULL ? err : "missing");
        free(s);
        return NULL;
    }
    return s;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL),
    OSSL_PARAM_octet_string(OSSL_STORE_PARAM_SUBJECT, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_STORE_PARAM_ALIAS, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *st_settable_ctx_params(void *provctx)
{
    (void)provctx;
    return settable;
}

static int st_set_ctx_params(void *loaderctx, const OSSL_PARAM params[])
{
    STORE_CTX *s = loaderctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT)) != NULL &&
        !OSSL_PARAM_get_int(p, &s->expect))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_ALIAS)) != NULL) {
        const char *a = NULL;
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &a))
            return 0;
        free(s->alias);
        if ((s->alias = strdup(a)) == NULL) {
            IPROV_ERR(s->pctx, IPROV_R_MALLOC, "copying the alias");
            return 0;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_SUBJECT)) != NULL) {
        const void *der = NULL;
        size_t len = 0;
        const unsigned char *q;
        if (!OSSL_PARAM_get_octet_string_ptr(p, &der, &len))
            return 0;
        q = der;
        X509_NAME_free(s->subject);
        s->subject = d2i_X509_NAME(NULL, &q, (long)len);
        if (s->subject == NULL) {
            IPROV_ERR(s->pctx, IPROV_R_BAD_ARGUMENT, "bad subject name in the search");
            return 0;
        }
    }
    return 1;
}

/* Does this object fit the URI, the expected type and the search? (no card I/O) */
static int wanted(const STORE_CTX *s, const iotsafe_object *o)
{
    if (!iotsafe_uri_matches(&s->uri, o))
        return 0;
    switch (o->type) {
    case IOTSAFE_OBJ_PRIVATE_KEY:
        if (s->expect != 0 && s->expect != OSSL_STORE_INFO_PKEY)
            return 0;
        if (s->subject != NULL)
            return 0;
        break;
    case IOTSAFE_OBJ_PUBLIC_KEY:
        if (s->expect != 0 && s->expect != OSSL_STORE_INFO_PUBKEY)
            return 0;
        if (s->subject != NULL)
            return 0;
        break;
    case IOTSAFE_OBJ_FILE:
        if (s->expect != 0 && s->expect != OSSL_STORE_INFO_CERT)
            return 0;
        break;
    default:
        return 0; /* secret keys have no OSSL_STORE form */
    }
    if (s->alias != NULL &&
        (strlen(s->alias) != o->label_len || memcmp(s->alias, o->label, o->label_len) != 0))
        return 0;
    return 1;
}

/* The user named objects (id/label): problems with them are errors, not skips. */
static int named(const STORE_CTX *s)
{
    return s->uri.has_id || s->uri.has_label;
}

static const char *reader_of(const STORE_CTX *s)
{
    return s->uri.has_reader ? s->uri.reader : NULL;
}

struct list_arg {
    iotsafe_object *objs;
    size_t n;
    char reader[IOTSAFE_URI_READER_MAX + 1];
};

static iotsafe_rc list_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct list_arg *a = varg;
    const char *r = iotsafe_card_reader(card);
    snprintf(a->reader, sizeof(a->reader), "%s", r != NULL ? r : "?");
    /*
     * The handle's object list is read once per process and kept until it
     * goes stale (key generation here, card reset or reconnect): opening the
     * same URI again costs no APDU. See resolve_op in key_load.c for what that
     * means for keys regenerated by other processes.
     */
    return iotsafe_list_objects(card, &a->objs, &a->n, st);
}

struct file_arg {
    const iotsafe_object *obj;
    uint8_t *data;
    size_t len;
};

static iotsafe_rc file_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    struct file_arg *a = varg;
    iotsafe_ref ref = iotsafe_object_ref(a->obj);
    free(a->data);
    a->data = NULL;
    return iotsafe_read_file(card, &ref, &a->data, &a->len, st);
}

static int deliver_key(STORE_CTX *s, const iotsafe_object *o, OSSL_CALLBACK *cb, void *cbarg)
{
    IPROV_KEY *k = NULL;
    iotsafe_status st;
    OSSL_PARAM params[4];
    int type = OSSL_OBJECT_PKEY, ok;

    iotsafe_status_clear(&st);
    if (iprov_key_load_object(s->pctx, reader_of(s), o, &k, &st) != IOTSAFE_OK) {
        /* Listing: an empty slot (e.g. the ECDH peer) is no error, a garbled answer is. */
        if (!named(s) && st.rc != IOTSAFE_E_MALFORMED)
            return -1;
        IPROV_ERR_ST(s->pctx, &st);
        return 0;
    }
    params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)"EC", 0);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &k, sizeof(k));
    params[3] = OSSL_PARAM_construct_end();
    ok = cb(params, cbarg);
    iprov_key_free(k); /* the keymgmt took its own reference */
    return ok;
}

static int deliver_cert(STORE_CTX *s, const iotsafe_object *o, OSSL_CALLBACK *cb, void *cbarg)
{
    struct file_arg a = {o, NULL, 0};
    iotsafe_status st;
    const unsigned char *q;
    X509 *x = NULL;
    int ok = -1;

    iotsafe_status_clear(&st);
    if (iprov_card_run(s->pctx, reader_of(s), file_op, &a, &st) != IOTSAFE_OK) {
        free(a.data);
        if (!named(s) && st.rc != IOTSAFE_E_MALFORMED)
            return -1;
        IPROV_ERR_ST(s->pctx, &st);
        return 0;
    }
    q = a.data;
    x = X509_new_ex(s->pctx->libctx, NULL);
    if (x != NULL && a.len > 0 && d2i_X509(&x, &q, (long)a.len) != NULL) {
        /* Files may be longer than the certificate (padding): pass its own DER only. */
        size_t der_len = (size_t)(q - a.data);
        if (s->subject == NULL || X509_NAME_cmp(X509_get_subject_name(x), s->subject) == 0) {
            int type = OSSL_OBJECT_CERT;
            OSSL_PARAM params[4];
            params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type);
            params[1] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE,
                                                         (char *)"CERTIFICATE", 0);
            params[2] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA, a.data, der_len);
            params[3] = OSSL_PARAM_construct_end();
            ok = cb(params, cbarg);
        }
    } else if (named(s) && s->uri.type == IOTSAFE_URI_TYPE_CERT) {
        char d[IOTSAFE_OBJECT_STR_MAX];
        IPROV_ERR(s->pctx, IPROV_R_BAD_ARGUMENT, "%s is not an X.509 certificate",
                  iprov_obj_desc(o, d, sizeof(d)));
        ok = 0;
    }
    X509_free(x);
    free(a.data);
    return ok;
}

static int st_load(void *loaderctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
                   OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    STORE_CTX *s = loaderctx;
    (void)pw_cb; /* IoT SAFE keys have no PIN */
    (void)pw_cbarg;

    /*
     * After an error, eof must stay 0 until the caller has seen the error
     * (OSSL_STORE_error, so storeutl exits non-zero); the next load ends.
     */
    if (s->eof || s->failed) {
        s->eof = 1;
        return 0;
    }
    if (!s->listed) {
        struct list_arg a = {NULL, 0, ""};
        iotsafe_status st;
        iotsafe_status_clear(&st);
        s->listed = 1;
        if (iprov_card_run(s->pctx, reader_of(s), list_op, &a, &st) != IOTSAFE_OK) {
            s->failed = 1;
            IPROV_ERR_ST(s->pctx, &st);
            return 0;
        }
        s->objs = a.objs;
        s->nobjs = a.n;
        memcpy(s->reader_name, a.reader, sizeof(s->reader_name));
    }
    while (s->next < s->nobjs) {
        const iotsafe_object *o = &s->objs[s->next++];
        int r;
        if (!wanted(s, o))
            continue;
        r = o->type == IOTSAFE_OBJ_FILE ? deliver_cert(s, o, object_cb, object_cbarg)
                                        : deliver_key(s, o, object_cb, object_cbarg);
        if (r < 0)
            continue; /* skipped */
        if (r == 0) {
            s->failed = 1;
            return 0;
        }
        s->delivered++;
        return 1;
    }
    if (s->delivered == 0 && named(s)) {
        iotsafe_uri u = s->uri;
        char text[IOTSAFE_URI_MAX + 1];
        u.has_reader = 0;
        if (iotsafe_uri_format(&u, text, sizeof(text)) < 0)
            snprintf(text, sizeof(text), "iotsafe:");
        IPROV_ERR(s->pctx, IPROV_R_OBJECT_NOT_FOUND, "no %s matching %s on the card in reader '%s'",
                  s->expect == OSSL_STORE_INFO_PKEY     ? "private key"
                  : s->expect == OSSL_STORE_INFO_PUBKEY ? "public key"
                  : s->expect == OSSL_STORE_INFO_CERT   ? "certificate"
                                                        : "object",
                  text, s->reader_name);
        s->failed = 1;
        return 0;
    }
    s->eof = 1;
    return 1;
}

static int st_eof(void *loaderctx)
{
    const STORE_CTX *s = loaderctx;
    return s->eof;
}

static int st_close(void *loaderctx)
{
    STORE_CTX *s = loaderctx;
    if (s == NULL)
        return 1;
    free(s->objs);
    free(s->alias);
    X509_NAME_free(s->subject);
    free(s);
    return 1;
}

/* Only public keys may be copied into another provider; private keys stay ours. */
static int st_export_object(void *loaderctx, const void *reference, size_t reference_sz,
                            OSSL_CALLBACK *export_cb, void *export_cbarg)
{
    IPROV_KEY *k = NULL;
    (void)loaderctx;
    if (!iprov_key_from_reference(reference, reference_sz, &k) || k->has_private)
        return 0;
    return iprov_key_export_public(
        k, OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, export_cb,
        export_cbarg);
}

const OSSL_DISPATCH iprov_store_functions[] = {
    {OSSL_FUNC_STORE_OPEN, (void (*)(void))st_open},
    {OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS, (void (*)(void))st_settable_ctx_params},
    {OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))st_set_ctx_params},
    {OSSL_FUNC_STORE_LOAD, (void (*)(void))st_load},
    {OSSL_FUNC_STORE_EOF, (void (*)(void))st_eof},
    {OSSL_FUNC_STORE_CLOSE, (void (*)(void))st_close},
    {OSSL_FUNC_STORE_EXPORT_OBJECT, (void (*)(void))st_export_object},
    {0, NULL},
};
