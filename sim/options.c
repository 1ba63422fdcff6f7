/* SPDX-License-Identifier: Apache-2.0 */
/* The [applet] settings: AIDs, quirk switches, capacities and latencies (also set by --set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const uint8_t gsma_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10};

static const char *const latency_names[SIM_LAT_COUNT] = {
    "select", "sign", "verify", "keygen", "dh", "random", "read", "list", "default"};

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

static int parse_yesno(const char *v, int *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
        *out = 1;
    else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    if (v[0] < '0' || v[0] > '9')
        return -1;
    unsigned long n = strtoul(v, &end, 10);
    if (*end != '\0' || n > max)
        return -1;
    *out = n;
    return 0;
}

static const struct {
    const char *name;
    unsigned bit;
} fault_names[] = {
    {"truncated-list", SIM_FAULT_TRUNCATED_LIST},
    {"bad-pubkey", SIM_FAULT_BAD_PUBKEY},
    {"bad-signature", SIM_FAULT_BAD_SIGNATURE},
    {"short-random", SIM_FAULT_SHORT_RANDOM},
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
};

/* "none" or KIND[,KIND...] (commas or spaces); replaces the previous set. */
static int parse_faults(sim_options *o, const char *v)
{
    char buf[128];
    unsigned bits = 0;
    size_t n = 0;
    char *save = NULL;
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        size_t i;
        n++;
        if (strcmp(tok, "none") == 0)
            continue;
        for (i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
            if (strcmp(tok, fault_names[i].name) == 0)
                break;
        if (i == sizeof fault_names / sizeof fault_names[0])
            return -1;
        bits |= fault_names[i].bit;
    }
    if (n == 0)
        return -1;
    o->faults = bits;
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

int sim_options_set(sim_options *o, const char *key, const char *v, char *err, size_t errlen)
{
    unsigned long n;
    int bad = 0;
    if (strcmp(key, "aid") == 0) {
        bad = parse_aids(o, v);
    } else if (strcmp(key, "cla") == 0) {
        if (strcmp(v, "any") == 0)
            o->cla_mode = SIM_CLA_ANY;
        else if (strcmp(v, "proprietary") == 0)
            o->cla_mode = SIM_CLA_PROPRIETARY;
        else if (strcmp(v, "interindustry") == 0)
            o->cla_mode = SIM_CLA_INTERINDUSTRY;
        else
            bad = 1;
    } else if (strcmp(key, "sig-length") == 0) {
        if (strcmp(v, "1") == 0 || strcmp(v, "2") == 0)
            o->sig_len_bytes = v[0] - '0';
        else
            bad = 1;
    } else if (strcmp(key, "sig-format") == 0) {
        if (strcmp(v, "raw") == 0 || strcmp(v, "der") == 0)
            o->sig_der = strcmp(v, "der") == 0;
        else
            bad = 1;
    } else if (strcmp(key, "t0") == 0) {
        bad = parse_yesno(v, &o->t0);
    } else if (strcmp(key, "session-policy") == 0) {
        if (strcmp(v, "replace") == 0 || strcmp(v, "strict") == 0)
            o->strict_sessions = strcmp(v, "strict") == 0;
        else
            bad = 1;
    } else if (strcmp(key, "read-file-pad") == 0) {
        bad = parse_yesno(v, &o->read_pad);
    } else if (strcmp(key, "read-file-bad-offset") == 0) {
        if (strcmp(v, "6A86") == 0 || strcmp(v, "6a86") == 0)
            o->bad_offset_sw = SW_WRONG_P1P2;
        else if (strcmp(v, "6981") == 0)
            o->bad_offset_sw = SW_INCOMPATIBLE_FILE;
        else
            bad = 1;
    } else if (strcmp(key, "list-page") == 0) {
        /* 0 = a full short response; a page smaller than one structure still carries one */
        bad = parse_uint(v, SIM_MAX_DATA, &n);
        if (!bad)
            o->list_page = n;
    } else if (strcmp(key, "implicit-channel") == 0) {
        bad = parse_yesno(v, &o->implicit_channel);
    } else if (strcmp(key, "deterministic") == 0) {
        bad = parse_yesno(v, &o->deterministic);
    } else if (strcmp(key, "fault") == 0) {
        if (parse_faults(o, v) != 0) {
            char kinds[512];
            size_t used = 0;
            kinds[0] = '\0';
            for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0] && used < sizeof kinds;
                 i++)
                used += (size_t)snprintf(kinds + used, sizeof kinds - used, ", %s",
                                         fault_names[i].name);
            snprintf(err, errlen, "bad value '%s' for fault (none%s; several separated by commas)",
                     v, kinds);
            return -1;
        }
    } else if (strcmp(key, "channels") == 0) {
        bad = parse_uint(v, SIM_MAX_CHANNELS - 1, &n);
        if (!bad)
            o->channels = (unsigned)n;
    } else if (strcmp(key, "fault-ins") == 0) {
        uint8_t ins;
        size_t len;
        if (strcmp(v, "any") == 0)
            o->fault_ins = -1;
        else if (sim_hex_decode(v, &ins, 1, &len) == 0 && len == 1)
            o->fault_ins = ins;
        else
            bad = 1;
    } else if (strcmp(key, "fault-skip") == 0 || strcmp(key, "fault-count") == 0 ||
               strcmp(key, "hang-ms") == 0) {
        bad = parse_uint(v, 3600000, &n);
        if (!bad)
            *(key[0] == 'h' ? &o->hang_ms : key[6] == 's' ? &o->fault_skip : &o->fault_count) =
                (unsigned)n;
    } else if (strcmp(key, "max-sessions") == 0) {
        bad = parse_uint(v, SIM_MAX_SESSIONS, &n) || n == 0;
        if (!bad)
            o->max_sessions = (unsigned)n;
    } else if (strncmp(key, "latency-", 8) == 0) {
        size_t i;
        for (i = 0; i < SIM_LAT_COUNT; i++)
            if (strcmp(key + 8, latency_names[i]) == 0)
                break;
        if (i == SIM_LAT_COUNT)
            return 0;
        bad = parse_uint(v, 600000, &n);
        if (!bad)
            o->latency_ms[i] = (unsigned)n;
    } else if (strcmp(key, "version") == 0) {
        bad = parse_uint(v, 255, &n);
        if (!bad)
            o->version = (uint8_t)n;
    } else if (strcmp(key, "proprietary-id") == 0) {
        /* text, padded with spaces to the 32 bytes of tag 11 */
        size_t len = strlen(v);
        bad = len > SIM_PROP_ID_LEN;
        if (!bad) {
            memset(o->prop_id, ' ', sizeof o->prop_id);
            memcpy(o->prop_id, v, len);
        }
    } else if (strcmp(key, "max-files") == 0 || strcmp(key, "max-private-keys") == 0 ||
               strcmp(key, "max-public-keys") == 0 || strcmp(key, "max-secret-keys") == 0) {
        int kind = key[4] == 'f' ? SIM_FILE : key[4] == 'p' && key[5] == 'r' ? SIM_PRIV
                   : key[4] == 'p' ? SIM_PUB : SIM_SECRET;
        bad = parse_uint(v, 255, &n);
        if (!bad)
            o->max_count[kind] = (uint8_t)n;
    } else {
        return 0;
    }
    if (bad) {
        snprintf(err, errlen, "bad value '%s' for %s", v, key);
        return -1;
    }
    return 1;
}
