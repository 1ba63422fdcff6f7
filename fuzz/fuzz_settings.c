/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the setting words (include/iotsafe/settings.h), the hex parser
 * under them and every shared option (include/iotsafe/options.h), on any
 * text a config file, an environment variable or a command line can hold.
 * Each parser either refuses (and writes nothing) or returns a value in its
 * range; a trace file points inside the input, an option's strings are
 * copies of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotsafe/hex.h"
#include "iotsafe/options.h"
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

    /* Every option set from the same text: set (in range) or refused (nothing changed). */
    int known = iotsafe_option_lookup(s);
    CHECK(known == -1 || strcmp(iotsafe_option_name((iotsafe_option)known), s) == 0);
    iotsafe_options o, before;
    iotsafe_options_init(&o);
    for (int i = 0; i < IOTSAFE_OPT_N; i++) {
        memcpy(&before, &o, sizeof(o));
        int r = iotsafe_options_set(&o, (iotsafe_option)i, s);
        CHECK(r == 1 || r == -1 || r == 0);
        if (r != 1)
            CHECK(memcmp(&before, &o, sizeof(o)) == 0);
    }
    CHECK(o.reader == NULL || (o.reader != s && strcmp(o.reader, s) == 0));
    CHECK(o.modem == NULL || (o.modem != s && strcmp(o.modem, s) == 0));
    CHECK(o.aid_len == 0 || (o.aid_len >= 5 && o.aid_len <= sizeof(o.aid)));
    CHECK(o.dh_peer_slot_len <= sizeof(o.dh_peer_slot));
    CHECK(o.cla == IOTSAFE_CLA_AUTO || o.cla == IOTSAFE_CLA_PROPRIETARY ||
          o.cla == IOTSAFE_CLA_INTERINDUSTRY);
    CHECK(o.basic_channel == 0 || o.basic_channel == 1);
    CHECK(o.verify_signatures == 0 || o.verify_signatures == 1);
    CHECK(o.modem_mode == IOTSAFE_AT_CSIM || o.modem_mode == IOTSAFE_AT_CGLA);
    CHECK(o.timeout_ms == 0 || (o.timeout_ms >= 100 && o.timeout_ms <= 3600000));
    CHECK(o.on_exhausted == IOTSAFE_EXHAUSTED_AUTO || o.on_exhausted == IOTSAFE_EXHAUSTED_FAIL ||
          o.on_exhausted == IOTSAFE_EXHAUSTED_BASIC);
    CHECK(o.trace == IOTSAFE_TRACE_OFF || o.trace == IOTSAFE_TRACE_APDU ||
          o.trace == IOTSAFE_TRACE_DEBUG);
    CHECK(o.trace_file == NULL || (o.trace != IOTSAFE_TRACE_OFF && o.trace_file[0] != '\0' &&
                                   strstr(s, o.trace_file) != NULL));
    CHECK(o.state_dir == NULL || strcmp(o.state_dir, s) == 0);
    iotsafe_config cfg;
    iotsafe_options_card_config(&o, NULL, &cfg);
    CHECK((cfg.aid == NULL) == (o.aid_len == 0));
    iotsafe_options_clear(&o);
    CHECK(o.reader == NULL && o.modem == NULL && o.trace_file == NULL && o.state_dir == NULL);
    free(s);
    return 0;
}
