/* SPDX-License-Identifier: Apache-2.0 */
/* The settings every front end takes, one parser each (see iotsafe/options.h). */
#include "iotsafe/options.h"

#include <stdlib.h>
#include <string.h>

#include "iotsafe/hex.h"

static const struct {
    const char *name;
    const char *env;
    const char *words;
} options[IOTSAFE_OPT_N] = {
    [IOTSAFE_OPT_READER] = {"reader", "IOTSAFE_READER", "a reader name"},
    [IOTSAFE_OPT_AID] = {"aid", "IOTSAFE_AID", IOTSAFE_SETTING_AID_WORDS},
    [IOTSAFE_OPT_CLA] = {"cla", "IOTSAFE_CLA", IOTSAFE_SETTING_CLA_WORDS},
    [IOTSAFE_OPT_CHANNEL] = {"channel", "IOTSAFE_CHANNEL", IOTSAFE_SETTING_CHANNEL_WORDS},
    [IOTSAFE_OPT_TRACE] = {"trace", "IOTSAFE_TRACE", IOTSAFE_SETTING_TRACE_WORDS},
    [IOTSAFE_OPT_DH_PEER_SLOT] = {"dh-peer-slot", "IOTSAFE_DH_PEER_SLOT",
                                  "an object ID of 1 to 20 bytes in hex"},
    [IOTSAFE_OPT_MODEM] = {"modem", "IOTSAFE_MODEM", "a serial device"},
    [IOTSAFE_OPT_MODEM_MODE] = {"modem-mode", "IOTSAFE_MODEM_MODE", IOTSAFE_SETTING_AT_MODE_WORDS},
    [IOTSAFE_OPT_VERIFY_SIGNATURES] = {"verify-signatures", "IOTSAFE_VERIFY_SIGNATURES",
                                       IOTSAFE_SETTING_BOOL_WORDS},
    [IOTSAFE_OPT_TIMEOUT] = {"timeout", "IOTSAFE_TIMEOUT", IOTSAFE_SETTING_SECONDS_WORDS},
    [IOTSAFE_OPT_CHANNEL_EXHAUSTED] = {"channel-exhausted", "IOTSAFE_CHANNEL_EXHAUSTED",
                                       IOTSAFE_SETTING_EXHAUSTED_WORDS},
    [IOTSAFE_OPT_STATE_DIR] = {"state-dir", "IOTSAFE_STATE_DIR", IOTSAFE_SETTING_STATE_DIR_WORDS},
};

const char *iotsafe_option_name(iotsafe_option o)
{
    return (unsigned)o < IOTSAFE_OPT_N ? options[o].name : NULL;
}

const char *iotsafe_option_env(iotsafe_option o)
{
    return (unsigned)o < IOTSAFE_OPT_N ? options[o].env : NULL;
}

const char *iotsafe_option_words(iotsafe_option o)
{
    return (unsigned)o < IOTSAFE_OPT_N ? options[o].words : NULL;
}

int iotsafe_option_lookup(const char *name)
{
    for (int i = 0; name != NULL && i < IOTSAFE_OPT_N; i++)
        if (strcmp(name, options[i].name) == 0)
            return i;
    return -1;
}

void iotsafe_options_init(iotsafe_options *o)
{
    memset(o, 0, sizeof(*o));
    o->cla = IOTSAFE_CLA_AUTO;
    o->verify_signatures = 1;
}

void iotsafe_options_clear(iotsafe_options *o)
{
    free(o->reader);
    free(o->trace_file);
    free(o->modem);
    free(o->state_dir);
    iotsafe_options_init(o);
}

/* Replace *dst by a copy of v: 1, or 0 when out of memory (*dst unchanged). */
static int set_string(char **dst, const char *v)
{
    char *s = strdup(v);
    if (s == NULL)
        return 0;
    free(*dst);
    *dst = s;
    return 1;
}

int iotsafe_options_set(iotsafe_options *o, iotsafe_option which, const char *v)
{
    if (v == NULL)
        return -1;
    switch (which) {
    case IOTSAFE_OPT_READER:
        return set_string(&o->reader, v);
    case IOTSAFE_OPT_AID:
        return iotsafe_setting_aid(v, o->aid, &o->aid_len) < 0 ? -1 : 1;
    case IOTSAFE_OPT_CLA:
        return iotsafe_setting_cla(v, &o->cla) < 0 ? -1 : 1;
    case IOTSAFE_OPT_CHANNEL:
        return iotsafe_setting_channel(v, &o->basic_channel) < 0 ? -1 : 1;
    case IOTSAFE_OPT_TRACE: {
        iotsafe_trace_setting t;
        if (iotsafe_setting_trace(v, &t) < 0)
            return -1;
        if (t.file != NULL && !set_string(&o->trace_file, t.file))
            return 0;
        if (t.file == NULL) {
            free(o->trace_file);
            o->trace_file = NULL;
        }
        o->trace = t.level;
        return 1;
    }
    case IOTSAFE_OPT_DH_PEER_SLOT: {
        uint8_t id[IOTSAFE_ID_MAX];
        size_t n = 0;
        if (iotsafe_hex_parse(v, " :", id, sizeof(id), &n) < 0 || n == 0)
            return -1;
        memcpy(o->dh_peer_slot, id, n);
        o->dh_peer_slot_len = n;
        return 1;
    }
    case IOTSAFE_OPT_MODEM:
        return set_string(&o->modem, v);
    case IOTSAFE_OPT_MODEM_MODE:
        return iotsafe_setting_at_mode(v, &o->modem_mode) < 0 ? -1 : 1;
    case IOTSAFE_OPT_VERIFY_SIGNATURES:
        return iotsafe_setting_bool(v, &o->verify_signatures) < 0 ? -1 : 1;
    case IOTSAFE_OPT_TIMEOUT:
        return iotsafe_setting_seconds(v, &o->timeout_ms) < 0 ? -1 : 1;
    case IOTSAFE_OPT_CHANNEL_EXHAUSTED:
        return iotsafe_setting_channel_exhausted(v, &o->on_exhausted) < 0 ? -1 : 1;
    case IOTSAFE_OPT_STATE_DIR: {
        const char *dir;
        if (iotsafe_setting_state_dir(v, &dir) < 0)
            return -1;
        return set_string(&o->state_dir, dir);
    }
    case IOTSAFE_OPT_N:
        break;
    }
    return -1;
}

void iotsafe_options_card_config(const iotsafe_options *o, FILE *trace_out, iotsafe_config *cfg)
{
    iotsafe_config_init(cfg);
    if (o->aid_len > 0) {
        cfg->aid = o->aid;
        cfg->aid_len = o->aid_len;
    }
    cfg->cla = o->cla;
    cfg->basic_channel = o->basic_channel;
    cfg->trace = o->trace != IOTSAFE_TRACE_OFF;
    cfg->trace_out = trace_out;
    cfg->timeout_ms = o->timeout_ms;
    cfg->on_exhausted = o->on_exhausted;
    cfg->state_dir = o->state_dir;
}

iotsafe_rc iotsafe_options_open_card(const iotsafe_options *o, const char *reader, FILE *trace_out,
                                     iotsafe_card **out, iotsafe_status *st)
{
    iotsafe_config cfg;
    iotsafe_options_card_config(o, trace_out, &cfg);
    if (o->modem != NULL) {
        const iotsafe_at_options at = {.mode = o->modem_mode};
        return iotsafe_card_open_at(&cfg, o->modem, &at, out, st);
    }
    if (reader == NULL || reader[0] == '\0')
        reader = o->reader;
    return iotsafe_card_open(&cfg, reader != NULL && reader[0] != '\0' ? reader : NULL, out, st);
}
