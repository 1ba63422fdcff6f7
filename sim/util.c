/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers: hex, APDU log lines, whole-file reads, sleeping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int sim_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Strict: an even number of hex digits, nothing else (no spaces, no 0x). */
int sim_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len)
{
    return sim_hex_decode_n(hex, strlen(hex), out, cap, out_len);
}

int sim_hex_decode_n(const char *hex, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = sim_hex_digit(hex[2 * i]), lo = sim_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return 0;
}

void sim_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void sim_log_hex(const char *dir, const uint8_t *p, size_t n)
{
    char line[2 * SIM_LOG_HEX_MAX + 1];
    sim_hex_encode(p, n < SIM_LOG_HEX_MAX ? n : SIM_LOG_HEX_MAX, line);
    fprintf(stderr, "iotsafe-sim: %s %s\n", dir, line);
}

/* Read a whole file of at most max bytes; the buffer gets one extra NUL for text parsers. */
int sim_read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max + 1) {
                /* one byte past max was read: too big */
                free(buf);
                fclose(f);
                errno = EFBIG;
                return -1;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || n > max) {
        free(buf);
        errno = bad ? EIO : EFBIG;
        return -1;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

void sim_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
