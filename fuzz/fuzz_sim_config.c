/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: random text through the simulator's provisioning parser
 * and its state file parser. Both must reject bad input with a message and
 * never crash or leak. Relative paths resolve in a directory that does not exist.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    sim_options opt;
    sim_store store;
    sim_options_default(&opt);
    sim_store_init(&store);
    if (sim_provision_parse((const char *)data, size, "fuzz.conf", "/nonexistent-fuzz-dir", &opt,
                            &store, err, sizeof err) != 0 &&
        err[0] == '\0')
        abort(); /* a failure always says why */
    sim_store_free(&store);

    sim_store_init(&store);
    err[0] = '\0';
    if (sim_state_parse(&store, (const char *)data, size, "fuzz.state", err, sizeof err) != 0 &&
        err[0] == '\0')
        abort();
    sim_store_free(&store);
    return 0;
}
