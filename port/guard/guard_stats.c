#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sys.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"

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
    [GUARD_TCP_SYN_WINDOW_TINY] = "tcp_syn_window_below_2",
    [GUARD_TCP_SYN_OPTIONS_CHANGED] = "tcp_syn_repeat_adds_wscale",
    [GUARD_TCP_HALF_OPEN_EVICTED] = "tcp_half_open_evicted",
    [GUARD_TCP_SYN_HALF_OPEN_BUSY] = "tcp_syn_dropped_half_open_young",
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

void guard_note(enum guard_reason r, const char *fmt, ...)
{
    struct reason_state *s = &reasons[r];
    s->count++;
    uint32_t now = sys_now();
    if (s->logged && (uint32_t)(now - s->last_log_ms) < GUARD_LOG_INTERVAL_MS) {
        return;
    }
    char detail[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    uint64_t unlogged = s->count - s->count_at_last_log - 1;
    if (unlogged > 0) {
        log_warn("guard", "%s: %s (and %" PRIu64 " more since the last report)", reason_names[r], detail,
                 unlogged);
    } else {
        log_warn("guard", "%s: %s", reason_names[r], detail);
    }
    s->logged = 1;
    s->last_log_ms = now;
    s->count_at_last_log = s->count;
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
}

void guard_reset(void)
{
    memset(reasons, 0, sizeof reasons);
}
