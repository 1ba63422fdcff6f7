/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monotonic milliseconds and short sleeps for deadlines and polling in the
 * transports and the card layer. Inline: internal, not part of the ABI.
 */
#ifndef IOTSAFE_SRC_CLOCK_H
#define IOTSAFE_SRC_CLOCK_H

#include <time.h>

static inline long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

#endif
