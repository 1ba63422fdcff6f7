/* SPDX-License-Identifier: Apache-2.0 */
/*
 * free_port: print a TCP port that is free right now.
 *   free_port          bind 127.0.0.1:0 and print the port the kernel chose.
 *   free_port --pair   print an even port P such that P and P+1 are both free on
 *                      0.0.0.0 (vpcd binds INADDR_ANY and uses two slots: P, P+1).
 * The pair is drawn below the kernel's ephemeral range so that outgoing
 * connections cannot grab it between this check and pcscd's bind; the harness
 * still retries if pcscd reports "Address already in use".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PAIR_LOW = 20000, PAIR_HIGH = 32700, PAIR_TRIES = 2000 };

/* Returns the bound socket (caller closes) or -1. port 0 lets the kernel choose. */
static int bind_tcp(uint32_t addr, uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return -1;
    }
    return s;
}

static int single_port(void)
{
    int s = bind_tcp(INADDR_LOOPBACK, 0);
    if (s < 0) {
        perror("free_port: bind");
        return 1;
    }
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        perror("free_port: getsockname");
        close(s);
        return 1;
    }
    close(s);
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    return 0;
}

/* xorshift32: a local PRNG so parallel tests spread over the range. */
static uint32_t next_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static int port_pair(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint32_t seed = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_sec;
    if (seed == 0)
        seed = 0x9E3779B9u;
    for (int i = 0; i < PAIR_TRIES; i++) {
        uint32_t span = (PAIR_HIGH - PAIR_LOW) / 2;
        uint16_t p = (uint16_t)(PAIR_LOW + 2 * (next_rand(&seed) % span));
        int a = bind_tcp(INADDR_ANY, p);
        if (a < 0)
            continue;
        int b = bind_tcp(INADDR_ANY, (uint16_t)(p + 1));
        close(a);
        if (b < 0)
            continue;
        close(b);
        printf("%u\n", (unsigned)p);
        return 0;
    }
    fprintf(stderr, "free_port: no free even port pair in %d..%d\n", PAIR_LOW, PAIR_HIGH);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 1)
        return single_port();
    if (argc == 2 && strcmp(argv[1], "--pair") == 0)
        return port_pair();
    fprintf(stderr, "usage: free_port [--pair]\n");
    return 2;
}
