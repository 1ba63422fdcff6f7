/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the setting words (include/iotsafe/settings.h) and the hex
 * parser under them, on any text a config file, an environment variable or
 * a command line can hold. Each parser either refuses (and writes nothing)
 * or returns a value in its range; a trace file points inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/hex.h"
#include "iotsafe/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)     \
    do {             \
        if (!(c))    \
            abort(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* settings arrive as C strings: an embedded NUL ends them */

    int b = 7;
    if (iotsafe_setting_bool(s, &b) == 0)
        CHECK(b == 0 || b == 1);
    else
        CHECK(b == 7);
    iotsafe_cla_style cla = IOTSAFE_CLA_AUTO;
    if (iotsafe_setting_cla(s, &cla) == 0)
        CHECK(cla == IOTSAFE_CLA_AUTO || cla == IOTSAFE_CLA_PROPRIETARY ||
              cla == IOTSAFE_CLA_INTERINDUSTRY);
    int basic = 7;
    if (iotsafe_setting_channel(s, &basic) == 0)
        CHECK(basic == 0 || basic == 1);
    iotsafe_channel_exhausted ex = IOTSAFE_EXHAUSTED_AUTO;
    if (iotsafe_setting_channel_exhausted(s, &ex) == 0)
        CHECK(ex == IOTSAFE_EXHAUSTED_AUTO || ex == IOTSAFE_EXHAUSTED_FAIL ||
              ex == IOTSAFE_EXHAUSTED_BASIC);
    iotsafe_at_mode at = IOTSAFE_AT_CSIM;
    if (iotsafe_setting_at_mode(s, &at) == 0)
        CHECK(at == IOTSAFE_AT_CSIM || at == IOTSAFE_AT_CGLA);
    unsigned long ms = 1;
    if (iotsafe_setting_seconds(s, &ms) == 0)
        CHECK(ms >= 100 && ms <= 3600000);
    uint8_t aid[16];
    size_t aid_len = 99;
    if (iotsafe_setting_aid(s, aid, &aid_len) == 0)
        CHECK(aid_len >= 5 && aid_len <= 16);
    else
        CHECK(aid_len == 99);
    iotsafe_trace_setting t = {IOTSAFE_TRACE_OFF, NULL};
    if (iotsafe_setting_trace(s, &t) == 0) {
        CHECK(t.level == IOTSAFE_TRACE_OFF || t.level == IOTSAFE_TRACE_APDU ||
              t.level == IOTSAFE_TRACE_DEBUG);
        if (t.file != NULL)
            CHECK(t.level != IOTSAFE_TRACE_OFF && t.file > s && t.file <= s + size &&
                  t.file[0] != '\0');
    }
    const char *dir = NULL;
    if (iotsafe_setting_state_dir(s, &dir) == 0)
        CHECK(dir == s && (strcmp(s, "none") == 0 ||
                           (s[0] == '/' && strlen(s) <= 150 && strstr(s, "//") == NULL &&
                            strstr(s, "/./") == NULL && strstr(s, "/../") == NULL)));
    else
        CHECK(dir == NULL);
    uint8_t bytes[32];
    size_t n = 0;
    if (iotsafe_hex_parse(s, " :", bytes, sizeof(bytes), &n) == 0) {
        char back[2 * sizeof(bytes) + 1];
        CHECK(n >= 1 && n <= sizeof(bytes));
        CHECK(strlen(iotsafe_hex_format(bytes, n, back, sizeof(back))) == 2 * n);
    }
    free(s);
    return 0;
}
