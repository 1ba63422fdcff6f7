/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clocks in seconds for the benchmarks and test helpers: the monotonic clock
 * (wall time, deadlines) and this process's CPU time. Header-only so each
 * program stays a single source file.
 */
#ifndef IOTSAFE_TEST_NOW_H
#define IOTSAFE_TEST_NOW_H

#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
