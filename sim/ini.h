/* SPDX-License-Identifier: Apache-2.0 */
/* Line reader shared by the provisioning parser and the state file loader. */
#ifndef IOTSAFE_SIM_INI_H
#define IOTSAFE_SIM_INI_H

#include <stddef.h>

typedef struct sim_ini {
    char *buf;
    char *p;
    unsigned line;
} sim_ini;

enum { SIM_INI_END = 0, SIM_INI_SECTION, SIM_INI_KEY, SIM_INI_ERROR };

typedef struct sim_ini_item {
    unsigned line;
    const char *type, *name; /* SECTION: "[type name]" (name may be NULL) */
    const char *key, *value; /* KEY */
    const char *error;       /* ERROR */
} sim_ini_item;

int sim_ini_open(sim_ini *r, const char *text, size_t len);
void sim_ini_close(sim_ini *r);
int sim_ini_next(sim_ini *r, sim_ini_item *it);

#endif
