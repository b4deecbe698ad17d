/* The script parser: a line is a header (#! key: value), a comment (#), or
 * a step "+MS WHAT ...". See README.md for the grammar. */
#include "script.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFORM_APP_PORT 9000

struct cursor {
    const char *p;
    char *err;
    size_t errlen;
    const char *path;
    int line;
};

static int fail(struct cursor *c, const char *what)
{
    snprintf(c->err, c->errlen, "%s:%d: %s at '%.20s'", c->path, c->line, what, c->p);
    return -1;
}

static void skip_space(struct cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t') {
        c->p++;
    }
}

/* The next word (up to a space or one of stop), copied into out. */
static int word(struct cursor *c, char *out, size_t cap, const char *stop)
{
    skip_space(c);
    size_t n = 0;
    while (*c->p != '\0' && !isspace((unsigned char)*c->p) && strchr(stop, *c->p) == NULL) {
        if (n + 1 < cap) {
            out[n++] = *c->p;
        }
        c->p++;
    }
    out[n] = '\0';
    return n > 0;
}

static int number(struct cursor *c, uint32_t *out)
{
    skip_space(c);
    char *end;
    unsigned long v = strtoul(c->p, &end, 0);
    if (end == c->p) {
        return fail(c, "a number expected");
    }
    c->p = end;
    *out = (uint32_t)v;
    return 0;
}

static int parse_flags(struct cursor *c, uint8_t *flags)
{
    char w[16];
    if (!word(c, w, sizeof w, "")) {
        return fail(c, "flags expected");
    }
    static const char letters[] = "FSRP.";
    static const uint8_t bits[] = {0x01, 0x02, 0x04, 0x08, 0x10};
    *flags = 0;
    for (const char *f = w; *f != '\0'; f++) {
        const char *at = strchr(letters, *f);
        if (at == NULL) {
            return fail(c, "unknown flag (F S R P . only)");
        }
        *flags |= bits[at - letters];
    }
    return 0;
}

static int parse_hex(struct cursor *c, struct opt_spec *o)
{
    char w[96];
    word(c, w, sizeof w, ",>");
    size_t n = strlen(w);
    if (n % 2 != 0 || n / 2 + o->rawlen > sizeof o->raw) {
        return fail(c, "raw options: an even number of hex digits, at most 40 bytes");
    }
    for (size_t i = 0; i < n; i += 2) {
        char byte[3] = {w[i], w[i + 1], '\0'};
        o->raw[o->rawlen++] = (uint8_t)strtoul(byte, NULL, 16);
    }
    return 0;
}

static int parse_option(struct cursor *c, struct opt_spec *o)
{
    char w[16];
    uint32_t v;
    if (!word(c, w, sizeof w, ",>")) {
        return fail(c, "an option expected");
    }
    if (strcmp(w, "mss") == 0 && number(c, &v) == 0) {
        o->mss = (int)v;
    } else if (strcmp(w, "ws") == 0 && number(c, &v) == 0) {
        o->ws = (int)v;
    } else if (strcmp(w, "sackOK") == 0) {
        o->sack_ok = 1;
    } else if (strcmp(w, "ts") == 0) {
        o->ts = 1;
        skip_space(c);
        if (isdigit((unsigned char)*c->p)) {
            o->ts = 2;
            if (number(c, &o->ts_val) != 0 || number(c, &o->ts_ecr) != 0) {
                return -1;
            }
        }
    } else if (strcmp(w, "sack") == 0) {
        skip_space(c);
        while (isdigit((unsigned char)*c->p) && o->nsack < SCRIPT_MAX_SACK) {
            if (number(c, &o->sack[o->nsack][0]) != 0 || *c->p++ != ':' ||
                number(c, &o->sack[o->nsack][1]) != 0) {
                return fail(c, "sack blocks are START:END");
            }
            o->nsack++;
            skip_space(c);
        }
    } else if (strcmp(w, "raw") == 0) {
        return parse_hex(c, o);
    } else {
        return fail(c, "unknown option (mss ws sackOK ts sack raw)");
    }
    return 0;
}

static int parse_options(struct cursor *c, struct opt_spec *o)
{
    o->present = 1;
    c->p++; /* '<' */
    for (;;) {
        skip_space(c);
        if (*c->p == '>') {
            c->p++;
            return 0;
        }
        if (parse_option(c, o) != 0) {
            return -1;
        }
        skip_space(c);
        if (*c->p == ',') {
            c->p++;
        } else if (*c->p != '>') {
            return fail(c, "',' or '>' expected");
        }
    }
}

static int parse_text(struct cursor *c, struct seg_spec *seg)
{
    const char *end = strchr(c->p + 1, '"');
    size_t n = end != NULL ? (size_t)(end - c->p - 1) : 0;
    if (end == NULL || n >= sizeof seg->text) {
        return fail(c, "unterminated or too long text");
    }
    memcpy(seg->text, c->p + 1, n);
    seg->text[n] = '\0';
    seg->has_text = seg->has_len = 1;
    seg->len = n;
    c->p = end + 1;
    return 0;
}

static int parse_segment(struct cursor *c, struct seg_spec *seg)
{
    memset(seg, 0, sizeof *seg);
    seg->opts.mss = seg->opts.ws = -1;
    if (parse_flags(c, &seg->flags) != 0) {
        return -1;
    }
    for (;;) {
        skip_space(c);
        if (*c->p == '\0' || *c->p == '~') {
            return 0;
        }
        if (*c->p == '<') {
            if (parse_options(c, &seg->opts) != 0) {
                return -1;
            }
            continue;
        }
        if (*c->p == '"') {
            if (parse_text(c, seg) != 0) {
                return -1;
            }
            continue;
        }
        char w[16];
        uint32_t v;
        word(c, w, sizeof w, "<\"~");
        if (number(c, &v) != 0) {
            return -1;
        }
        if (strcmp(w, "seq") == 0) {
            seg->has_seq = 1, seg->seq = v;
        } else if (strcmp(w, "ack") == 0) {
            seg->has_ack = 1, seg->ack = v;
        } else if (strcmp(w, "win") == 0) {
            seg->has_win = 1, seg->win = v;
        } else if (strcmp(w, "len") == 0) {
            seg->has_len = 1, seg->len = v;
        } else {
            return fail(c, "seq, ack, win, len, <options> or \"text\" expected");
        }
    }
}

static int parse_app(struct cursor *c, struct step *st)
{
    char w[16];
    word(c, w, sizeof w, "");
    memset(&st->seg, 0, sizeof st->seg);
    if (strcmp(w, "connect") == 0) {
        st->kind = STEP_CONNECT;
    } else if (strcmp(w, "close") == 0) {
        st->kind = STEP_CLOSE;
    } else if (strcmp(w, "shutdown") == 0) {
        st->kind = STEP_SHUTDOWN;
    } else if (strcmp(w, "keepalive") == 0) {
        st->kind = STEP_KEEPALIVE;
        for (int i = 0; i < 3; i++) {
            if (number(c, &st->keepalive[i]) != 0) {
                return -1;
            }
        }
    } else if (strcmp(w, "write") == 0) {
        st->kind = STEP_WRITE;
        skip_space(c);
        if (*c->p == '"') {
            return parse_text(c, &st->seg);
        }
        char lenword[8];
        uint32_t v;
        if (!word(c, lenword, sizeof lenword, "") || strcmp(lenword, "len") != 0 || number(c, &v) != 0) {
            return fail(c, "app write \"text\" or app write len N");
        }
        st->seg.has_len = 1;
        st->seg.len = v;
    } else {
        return fail(c, "app connect, write, close, shutdown or keepalive");
    }
    return 0;
}

static int parse_step(struct cursor *c, struct step *st)
{
    uint32_t ms;
    c->p++; /* '+' */
    if (number(c, &ms) != 0) {
        return -1;
    }
    st->after_ms = ms;
    st->line = c->line;
    skip_space(c);
    char w[16];
    word(c, w, sizeof w, "");
    if (strcmp(w, "<") == 0) {
        st->kind = STEP_IN;
        return parse_segment(c, &st->seg);
    }
    if (strcmp(w, ">") == 0) {
        skip_space(c);
        if (strncmp(c->p, "none", 4) == 0) {
            st->kind = STEP_NONE;
            return 0;
        }
        st->kind = STEP_OUT;
        if (parse_segment(c, &st->seg) != 0) {
            return -1;
        }
        if (*c->p == '~') {
            c->p++;
            return number(c, &st->tolerance_ms);
        }
        return 0;
    }
    if (strcmp(w, "state") == 0) {
        st->kind = STEP_STATE;
        return word(c, st->state, sizeof st->state, "") ? 0 : fail(c, "a state name expected");
    }
    if (strcmp(w, "app") == 0) {
        return parse_app(c, st);
    }
    return fail(c, "<, >, state or app expected");
}

static void header(struct script *s, const char *key, const char *value)
{
    struct {
        const char *key;
        char *field;
        size_t cap;
    } fields[] = {{"rfc", s->rfc, sizeof s->rfc},
                  {"requirement", s->requirement, sizeof s->requirement},
                  {"lwip", s->lwip, sizeof s->lwip},
                  {"verdict", s->verdict, sizeof s->verdict},
                  {"linux", s->linux_expect, sizeof s->linux_expect}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(key, fields[i].key) == 0) {
            snprintf(fields[i].field, fields[i].cap, "%s", value);
        }
    }
    if (strcmp(key, "mode") == 0) {
        char mode[16];
        unsigned port = 0;
        if (sscanf(value, "%15s %u", mode, &port) == 2) {
            s->client = strcmp(mode, "client") == 0;
            s->port = (uint16_t)port;
            s->app_listener = !s->client && port == CONFORM_APP_PORT;
        }
    }
}

int script_load(const char *path, struct script *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    const char *base = strrchr(path, '/');
    snprintf(s->name, sizeof s->name, "%s", base != NULL ? base + 1 : path);
    char *dot = strrchr(s->name, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char buf[512];
    struct cursor c = {buf, err, errlen, path, 0};
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f) != NULL) {
        c.line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        c.p = buf;
        skip_space(&c);
        char key[24];
        if (strncmp(c.p, "#!", 2) == 0 && sscanf(c.p + 2, " %23[a-z]:", key) == 1) {
            const char *value = strchr(c.p, ':') + 1;
            while (*value == ' ') {
                value++;
            }
            header(s, key, value);
        } else if (*c.p == '+') {
            if (s->nsteps == SCRIPT_MAX_STEPS) {
                rc = fail(&c, "too many steps");
            } else {
                rc = parse_step(&c, &s->steps[s->nsteps++]);
            }
        } else if (*c.p != '\0' && *c.p != '#') {
            rc = fail(&c, "a step starts with +MS");
        }
    }
    fclose(f);
    if (rc == 0 && (s->port == 0 || s->requirement[0] == '\0' || s->verdict[0] == '\0')) {
        snprintf(err, errlen, "%s: the headers mode, requirement and verdict are required", path);
        rc = -1;
    }
    return rc;
}
