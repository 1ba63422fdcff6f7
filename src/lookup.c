/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding the object an iotsafe: URI names: the one resolution the provider
 * (store, decoder, key generation) and iotsafe-tool share. Built on the
 * public object list only, so it sits above the command layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/uri.h"

/* "private key", "private key or public key", "a, b or c" */
static void kinds_words(const iotsafe_obj_type *types, size_t n, char *buf, size_t len)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && w < len; i++) {
        int k = snprintf(buf + w, len - w, "%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         iotsafe_obj_type_words(types[i]));
        if (k < 0)
            break;
        w += (size_t)k;
    }
}

iotsafe_rc iotsafe_uri_find(iotsafe_card *card, const iotsafe_uri *uri,
                            const iotsafe_obj_type *types, size_t ntypes, iotsafe_object *out,
                            iotsafe_status *st)
{
    iotsafe_object *objs = NULL;
    size_t n = 0;
    if (uri == NULL || types == NULL || ntypes == 0 || out == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "find by URI: missing argument");
    iotsafe_rc rc = iotsafe_list_objects(card, &objs, &n, st);
    if (rc != IOTSAFE_OK)
        return rc;
    rc = IOTSAFE_E_NOT_FOUND;
    for (size_t t = 0; t < ntypes && rc == IOTSAFE_E_NOT_FOUND; t++) {
        for (size_t i = 0; i < n; i++) {
            if (objs[i].type == types[t] && iotsafe_uri_matches(uri, &objs[i])) {
                *out = objs[i];
                rc = IOTSAFE_OK;
                break;
            }
        }
    }
    free(objs);
    if (rc == IOTSAFE_E_NOT_FOUND) {
        char u[IOTSAFE_URI_MAX + 1], kinds[96];
        if (iotsafe_uri_format(uri, u, sizeof(u)) < 0)
            snprintf(u, sizeof(u), "iotsafe:");
        kinds_words(types, ntypes, kinds, sizeof(kinds));
        iotsafe_status_set(st, rc, 0, "no %s matching %s on the card in reader '%s'", kinds, u,
                           iotsafe_card_reader(card));
    }
    return rc;
}
