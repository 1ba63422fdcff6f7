/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key generation ON THE CARD: `openssl genpkey -algorithm EC -pkeyopt
 * iotsafe-label:GENKEY` regenerates the key pair in an existing container
 * (GENERATE KEY PAIR, through iotsafe_generate_key_pair like iotsafe-tool
 * genkey) and returns the opaque card key; the encoder then writes the key
 * reference. IoT SAFE cannot create containers, so a target is mandatory.
 *
 * A generation that asks for domain parameters only (libcrypto builds EC
 * parameter "templates" that way, e.g. for ECDH peers) yields a key that
 * holds just the curve and never touches the card.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "keygen.h"
#include "iotsafe/hex.h"
#include "error.h"
#include "key.h"
#include "key_load.h"
#include "iotsafe/uri.h"

typedef struct gen_ctx {
    IPROV_CTX *pctx;
    int selection;
    iotsafe_curve group; /* NONE: whatever the container holds */
    int has_target;
    iotsafe_uri target; /* the container: id and/or label (+ reader) */
} GEN_CTX;

void *iprov_keygen_init(void *provctx, int selection, const OSSL_PARAM params[])
{
    GEN_CTX *g;
    if (!iprov_usable(provctx))
        return NULL;
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        IPROV_ERR(provctx, IPROV_R_MALLOC, "allocating a key generation context");
        return NULL;
    }
    g->pctx = provctx;
    g->selection = selection;
    if (!iprov_keygen_set_params(g, params)) {
        free(g);
        return NULL;
    }
    return g;
}

void iprov_keygen_cleanup(void *genctx)
{
    free(genctx);
}

int iprov_keygen_set_template(void *genctx, void *templ)
{
    GEN_CTX *g = genctx;
    const IPROV_KEY *t = templ;
    if (g == NULL || t == NULL || t->magic != IPROV_KEY_MAGIC)
        return 0;
    if (t->curve != IOTSAFE_CURVE_NONE)
        g->group = t->curve;
    return 1;
}

static int set_group(GEN_CTX *g, const OSSL_PARAM *p)
{
    const char *name = NULL;
    iotsafe_curve c;
    if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
        return 0;
    c = iotsafe_curve_from_name(name);
    if (c == IOTSAFE_CURVE_NONE) {
        IPROV_ERR(g->pctx, IPROV_R_UNSUPPORTED_CURVE,
                  "curve %s is not available on IoT SAFE cards (prime256v1, brainpoolP256r1)",
                  iotsafe_escape_str(name, (char[64]){0}, 64));
        return 0;
    }
    g->group = c;
    return 1;
}

int iprov_keygen_set_params(void *genctx, const OSSL_PARAM params[])
{
    GEN_CTX *g = genctx;
    const OSSL_PARAM *p;
    const char *s = NULL;
    char err[160];

    if (g == NULL)
        return 0;
    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME)) != NULL &&
        !set_group(g, p))
        return 0;
    /* The URI names the whole target; id and label then refine it. */
    if ((p = OSSL_PARAM_locate_const(params, IPROV_GEN_PARAM_URI)) != NULL) {
        iotsafe_uri u;
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
            return 0;
        if (iotsafe_uri_parse(s, strlen(s), &u, err, sizeof(err)) < 0) {
            char e[200];
            IPROV_ERR(g->pctx, IPROV_R_BAD_URI, "malformed URI '%s': %s",
                      iotsafe_escape_str(s, e, sizeof(e)), err);
            return 0;
        }
        if (u.type != IOTSAFE_URI_TYPE_ANY && u.type != IOTSAFE_URI_TYPE_PRIVATE) {
            IPROV_ERR(g->pctx, IPROV_R_BAD_URI,
                      "%s must name a private key container (type=private), not type=%s",
                      IPROV_GEN_PARAM_URI, iotsafe_uri_type_name(u.type));
            return 0;
        }
        if (!u.has_id && !u.has_label) {
            IPROV_ERR(g->pctx, IPROV_R_BAD_URI,
                      "%s '%.200s' names no container: give id= or label=", IPROV_GEN_PARAM_URI, s);
            return 0;
        }
        g->target = u;
        g->has_target = 1;
    }
    if ((p = OSSL_PARAM_locate_const(params, IPROV_GEN_PARAM_ID)) != NULL) {
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
            return 0;
        if (iotsafe_hex_parse(s, ":", g->target.id, sizeof(g->target.id), &g->target.id_len) < 0) {
            IPROV_ERR(g->pctx, IPROV_R_BAD_ARGUMENT,
                      "%s '%.64s' is not a hex key ID of 1 to %d bytes", IPROV_GEN_PARAM_ID, s,
                      IOTSAFE_ID_MAX);
            return 0;
        }
        g->target.has_id = 1;
        g->has_target = 1;
    }
    if ((p = OSSL_PARAM_locate_const(params, IPROV_GEN_PARAM_LABEL)) != NULL) {
        size_t n;
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
            return 0;
        n = strlen(s);
        if (n == 0 || n > IOTSAFE_LABEL_MAX) {
            IPROV_ERR(g->pctx, IPROV_R_BAD_ARGUMENT, "%s must be 1 to %d bytes long",
                      IPROV_GEN_PARAM_LABEL, IOTSAFE_LABEL_MAX);
            return 0;
        }
        memcpy(g->target.label, s, n + 1);
        g->target.label_len = n;
        g->target.has_label = 1;
        g->has_target = 1;
    }
    return 1;
}

static const OSSL_PARAM settable[] = {
    OSSL_PARAM_utf8_string(IPROV_GEN_PARAM_URI, NULL, 0),
    OSSL_PARAM_utf8_string(IPROV_GEN_PARAM_ID, NULL, 0),
    OSSL_PARAM_utf8_string(IPROV_GEN_PARAM_LABEL, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM *iprov_keygen_settable_params(void *genctx, void *provctx)
{
    (void)genctx;
    (void)provctx;
    return settable;
}

struct keygen_arg {
    const GEN_CTX *g;
    int reason;         /* provider reason for refusals decided here, else 0 */
    int sent;           /* GENERATE KEY PAIR went to the card: its contents may have changed */
    int generated;      /* ... and the card answered with the new public key (res) */
    iotsafe_object obj; /* the container, as listed after generation */
    iotsafe_keygen_result res;
};

static iotsafe_rc keygen_op(iotsafe_card *card, void *varg, iotsafe_status *st)
{
    static const iotsafe_obj_type want = IOTSAFE_OBJ_PRIVATE_KEY;
    struct keygen_arg *a = varg;
    const iotsafe_uri *t = &a->g->target;
    const iotsafe_object *found = &a->obj;
    char d[160];
    iotsafe_curve have;
    iotsafe_ref ref;
    iotsafe_rc rc;

    a->reason = 0;
    if (a->generated) {
        /* A retry after the card answered GENERATE: only the read-back is left to do. */
        ref = iotsafe_object_ref(&a->obj);
        return iotsafe_find_object(card, IOTSAFE_OBJ_PRIVATE_KEY, &ref, &a->obj, st);
    }
    /* the container: a private key object the URI names */
    rc = iotsafe_uri_find(card, t, &want, 1, &a->obj, st);
    if (rc == IOTSAFE_E_NOT_FOUND)
        a->reason = IPROV_R_OBJECT_NOT_FOUND;
    if (rc != IOTSAFE_OK)
        return rc;
    iprov_obj_desc(found, d, sizeof(d));
    /* Refuse before sending anything when the attributes already say no. */
    if ((found->present & IOTSAFE_HAS_FUNCTIONS) != 0 &&
        (found->functions & IOTSAFE_FN_KEYGEN) == 0) {
        a->reason = IPROV_R_WRONG_USAGE;
        rc = iotsafe_status_set(st, IOTSAFE_E_USAGE, 0,
                                "%s does not allow key generation (card functions %02X)", d,
                                found->functions);
        return rc;
    }
    have = iotsafe_key_type_curve(found->key_type);
    if (have == IOTSAFE_CURVE_NONE) {
        a->reason = IPROV_R_UNSUPPORTED_CURVE;
        rc = iotsafe_status_set(st, IOTSAFE_E_UNSUPPORTED, 0,
                                "%s holds key type %02X, not an EC curve this provider supports", d,
                                found->key_type);
        return rc;
    }
    if (a->g->group != IOTSAFE_CURVE_NONE && a->g->group != have) {
        a->reason = IPROV_R_UNSUPPORTED_CURVE;
        rc = iotsafe_status_set(st, IOTSAFE_E_UNSUPPORTED, 0,
                                "%s holds %s keys, not %s: the card cannot change a "
                                "container's curve",
                                d, iotsafe_curve_name(have), iotsafe_curve_name(a->g->group));
        return rc;
    }
    ref = iotsafe_object_ref(&a->obj);
    /* The card itself may still refuse (6985), then libiotsafe's message names the container. */
    a->sent = 1;
    rc = iotsafe_generate_key_pair(card, &ref, &a->res, st);
    if (rc != IOTSAFE_OK)
        return rc;
    a->generated = 1;
    /* Generation may change the attributes (state): take them from the fresh list. */
    return iotsafe_find_object(card, IOTSAFE_OBJ_PRIVATE_KEY, &ref, &a->obj, st);
}

/* The parameters-only key libcrypto asked for: a curve, nothing on the card. */
static IPROV_KEY *params_only_key(GEN_CTX *g)
{
    IPROV_KEY *k;
    if (g->group == IOTSAFE_CURVE_NONE) {
        IPROV_ERR(g->pctx, IPROV_R_BAD_ARGUMENT,
                  "EC parameter generation needs a curve (group prime256v1 or brainpoolP256r1)");
        return NULL;
    }
    if ((k = iprov_key_new(g->pctx)) != NULL)
        k->curve = g->group;
    return k;
}

void *iprov_keygen(void *genctx, OSSL_CALLBACK *cb, void *cbarg)
{
    GEN_CTX *g = genctx;
    struct keygen_arg a;
    const char *reader;
    IPROV_KEY *k = NULL;
    iotsafe_status st;
    iotsafe_rc rc;
    char d[160];

    (void)cb; /* a single APDU: no progress to report */
    (void)cbarg;
    if (g == NULL)
        return NULL;
    if ((g->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return params_only_key(g);
    if (!g->has_target) {
        IPROV_ERR(g->pctx, IPROV_R_BAD_ARGUMENT,
                  "key generation needs the card container: -pkeyopt %s:iotsafe:label=NAME, "
                  "%s:HEX or %s:NAME",
                  IPROV_GEN_PARAM_URI, IPROV_GEN_PARAM_ID, IPROV_GEN_PARAM_LABEL);
        return NULL;
    }
    memset(&a, 0, sizeof(a));
    a.g = g;
    reader = g->target.has_reader ? g->target.reader : NULL;
    iotsafe_status_clear(&st);
    /* libiotsafe never sends GENERATE KEY PAIR twice (it is not resendable). */
    rc = iprov_card_run(g->pctx, reader, keygen_op, &a, &st);
    /*
     * libiotsafe dropped the cache of the handle that generated; handles
     * opened under other reader selectors (label=X vs label=X;reader=R) may
     * reach the same card and still hold the old public key. A generation
     * that failed after the command went out may still have replaced it.
     */
    if (a.sent)
        iprov_flush_caches(g->pctx);
    if (rc != IOTSAFE_OK) {
        if (a.reason != 0)
            IPROV_ERR(g->pctx, a.reason, "%s", st.msg);
        else
            IPROV_ERR_ST(g->pctx, &st);
        return NULL;
    }
    /*
     * Build the key like a store load would: no handle has a cached object
     * list or public key of the container any more, so the point comes from
     * the generation, not from before it.
     */
    iotsafe_status_clear(&st);
    if (iprov_key_load_object(g->pctx, reader, &a.obj, &k, &st) != IOTSAFE_OK) {
        IPROV_ERR_ST(g->pctx, &st);
        return NULL;
    }
    if (k->point_len != a.res.point_len || memcmp(k->point, a.res.point, k->point_len) != 0) {
        IPROV_ERR(g->pctx, IPROV_R_OPERATION_FAILED,
                  "the public key paired with %s is not the one the card just generated",
                  iprov_key_desc(k, d, sizeof(d)));
        iprov_key_free(k);
        return NULL;
    }
    return k;
}
