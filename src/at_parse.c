/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AT answer parser. Modems differ in small ways (3GPP TS 27.007 leaves room):
 * echo of the command, CR or CRLF, quotes around the hex or none, spaces
 * after ':' and ',', unsolicited result codes between lines, earlier answers
 * repeated in front of the real one. Everything but the final result line
 * and the one answer line we want is skipped; that answer line itself is
 * checked strictly (hex only, length equal to the declared count).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "at_parse.h"
#include "iotsafe/hex.h"

/* One line of buf: [start, start+len), without its terminator. */
typedef struct at_line {
    const char *p;
    size_t len;
} at_line;

/*
 * Next complete line at *pos (a line ends at CR or LF; empty lines between
 * CR and LF are skipped by the callers). Returns 0 at the end of the complete
 * lines: a trailing fragment without terminator is not a line yet.
 */
static int next_line(const char *buf, size_t len, size_t *pos, at_line *l)
{
    size_t i = *pos;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '\r' && buf[j] != '\n')
            j++;
        if (j == len)
            return 0;
        l->p = buf + i;
        l->len = j - i;
        *pos = j + 1;
        return 1;
    }
    return 0;
}

static int line_is(const at_line *l, const char *word)
{
    size_t n = strlen(word);
    /* trailing spaces are common after OK on some firmware */
    size_t len = l->len;
    while (len > 0 && l->p[len - 1] == ' ')
        len--;
    return len == n && strncmp(l->p, word, n) == 0;
}

/* Case-insensitive prefix match; returns the length matched or 0. */
static size_t line_starts(const at_line *l, const char *prefix)
{
    size_t n = strlen(prefix);
    if (l->len < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)l->p[i]) != tolower((unsigned char)prefix[i]))
            return 0;
    return n;
}

static void parse_err_code(const at_line *l, size_t off, at_answer *a)
{
    size_t i = off;
    while (i < l->len && l->p[i] == ' ')
        i++;
    long code = 0;
    size_t digits = 0;
    while (i + digits < l->len && isdigit((unsigned char)l->p[i + digits]) && digits < 6) {
        code = code * 10 + (l->p[i + digits] - '0');
        digits++;
    }
    size_t rest = i + digits;
    while (rest < l->len && l->p[rest] == ' ')
        rest++;
    if (digits > 0 && rest == l->len) {
        a->code = code;
        return;
    }
    /* text form ("+CME ERROR: SIM busy"): keep printable characters only */
    size_t k = 0;
    for (; i < l->len && k + 1 < sizeof a->text; i++)
        if (isprint((unsigned char)l->p[i]))
            a->text[k++] = l->p[i];
    a->text[k] = '\0';
}

int at_find_final(const char *buf, size_t len, at_answer *a)
{
    size_t pos = 0;
    at_line l;
    memset(a, 0, sizeof *a);
    a->code = -1;
    while (next_line(buf, len, &pos, &l)) {
        size_t off;
        if (line_is(&l, "OK")) {
            a->final = AT_FINAL_OK;
        } else if (line_is(&l, "ERROR")) {
            a->final = AT_FINAL_ERROR;
        } else if ((off = line_starts(&l, "+CME ERROR:")) != 0) {
            a->final = AT_FINAL_CME;
            parse_err_code(&l, off, a);
        } else if ((off = line_starts(&l, "+CMS ERROR:")) != 0) {
            a->final = AT_FINAL_CMS;
            parse_err_code(&l, off, a);
        } else {
            continue;
        }
        /* a CR LF pair ends the line as a whole */
        if (pos < len && buf[pos - 1] == '\r' && buf[pos] == '\n')
            pos++;
        a->end = pos;
        return 1;
    }
    return 0;
}

static size_t skip_spaces(const at_line *l, size_t i)
{
    while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
        i++;
    return i;
}

/* Decimal at i (1..9 digits); returns the index after it, or 0 on failure. */
static size_t parse_num(const at_line *l, size_t i, unsigned long *out)
{
    size_t start = i;
    unsigned long v = 0;
    while (i < l->len && isdigit((unsigned char)l->p[i])) {
        if (i - start == 9)
            return 0;
        v = v * 10 + (unsigned long)(l->p[i] - '0');
        i++;
    }
    if (i == start)
        return 0;
    *out = v;
    return i;
}

/* "<n>,<hex>" with optional quotes and spaces; the rest of the line must be empty. */
static iotsafe_rc parse_apdu_line(const at_line *l, size_t i, const char *prefix, uint8_t *resp,
                                  size_t *resp_len, iotsafe_status *st)
{
    unsigned long n = 0;
    i = skip_spaces(l, i);
    i = parse_num(l, i, &n);
    if (i == 0)
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: no length before the response", prefix);
    i = skip_spaces(l, i);
    if (i >= l->len || l->p[i] != ',')
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: expected ',' after the length", prefix);
    i = skip_spaces(l, i + 1);
    int quoted = i < l->len && l->p[i] == '"';
    if (quoted)
        i++;
    size_t hex_start = i;
    while (i < l->len && iotsafe_hex_digit(l->p[i]) >= 0)
        i++;
    size_t hex_len = i - hex_start;
    if (quoted) {
        if (i >= l->len || l->p[i] != '"')
            return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                      "modem answer %s: response truncated or not hex (no "
                                      "closing quote after %zu hex digits)",
                                      prefix, hex_len);
        i++;
    }
    if (skip_spaces(l, i) != l->len)
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: unexpected characters after %zu hex digits",
                                  prefix, hex_len);
    if (hex_len != n)
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: %zu hex digits where %lu were announced "
                                  "(truncated answer?)",
                                  prefix, hex_len, n);
    if (n % 2 != 0 || n < 4)
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: %lu hex digits is not a response with a "
                                  "status word",
                                  prefix, n);
    if (n / 2 > *resp_len)
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answer %s: %lu bytes, more than the %zu a response "
                                  "APDU can hold",
                                  prefix, n / 2, *resp_len);
    for (size_t k = 0; k < n / 2; k++)
        resp[k] = (uint8_t)(iotsafe_hex_digit(l->p[hex_start + 2 * k]) << 4 |
                            iotsafe_hex_digit(l->p[hex_start + 2 * k + 1]));
    *resp_len = n / 2;
    return IOTSAFE_OK;
}

/* prefix + ':' at the start of the line; returns the index after ':' or 0. */
static size_t match_prefix(const at_line *l, const char *prefix)
{
    size_t n = line_starts(l, prefix);
    if (n == 0 || n >= l->len || l->p[n] != ':')
        return 0;
    return n + 1;
}

iotsafe_rc at_parse_apdu(const char *buf, size_t len, const char *prefix, uint8_t *resp,
                         size_t *resp_len, iotsafe_status *st)
{
    if (buf == NULL || prefix == NULL || resp == NULL || resp_len == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "AT parser: NULL argument");
    size_t pos = 0, off = 0;
    at_line l, last = {NULL, 0};
    while (next_line(buf, len, &pos, &l)) {
        size_t o = match_prefix(&l, prefix);
        if (o != 0) {
            last = l;
            off = o;
        }
    }
    if (last.p == NULL) {
        *resp_len = 0;
        return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                                  "modem answered OK without a %s: line", prefix);
    }
    size_t cap = *resp_len;
    iotsafe_rc rc = parse_apdu_line(&last, off, prefix, resp, &cap, st);
    *resp_len = rc == IOTSAFE_OK ? cap : 0;
    return rc;
}

iotsafe_rc at_parse_ccho(const char *buf, size_t len, unsigned long *session, iotsafe_status *st)
{
    if (buf == NULL || session == NULL)
        return iotsafe_status_set(st, IOTSAFE_E_INVALID_ARG, 0, "AT parser: NULL argument");
    size_t pos = 0;
    at_line l;
    int found = 0, bad = 0;
    while (next_line(buf, len, &pos, &l)) {
        size_t i = match_prefix(&l, "+CCHO");
        int bare = 0;
        if (i == 0) {
            /* 27.007 shows the session id alone on its line */
            size_t k = skip_spaces(&l, 0);
            if (k >= l.len || !isdigit((unsigned char)l.p[k]))
                continue;
            bare = 1;
            i = k;
        }
        unsigned long v = 0;
        size_t e = parse_num(&l, skip_spaces(&l, i), &v);
        if (e == 0 || skip_spaces(&l, e) != l.len) {
            if (!bare)
                bad = 1;
            continue;
        }
        *session = v;
        found = 1;
        bad = 0;
    }
    if (found)
        return IOTSAFE_OK;
    return iotsafe_status_set(st, IOTSAFE_E_MALFORMED, 0,
                              bad ? "modem answer +CCHO: the session id is not a number"
                                  : "modem answered AT+CCHO with OK but no session id");
}

const char *at_cme_str(long code)
{
    static const struct {
        long code;
        const char *text;
    } cme[] = {
        {0, "phone failure"},
        {3, "operation not allowed"},
        {4, "operation not supported"},
        {10, "SIM not inserted"},
        {11, "SIM PIN required"},
        {12, "SIM PUK required"},
        {13, "SIM failure"},
        {14, "SIM busy"},
        {15, "SIM wrong"},
        {21, "invalid index"},
        {50, "incorrect parameters"},
        {100, "unknown"},
    };
    for (size_t i = 0; i < sizeof cme / sizeof cme[0]; i++)
        if (cme[i].code == code)
            return cme[i].text;
    return "";
}

/* The text form of a few codes we react to. */
static long cme_from_text(const char *text)
{
    static const long codes[] = {4, 10, 13, 15};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcasecmp(text, at_cme_str(codes[i])) == 0)
            return codes[i];
    return -1;
}

iotsafe_rc at_final_error(const at_answer *a, const char *what, iotsafe_status *st)
{
    if (a->final == AT_FINAL_ERROR)
        return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0, "%s: the modem answered ERROR", what);
    if (a->final != AT_FINAL_CME && a->final != AT_FINAL_CMS)
        return iotsafe_status_set(st, IOTSAFE_E_TRANSPORT, 0, "%s: no final result from the modem",
                                  what);
    const char *kind = a->final == AT_FINAL_CME ? "+CME ERROR" : "+CMS ERROR";
    long code = a->code >= 0 ? a->code : cme_from_text(a->text);
    iotsafe_rc rc = IOTSAFE_E_TRANSPORT;
    if (a->final == AT_FINAL_CME) {
        if (code == 10 || code == 13 || code == 15)
            rc = IOTSAFE_E_NO_CARD;
        else if (code == 4)
            rc = IOTSAFE_E_UNSUPPORTED;
    }
    if (a->code >= 0) {
        const char *m = a->final == AT_FINAL_CME ? at_cme_str(a->code) : "";
        return iotsafe_status_set(st, rc, 0, "%s: the modem answered %s: %ld%s%s%s", what, kind,
                                  a->code, *m ? " (" : "", m, *m ? ")" : "");
    }
    return iotsafe_status_set(st, rc, 0, "%s: the modem answered %s: %s", what, kind, a->text);
}
