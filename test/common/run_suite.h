/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run one libcheck suite the way every unit test program does (verbosity and
 * TAP output from the CK_* environment): exit status 0 when nothing failed.
 */
#ifndef IOTSAFE_TEST_RUN_SUITE_H
#define IOTSAFE_TEST_RUN_SUITE_H

#include <check.h>

static inline int run_suite(Suite *su)
{
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
