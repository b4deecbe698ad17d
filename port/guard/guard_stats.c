#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sys.h"
#include "lwiptap/guard.h"
#include "guard_text.h"
#include "lwiptap/log.h"
#include "window_budget.h"

void guard_endpoint(const ip_addr_t *addr, u16_t port, char *out, size_t outlen)
{
    char text[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(addr, text, sizeof text);
    snprintf(out, outlen, IP_IS_V6(addr) ? "[%s]:%u" : "%s:%u", text, port);
}

static const char *const reason_names[GUARD_REASON_COUNT] = {
    [GUARD_ARP_SHORT] = "arp_short",
    [GUARD_IP_HEADER_SHORT] = "ip_shorter_than_header",
    [GUARD_IP_FRAG_OVERLAP] = "frag_overlap",
    [GUARD_IP_FRAG_POISONED] = "frag_of_dropped_datagram",
    [GUARD_IP6_CHAIN_MALFORMED] = "ip6_chain_malformed",
    [GUARD_IP6_FRAG_NO_UPPER] = "ip6_first_frag_incomplete",
    [GUARD_IP6_FRAG_ICMP6] = "ip6_fragmented_icmp6",
    [GUARD_ICMP6_PTB_MTU] = "icmp6_ptb_mtu",
    [GUARD_ICMP6_REDIRECT] = "icmp6_redirect",
    [GUARD_ICMP6_RA] = "icmp6_router_adv",
    [GUARD_TCP_OPT_MALFORMED] = "tcp_opt_malformed",
    [GUARD_TCP_MSS_LOW] = "tcp_mss_below_floor",
    [GUARD_TCP_MSS_NOT_SYN] = "tcp_mss_outside_syn",
    [GUARD_TCP_OPT_BAD_LENGTH] = "tcp_opt_bad_length",
    [GUARD_TCP_SYN_OPTIONS_CHANGED] = "tcp_syn_repeat_adds_wscale",
    [GUARD_TCP_COOKIE_FORGED] = "tcp_syn_cookie_forged",
    [GUARD_TCP_COOKIE_STALE] = "tcp_syn_cookie_stale",
    [GUARD_TCP_COOKIE_NO_ROOM] = "tcp_syn_cookie_no_room",
    [GUARD_TCP_SYN_REFUSED] = "tcp_syn_refused_at_capacity",
    [GUARD_TCP_SYN_LOW_MEMORY] = "tcp_syn_dropped_low_memory",
    [GUARD_RX_LOW_MEMORY] = "rx_data_dropped_low_memory",
};

struct reason_state {
    uint64_t count;
    uint64_t count_at_last_log;
    uint32_t last_log_ms;
    int logged;
};

static struct reason_state reasons[GUARD_REASON_COUNT];
static struct reason_state events[GUARD_EVENT_COUNT];

/* Counts one event; returns 1 with the line to log in out, or 0 when one
 * of its kind was logged less than GUARD_LOG_INTERVAL_MS ago. prefix is
 * "name: " or "". */
static int count_and_format(struct reason_state *s, char *out, size_t outlen, const char *prefix,
                            const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int count_and_format(struct reason_state *s, char *out, size_t outlen, const char *prefix,
                            const char *fmt, va_list ap)
{
    s->count++;
    uint32_t now = sys_now();
    if (s->logged && (uint32_t)(now - s->last_log_ms) < GUARD_LOG_INTERVAL_MS) {
        return 0;
    }
    char detail[192];
    vsnprintf(detail, sizeof detail, fmt, ap);
    uint64_t unlogged = s->count - s->count_at_last_log - 1;
    if (unlogged > 0) {
        snprintf(out, outlen, "%s%s (and %" PRIu64 " more since the last report)", prefix, detail, unlogged);
    } else {
        snprintf(out, outlen, "%s%s", prefix, detail);
    }
    s->logged = 1;
    s->last_log_ms = now;
    s->count_at_last_log = s->count;
    return 1;
}

#define GUARD_LINE_MAX 320

void guard_note(enum guard_reason r, const char *fmt, ...)
{
    char prefix[48], line[GUARD_LINE_MAX];
    snprintf(prefix, sizeof prefix, "%s: ", reason_names[r]);
    va_list ap;
    va_start(ap, fmt);
    int due = count_and_format(&reasons[r], line, sizeof line, prefix, fmt, ap);
    va_end(ap);
    if (due) {
        log_warn("guard", "%s", line);
    }
}

void guard_event_note(enum guard_event e, const char *fmt, ...)
{
    char line[GUARD_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int due = count_and_format(&events[e], line, sizeof line, "", fmt, ap);
    va_end(ap);
    if (due) {
        log_info("guard", "%s", line);
    }
}

uint64_t guard_event_count(enum guard_event e)
{
    return events[e].count;
}

uint64_t guard_count(enum guard_reason r)
{
    return reasons[r].count;
}

const char *guard_reason_name(enum guard_reason r)
{
    return reason_names[r];
}

uint64_t guard_total(void)
{
    uint64_t total = 0;
    for (int r = 0; r < GUARD_REASON_COUNT; r++) {
        total += reasons[r].count;
    }
    return total;
}

void guard_log_counts(const char *tag)
{
    char line[1024];
    size_t used = 0;
    line[0] = '\0';
    for (int r = 0; r < GUARD_REASON_COUNT; r++) {
        if (reasons[r].count == 0 || used >= sizeof line) {
            continue;
        }
        int n = snprintf(line + used, sizeof line - used, " %s=%" PRIu64, reason_names[r], reasons[r].count);
        used += n > 0 ? (size_t)n : 0;
    }
    log_info(tag, "guard total=%" PRIu64 "%s", guard_total(), line);
    log_info(tag, "guard syn-cookies sent=%" PRIu64 " accepted=%" PRIu64 " rejected=%" PRIu64,
             events[GUARD_COOKIE_SENT].count, events[GUARD_COOKIE_ACCEPTED].count,
             reasons[GUARD_TCP_COOKIE_FORGED].count + reasons[GUARD_TCP_COOKIE_STALE].count);
    log_info(tag, "guard zero-window waits=%" PRIu64 " opened=%" PRIu64 " still_waiting=%u longest_ms=%u",
             events[GUARD_WINDOW_WAITED].count, events[GUARD_WINDOW_OPENED].count, window_budget_waiting(),
             (unsigned)window_budget_longest_wait_ms());
}

void guard_reset(void)
{
    memset(reasons, 0, sizeof reasons);
    memset(events, 0, sizeof events);
}
