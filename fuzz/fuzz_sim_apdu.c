/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: random APDU sequences into the simulated applet.
 * Input: byte 0 picks quirk switches; then records "len, len bytes" (one
 * APDU each); len 0xFF is a card reset instead. The applet must always
 * answer with data||SW within the buffer and never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed keys only (no key generation per input) and inline file data: fast and reproducible. */
static const char card[] =
    "[applet]\nmax-sessions = 3\n"
    "[keypair DEVKEY]\nprivate-id = 01\npublic-id = 01\nfunctions = sign\nhashes = sha256,sha384,sha512\n"
    "key = C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721\n"
    "[keypair GEN]\nprivate-id = 02\npublic-id = 02\nfunctions = sign, keygen, key-agreement\n"
    "key = 1F1E1D1C1B1A191817161514131211100F0E0D0C0B0A09080706050403020100\nvolatile = yes\n"
    "[keypair BP]\nprivate-id = 06\npublic-id = 06\ncurve = brainpoolP256r1\nfunctions = sign, key-agreement\n"
    "key = 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20\n"
    "[public-key PEER]\nid = 05\naccess = read, update\nvalue = empty\n"
    "[file CERT]\nid = 02\nusage = x509\ndata = 308201020304050607080910111213141516171819202122232425262728293031\n"
    "[secret PSK]\nid = 08\nvalue = 00112233445566778899AABBCCDDEEFF\n";

static const char *config_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/iotsafe-fuzz-sim-%ld.conf", (long)getpid());
    if (access(buf, R_OK) != 0) {
        FILE *f = fopen(buf, "w");
        if (f == NULL)
            abort();
        fputs(card, f);
        fclose(f);
    }
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], err[256];
    if (size < 1)
        return 0;
    const char *ov[6];
    size_t n = 0;
    uint8_t q = data[0];
    ov[n++] = "deterministic=yes";
    ov[n++] = (q & 1) ? "t0=yes" : "t0=no";
    ov[n++] = (q & 2) ? "session-policy=strict" : "session-policy=replace";
    ov[n++] = (q & 4) ? "sig-format=der" : "sig-length=1";
    ov[n++] = (q & 8) ? "cla=proprietary" : "cla=any";
    ov[n++] = (q & 16) ? "list-page=40" : "read-file-pad=yes";
    sim_applet *a = sim_applet_new(config_path(path, sizeof path), NULL, 1, ov, n, err, sizeof err);
    if (a == NULL) {
        fprintf(stderr, "fuzz_sim_apdu: %s\n", err);
        abort();
    }
    size_t off = 1;
    while (off < size) {
        size_t len = data[off++];
        if (len == 0xFF) {
            sim_applet_power(a, SIM_RESET);
            continue;
        }
        if (len > size - off)
            len = size - off;
        uint8_t resp[300];
        size_t rl = sizeof resp;
        if (sim_applet_process(a, data + off, len, resp, &rl) != 0 || rl < 2 || rl > 258)
            abort();
        off += len;
    }
    sim_applet_free(a);
    return 0;
}
