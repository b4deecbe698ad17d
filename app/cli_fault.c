#include "cli_fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DELAY_MAX_MS 60000u

static const char *const kind_names[FAULT_KINDS] = {"drop",    "corrupt", "duplicate",
                                                    "reorder", "delay",   "rate"};
static const char *const scope_prefixes[FAULT_SCOPES] = {"", "rx-", "tx-"};

static int parse_percent(const char *text, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0.0 && v <= 100.0)) {
        return -1;
    }
    *value = v;
    return 0;
}

static int parse_ms(const char *text, const char *stop, uint32_t *ms)
{
    if (text == stop || text[0] < '0' || text[0] > '9') {
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end != stop || v > DELAY_MAX_MS) {
        return -1;
    }
    *ms = (uint32_t)v;
    return 0;
}

/* MS or MS:JITTER; the jitter may not exceed the delay. */
static int parse_delay(const char *text, struct link_fault_direction *d)
{
    const char *colon = strchr(text, ':');
    const char *end = text + strlen(text);
    uint32_t delay, jitter = 0;
    if (parse_ms(text, colon != NULL ? colon : end, &delay) != 0 ||
        (colon != NULL && parse_ms(colon + 1, end, &jitter) != 0) || jitter > delay) {
        return -1;
    }
    d->delay_ms = delay;
    d->jitter_ms = jitter;
    return 0;
}

/* BITS with an optional k, M or G (powers of 1000, as tc and iperf count). */
static int parse_rate(const char *text, uint64_t *bps)
{
    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t scale = 1;
    if (*end == 'k' || *end == 'K') {
        scale = 1000u;
        end++;
    } else if (*end == 'M') {
        scale = 1000000u;
        end++;
    } else if (*end == 'G') {
        scale = 1000000000u;
        end++;
    }
    if (errno != 0 || *end != '\0' || v == 0 || v > UINT64_MAX / scale || v * scale < 8000u ||
        v * scale > 100000000000ull) {
        return -1;
    }
    *bps = (uint64_t)v * scale;
    return 0;
}

static const char *expectation(enum fault_kind kind)
{
    switch (kind) {
    case FAULT_DELAY:
        return "MS or MS:JITTER, 0 to 60000 ms, the jitter at most the delay";
    case FAULT_RATE:
        return "bits per second from 8000 to 100G, e.g. 10M";
    default:
        return "a percentage from 0 to 100";
    }
}

static int parse_into(enum fault_kind kind, const char *text, struct link_fault_direction *d)
{
    switch (kind) {
    case FAULT_DROP:
        return parse_percent(text, &d->drop_percent);
    case FAULT_CORRUPT:
        return parse_percent(text, &d->corrupt_percent);
    case FAULT_DUPLICATE:
        return parse_percent(text, &d->duplicate_percent);
    case FAULT_REORDER:
        return parse_percent(text, &d->reorder_percent);
    case FAULT_DELAY:
        return parse_delay(text, d);
    case FAULT_RATE:
        return parse_rate(text, &d->rate_bps);
    default:
        return -1;
    }
}

int cli_fault_parse(enum fault_kind kind, enum fault_scope scope, const char *text,
                    struct link_fault_config *config, char *err, size_t errlen)
{
    struct link_fault_direction parsed = scope == FAULT_TX ? config->tx : config->rx;
    if (kind >= FAULT_KINDS || scope >= FAULT_SCOPES || parse_into(kind, text, &parsed) != 0) {
        snprintf(err, errlen, "invalid --%s%s '%s': expected %s",
                 scope < FAULT_SCOPES ? scope_prefixes[scope] : "",
                 kind < FAULT_KINDS ? kind_names[kind] : "?", text, expectation(kind));
        return -1;
    }
    /* Only the field this option names is copied: --drop 5 --tx-delay 20 keeps both. */
    struct link_fault_direction *targets[2] = {scope != FAULT_TX ? &config->rx : NULL,
                                               scope != FAULT_RX ? &config->tx : NULL};
    for (int i = 0; i < 2; i++) {
        struct link_fault_direction *t = targets[i];
        if (t == NULL) {
            continue;
        }
        switch (kind) {
        case FAULT_DROP:
            t->drop_percent = parsed.drop_percent;
            break;
        case FAULT_CORRUPT:
            t->corrupt_percent = parsed.corrupt_percent;
            break;
        case FAULT_DUPLICATE:
            t->duplicate_percent = parsed.duplicate_percent;
            break;
        case FAULT_REORDER:
            t->reorder_percent = parsed.reorder_percent;
            break;
        case FAULT_DELAY:
            t->delay_ms = parsed.delay_ms;
            t->jitter_ms = parsed.jitter_ms;
            break;
        default:
            t->rate_bps = parsed.rate_bps;
            break;
        }
    }
    return 0;
}
