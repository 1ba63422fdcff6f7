/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the queue of fair turns (src/turnstile.c): a page of
 * shared memory that every process of the card's group writes. Whatever the
 * page holds (and whatever length the file has), taking and leaving a turn
 * must neither crash nor wait past its deadline: the page is checked,
 * rebuilt when it makes no sense, and dead or forged tickets are passed.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/card_internal.h"
#include "../src/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *describe(const iotsafe_transport *t)
{
    (void)t;
    return "fuzz reader";
}

static const iotsafe_transport_ops ops = {.name = "fuzz", .describe = describe};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/fuzz-turnstile.XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
    }
    iotsafe_transport t = {.ops = &ops};
    card_state s;
    char why[320], path[300];
    statedir_open(&s, dir, &t);
    if (s.dirfd < 0)
        abort(); /* our own private directory must be accepted */
    /* the page as the fuzzer wrote it: one page (zero-padded) unless the first byte
       asks for the raw length (at most two pages) */
    static uint8_t page[8192];
    size_t len = 4096;
    memset(page, 0, sizeof page);
    if (size > 0 && data[0] == 0xFF)
        len = size - 1 > sizeof page ? sizeof page : size - 1;
    if (size > 1)
        memcpy(page, data + 1, size - 1 > len ? len : size - 1);
    snprintf(path, sizeof path, "%s/turn-%s", dir, s.key);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, page, len) != (ssize_t)len)
        abort();
    close(fd);
    card_turnstile *ts = turnstile_open(&s, why, sizeof why);
    if (ts == NULL)
        abort(); /* a bad page is rebuilt, never a reason to give up */
    const long start = now_ms();
    int r = turnstile_enter(ts, 300);
    if (now_ms() - start > 2000)
        abort(); /* a wait beyond its deadline */
    if (r > 0)
        turnstile_leave(ts);
    turnstile_close(ts);
    statedir_close(&s);
    return 0;
}
