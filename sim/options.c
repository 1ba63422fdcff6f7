/* SPDX-License-Identifier: Apache-2.0 */
/* The [applet] settings: AIDs, quirk switches, capacities and latencies (also set by --set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const uint8_t gsma_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10};

void sim_options_default(sim_options *o)
{
    static const char prop[] = "iotsafe-provider simulator";
    memset(o, 0, sizeof *o);
    memcpy(o->aid[0], gsma_aid, sizeof gsma_aid);
    o->aid_len[0] = sizeof gsma_aid;
    o->n_aids = 1;
    o->cla_mode = SIM_CLA_ANY;
    o->sig_len_bytes = 2;
    o->bad_offset_sw = SW_WRONG_P1P2;
    o->implicit_channel = 1;
    o->max_sessions = 4;
    o->version = 0x01;
    memset(o->prop_id, ' ', sizeof o->prop_id);
    memcpy(o->prop_id, prop, sizeof prop - 1);
    o->max_count[SIM_PRIV] = 8;
    o->max_count[SIM_PUB] = 8;
    o->max_count[SIM_FILE] = 8;
    o->max_count[SIM_SECRET] = 4;
    o->fault_ins = -1;
    o->fault_count = 1;
    o->channels = 3;
}

/* One accepted word and the value it stands for. */
typedef struct opt_word {
    const char *word;
    long value;
} opt_word;

enum opt_kind {
    OPT_UINT,  /* decimal, lo..hi */
    OPT_WORDS, /* one of words */
    OPT_BYTE,  /* one of words or one hex byte */
    OPT_FLAGS, /* "none" or words, separated by commas or spaces: the OR of their values */
    OPT_TEXT,  /* text, padded with spaces to the field's size */
    OPT_AIDS,  /* hex AIDs separated by spaces, into aid[], aid_len[] and n_aids */
};

/* One [applet] setting: its name, what it takes and the sim_options field it sets. */
typedef struct opt_def {
    const char *name;
    enum opt_kind kind;
    size_t off, size;      /* the field */
    unsigned long lo, hi;  /* OPT_UINT */
    const char *unit;      /* OPT_UINT, for --help */
    const opt_word *words; /* OPT_WORDS, OPT_BYTE, OPT_FLAGS; ends with a NULL word */
    int explain;           /* a bad value's message also lists what is accepted */
} opt_def;

static const opt_word yesno_words[] = {{"yes", 1}, {"1", 1},     {"true", 1}, {"no", 0},
                                       {"0", 0},   {"false", 0}, {NULL, 0}};
static const opt_word cla_words[] = {{"any", SIM_CLA_ANY},
                                     {"proprietary", SIM_CLA_PROPRIETARY},
                                     {"interindustry", SIM_CLA_INTERINDUSTRY},
                                     {NULL, 0}};
static const opt_word sig_length_words[] = {{"2", 2}, {"1", 1}, {NULL, 0}};
static const opt_word sig_format_words[] = {{"raw", 0}, {"der", 1}, {NULL, 0}};
static const opt_word session_words[] = {{"replace", 0}, {"strict", 1}, {NULL, 0}};
static const opt_word bad_offset_words[] = {
    {"6A86", SW_WRONG_P1P2}, {"6a86", SW_WRONG_P1P2}, {"6981", SW_INCOMPATIBLE_FILE}, {NULL, 0}};
static const opt_word any_ins_words[] = {{"any", -1}, {NULL, 0}};
static const opt_word fault_words[] = {
    {"truncated-list", SIM_FAULT_TRUNCATED_LIST},
    {"bad-pubkey", SIM_FAULT_BAD_PUBKEY},
    {"bad-signature", SIM_FAULT_BAD_SIGNATURE},
    {"short-random", SIM_FAULT_SHORT_RANDOM},
    {"key-type-unknown", SIM_FAULT_KEY_TYPE_UNKNOWN},
    {"sig-r-zero", SIM_FAULT_SIG_R_ZERO},
    {"sig-s-zero", SIM_FAULT_SIG_S_ZERO},
    {"sig-r-order", SIM_FAULT_SIG_R_ORDER},
    {"sig-random", SIM_FAULT_SIG_RANDOM},
    {"sig-long", SIM_FAULT_SIG_LONG},
    {"sig-short", SIM_FAULT_SIG_SHORT},
    {"dh-zero", SIM_FAULT_DH_ZERO},
    {"dh-off-curve", SIM_FAULT_DH_OFF_CURVE},
    {"pubkey-off-curve", SIM_FAULT_PUBKEY_OFF_CURVE},
    {"pubkey-short", SIM_FAULT_PUBKEY_SHORT},
    {"answer-one-byte", SIM_FAULT_ANSWER_ONE_BYTE},
    {"answer-257", SIM_FAULT_ANSWER_257},
    {"answer-258", SIM_FAULT_ANSWER_258},
    {"endless-61xx", SIM_FAULT_ENDLESS_61XX},
    {"answer-over-1k", SIM_FAULT_ANSWER_OVER_1K},
    {"hang", SIM_FAULT_HANG},
    {"drop", SIM_FAULT_DROP},
    {NULL, 0},
};

#define FIELD(m) offsetof(sim_options, m), sizeof(((sim_options *)NULL)->m)
#define BOOL(name, m)                                       \
    {                                                       \
        name, OPT_WORDS, FIELD(m), 0, 0, "", yesno_words, 0 \
    }
#define UINT(name, m, lo, hi, unit)                     \
    {                                                   \
        name, OPT_UINT, FIELD(m), lo, hi, unit, NULL, 0 \
    }
#define WORDS(name, m, w)                         \
    {                                             \
        name, OPT_WORDS, FIELD(m), 0, 0, "", w, 0 \
    }
#define LATENCY(cmd, i) UINT("latency-" cmd, latency_ms[i], 0, 600000, " ms")

static const opt_def options[] = {
    {"aid", OPT_AIDS, 0, 0, 0, 0, "", NULL, 0},
    WORDS("cla", cla_mode, cla_words),
    WORDS("sig-length", sig_len_bytes, sig_length_words),
    WORDS("sig-format", sig_der, sig_format_words),
    BOOL("t0", t0),
    WORDS("session-policy", strict_sessions, session_words),
    BOOL("read-file-pad", read_pad),
    WORDS("read-file-bad-offset", bad_offset_sw, bad_offset_words),
    /* 0 = a full short response; a page smaller than one structure still carries one */
    UINT("list-page", list_page, 0, SIM_MAX_DATA, " bytes"),
    BOOL("implicit-channel", implicit_channel),
    BOOL("deterministic", deterministic),
    UINT("max-sessions", max_sessions, 1, SIM_MAX_SESSIONS, ""),
    LATENCY("select", SIM_LAT_SELECT),
    LATENCY("sign", SIM_LAT_SIGN),
    LATENCY("verify", SIM_LAT_VERIFY),
    LATENCY("keygen", SIM_LAT_KEYGEN),
    LATENCY("dh", SIM_LAT_DH),
    LATENCY("random", SIM_LAT_RANDOM),
    LATENCY("read", SIM_LAT_READ),
    LATENCY("list", SIM_LAT_LIST),
    LATENCY("default", SIM_LAT_DEFAULT),
    UINT("max-files", max_count[SIM_FILE], 0, 255, ""),
    UINT("max-private-keys", max_count[SIM_PRIV], 0, 255, ""),
    UINT("max-public-keys", max_count[SIM_PUB], 0, 255, ""),
    UINT("max-secret-keys", max_count[SIM_SECRET], 0, 255, ""),
    UINT("version", version, 0, 255, ""),
    /* tag 11 */
    {"proprietary-id", OPT_TEXT, FIELD(prop_id), 0, 0, "", NULL, 0},
    UINT("channels", channels, 0, SIM_MAX_CHANNELS - 1, ""),
    {"fault", OPT_FLAGS, FIELD(faults), 0, 0, "", fault_words, 1},
    {"fault-ins", OPT_BYTE, FIELD(fault_ins), 0, 0, "", any_ins_words, 0},
    UINT("fault-skip", fault_skip, 0, 3600000, " commands"),
    UINT("fault-count", fault_count, 0, 3600000, " times"),
    UINT("hang-ms", hang_ms, 0, 3600000, " ms"),
};

static int parse_uint(const char *v, unsigned long lo, unsigned long hi, long *out)
{
    char *end;
    if (v[0] < '0' || v[0] > '9')
        return -1;
    unsigned long n = strtoul(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        return -1;
    *out = (long)n;
    return 0;
}

static int parse_word(const opt_word *w, const char *v, long *out)
{
    for (; w->word != NULL; w++)
        if (strcmp(v, w->word) == 0) {
            *out = w->value;
            return 0;
        }
    return -1;
}

/* "none" or WORD[,WORD...] (commas or spaces): the OR of their values. */
static int parse_flags(const opt_word *words, const char *v, long *out)
{
    char buf[128];
    long bits = 0, bit;
    size_t n = 0;
    char *save = NULL;
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        n++;
        if (strcmp(tok, "none") == 0)
            continue;
        if (parse_word(words, tok, &bit) != 0)
            return -1;
        bits |= bit;
    }
    if (n == 0)
        return -1;
    *out = bits;
    return 0;
}

/* Space-separated list of AIDs (5-16 bytes each); the first is the primary one. */
static int parse_aids(sim_options *o, const char *v)
{
    char buf[256];
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        size_t len;
        if (n == SIM_MAX_AIDS || sim_hex_decode(tok, o->aid[n], SIM_MAX_AID_LEN, &len) != 0 ||
            len < 5)
            return -1;
        o->aid_len[n++] = len;
    }
    if (n == 0)
        return -1;
    o->n_aids = n;
    return 0;
}

/* Store v into the integer field of d, whatever its width. */
static void put(sim_options *o, const opt_def *d, long v)
{
    unsigned char *f = (unsigned char *)o + d->off;
    if (d->size == sizeof(uint8_t)) {
        uint8_t x = (uint8_t)v;
        memcpy(f, &x, sizeof x);
    } else if (d->size == sizeof(uint16_t)) {
        uint16_t x = (uint16_t)v;
        memcpy(f, &x, sizeof x);
    } else if (d->size == sizeof(int)) { /* int and unsigned fields */
        int x = (int)v;
        memcpy(f, &x, sizeof x);
    } else {
        size_t x = (size_t)v;
        memcpy(f, &x, sizeof x);
    }
}

/* Parse v for d and set the field: 0, or -1 on a bad value. */
static int apply(sim_options *o, const opt_def *d, const char *v)
{
    long x = 0;
    uint8_t byte;
    size_t len;
    switch (d->kind) {
    case OPT_UINT:
        if (parse_uint(v, d->lo, d->hi, &x) != 0)
            return -1;
        break;
    case OPT_WORDS:
        if (parse_word(d->words, v, &x) != 0)
            return -1;
        break;
    case OPT_BYTE:
        if (parse_word(d->words, v, &x) != 0) {
            if (sim_hex_decode(v, &byte, 1, &len) != 0 || len != 1)
                return -1;
            x = byte;
        }
        break;
    case OPT_FLAGS:
        if (parse_flags(d->words, v, &x) != 0)
            return -1;
        break;
    case OPT_TEXT:
        len = strlen(v);
        if (len > d->size)
            return -1;
        memset((unsigned char *)o + d->off, ' ', d->size);
        memcpy((unsigned char *)o + d->off, v, len);
        return 0;
    case OPT_AIDS:
        return parse_aids(o, v);
    }
    put(o, d, x);
    return 0;
}

/* What d accepts, in words ("yes|no", "0-255", ...). */
static void describe(const opt_def *d, char *out, size_t cap)
{
    size_t used = 0;
    const char *sep = d->kind == OPT_FLAGS ? ", " : "|";
    out[0] = '\0';
    switch (d->kind) {
    case OPT_UINT:
        snprintf(out, cap, "%lu-%lu%s", d->lo, d->hi, d->unit);
        return;
    case OPT_TEXT:
        snprintf(out, cap, "text of up to %zu bytes", d->size);
        return;
    case OPT_AIDS:
        snprintf(out, cap, "up to %d hex AIDs of 5-16 bytes, separated by spaces", SIM_MAX_AIDS);
        return;
    case OPT_FLAGS:
        used = (size_t)snprintf(out, cap, "none");
        break;
    case OPT_WORDS:
    case OPT_BYTE:
        break;
    }
    for (const opt_word *w = d->words; w->word != NULL && used < cap; w++) {
        if (w != d->words && w[-1].value == w->value)
            continue; /* a second spelling */
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? sep : "", w->word);
    }
    if (d->kind == OPT_BYTE && used < cap)
        snprintf(out + used, cap - used, "|a hex byte");
    else if (d->kind == OPT_FLAGS && used < cap)
        snprintf(out + used, cap - used, "; several separated by commas");
}

int sim_options_set(sim_options *o, const char *key, const char *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const opt_def *d = &options[i];
        if (strcmp(key, d->name) != 0)
            continue;
        if (apply(o, d, v) == 0)
            return 1;
        if (d->explain) {
            char accepted[512];
            describe(d, accepted, sizeof accepted);
            snprintf(err, errlen, "bad value '%s' for %s (%s)", v, key, accepted);
        } else {
            snprintf(err, errlen, "bad value '%s' for %s", v, key);
        }
        return -1;
    }
    return 0;
}

const char *sim_options_name(size_t i, char *values, size_t len)
{
    if (i >= sizeof options / sizeof options[0])
        return NULL;
    describe(&options[i], values, len);
    return options[i].name;
}
