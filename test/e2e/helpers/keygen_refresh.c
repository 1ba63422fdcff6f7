/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e2e helper for test/e2e/keygen-genpkey.sh: in ONE process, load a card key
 * through the store, regenerate its container through EVP keygen (the
 * provider's gen_* functions), load it again, and check that the second load
 * sees the new public key, not the one cached before generation.
 *
 * usage: keygen_refresh LABEL [LOAD_READER [GEN_READER]]
 *   (OPENSSL_CONF activates default + iotsafe)
 * With LOAD_READER the loads name the key with reader=LOAD_READER and the
 * generation with reader=GEN_READER (none when absent or empty): the
 * provider then holds one card handle per reader selector, both on the same
 * card, and the reload must still see the new key. The key is also loaded
 * under the generation's selector first, so that handle has a cache too.
 * Prints one line per step; exit 0 only if every check holds.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "store_load.h"

#define POINT_MAX 133

static int fail(const char *what)
{
    fprintf(stderr, "keygen_refresh: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

static size_t pub_of(const EVP_PKEY *k, unsigned char *buf)
{
    size_t n = 0;
    if (k == NULL ||
        !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, POINT_MAX, &n))
        return 0;
    return n;
}

/* "iotsafe:label=L;type=private" plus ";reader=R" with R percent-encoded. */
static int make_uri(char *out, size_t cap, const char *label, const char *reader)
{
    int n = snprintf(out, cap, "iotsafe:label=%s;type=private", label);
    size_t pos;
    if (n < 0 || (size_t)n >= cap)
        return 0;
    pos = (size_t)n;
    if (reader == NULL || reader[0] == '\0')
        return 1;
    n = snprintf(out + pos, cap - pos, ";reader=");
    if (n < 0 || (size_t)n >= cap - pos)
        return 0;
    pos += (size_t)n;
    for (const unsigned char *r = (const unsigned char *)reader; *r != '\0'; r++) {
        n = isalnum(*r) ? snprintf(out + pos, cap - pos, "%c", *r)
                        : snprintf(out + pos, cap - pos, "%%%02X", *r);
        if (n < 0 || (size_t)n >= cap - pos)
            return 0;
        pos += (size_t)n;
    }
    return 1;
}

static void show(const char *what, const unsigned char *p, size_t n)
{
    printf("%s ", what);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    char uri[256], gen_uri[256];
    const char *load_reader = argc > 2 ? argv[2] : NULL;
    const char *gen_reader = argc > 3 ? argv[3] : NULL;
    unsigned char before[POINT_MAX], gen[POINT_MAX], after[POINT_MAX], held[POINT_MAX];
    size_t nb, ng, na, nh;
    EVP_PKEY *old = NULL, *old_gen_sel = NULL, *fresh = NULL, *again = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    int rc = 1;

    if (argc < 2 || argc > 4 || strlen(argv[1]) > 60 ||
        !make_uri(uri, sizeof(uri), argv[1], load_reader) ||
        !make_uri(gen_uri, sizeof(gen_uri), argv[1], gen_reader)) {
        fprintf(stderr, "usage: keygen_refresh LABEL [LOAD_READER [GEN_READER]]\n");
        return 2;
    }
    printf("load %s\ngenerate %s\n", uri, gen_uri);

    if ((old = store_load_pkey(uri)) == NULL || (nb = pub_of(old, before)) == 0) {
        rc = fail("loading the key before generation");
        goto out;
    }
    show("before", before, nb);
    /* Fill the generating selector's cache too (a second handle when they differ). */
    if ((old_gen_sel = store_load_pkey(gen_uri)) == NULL) {
        rc = fail("loading the key under the generation's reader selector");
        goto out;
    }

    /* The provider's keymgmt, as `genpkey -propquery ?provider=iotsafe` picks it. */
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "?provider=iotsafe");
    params[0] = OSSL_PARAM_construct_utf8_string("iotsafe-uri", gen_uri, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || !EVP_PKEY_CTX_set_params(ctx, params) ||
        EVP_PKEY_generate(ctx, &fresh) <= 0 || (ng = pub_of(fresh, gen)) == 0) {
        rc = fail("generating on the card");
        goto out;
    }
    show("generated", gen, ng);

    if ((again = store_load_pkey(uri)) == NULL || (na = pub_of(again, after)) == 0) {
        rc = fail("loading the key after generation");
        goto out;
    }
    show("reloaded", after, na);

    /* A key object is a snapshot: the one loaded before keeps its old point. */
    nh = pub_of(old, held);
    if (ng == nb && memcmp(gen, before, nb) == 0) {
        rc = fail("the generated public key equals the old one");
    } else if (na != ng || memcmp(after, gen, ng) != 0) {
        rc = fail("a load after generation returned a stale public key");
    } else if (nh != nb || memcmp(held, before, nb) != 0) {
        rc = fail("the key loaded before generation changed under its holder");
    } else if (EVP_PKEY_eq(fresh, again) != 1) {
        rc = fail("EVP_PKEY_eq(generated, reloaded) is not 1");
    } else {
        printf("ok: the reload sees the generated key\n");
        rc = 0;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(old);
    EVP_PKEY_free(old_gen_sel);
    EVP_PKEY_free(fresh);
    EVP_PKEY_free(again);
    return rc;
}
