/* The ingress guard: what lwIP must never see from the wire, and admission
 * control for new TCP connections. Two stages share these counters:
 *  - link_guard (a link wrapper, before lwIP): frame-level checks on ARP,
 *    IPv4/IPv6 fragments, the IPv6 header chain and ICMPv6;
 *  - tcp_guard (lwIP's TCP in-packet hook, after reassembly and checksum):
 *    TCP options, the MSS floor, and SYN admission (half-open eviction, RST at
 *    capacity, no SYN while memory is short, each new connection's window
 *    sized by the memory left for it).
 * The netif driver adds one more: data frames dropped while memory is short
 * (see mem_budget.h).
 * Every drop is counted by reason; the first of each kind is logged at WARN
 * and then at most once per GUARD_LOG_INTERVAL_MS, with the count in between. */
#ifndef LWIPTAP_GUARD_H
#define LWIPTAP_GUARD_H

#include <stdint.h>

#include "lwiptap/link.h"

#define GUARD_LOG_INTERVAL_MS 10000

/* Linux clamps a smaller announced MSS up to its tcp_min_snd_mss (48) before
 * it sends anything; lwIP cannot clamp, so SYNs below this floor are refused.
 * 48 bytes minus 12 of timestamp option still leaves 36 bytes of data. */
#define GUARD_MSS_FLOOR 48

/* IPv6's minimum link MTU (RFC 8200 5): no Packet Too Big may go below it. */
#define GUARD_IPV6_MIN_MTU 1280

enum guard_reason {
    GUARD_ARP_SHORT,
    GUARD_IP_HEADER_SHORT,
    GUARD_IP_FRAG_OVERLAP,
    GUARD_IP_FRAG_POISONED,
    GUARD_IP6_CHAIN_MALFORMED,
    GUARD_IP6_FRAG_NO_UPPER,
    GUARD_IP6_FRAG_ICMP6,
    GUARD_ICMP6_PTB_MTU,
    GUARD_ICMP6_REDIRECT,
    GUARD_ICMP6_RA,
    GUARD_TCP_OPT_MALFORMED,
    GUARD_TCP_MSS_LOW,
    GUARD_TCP_MSS_NOT_SYN,
    GUARD_TCP_SYN_WINDOW_TINY,
    GUARD_TCP_SYN_OPTIONS_CHANGED,
    GUARD_TCP_HALF_OPEN_EVICTED,
    GUARD_TCP_SYN_HALF_OPEN_BUSY,
    GUARD_TCP_SYN_REFUSED,
    GUARD_TCP_SYN_LOW_MEMORY,
    GUARD_RX_LOW_MEMORY,
    GUARD_REASON_COUNT
};

/* Counts one event of reason r and logs it, rate-limited; detail says what it was. */
void guard_note(enum guard_reason r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t guard_count(enum guard_reason r);
const char *guard_reason_name(enum guard_reason r);
uint64_t guard_total(void);

/* One "guard" line with every non-zero count (console stats, shutdown summary). */
void guard_log_counts(const char *tag);

/* Forgets all counts and log history (tests, the fuzzer). */
void guard_reset(void);

/* ---- the link stage ---- */

/* Wraps inner: every received frame passes the frame-level checks; mtu is the
 * link MTU that ICMPv6 Packet Too Big may not exceed. */
struct link *link_guard_new(struct link *inner, uint16_t mtu);

/* ---- the TCP stage ---- */

/* Half-open connections kept at most (see tcp_guard.c for why not more). */
#define GUARD_DEFAULT_MAX_HALF_OPEN 2048
/* A half-open connection younger than this is never evicted: a burst of real
 * clients (10,000 connecting at once) then has its new SYNs dropped, to be
 * retried by the clients, rather than its handshakes reset mid-way. */
#define GUARD_HALF_OPEN_MIN_AGE_MS 50

struct tcp_guard_config {
    unsigned max_conns;     /* connection pcbs (not listeners) at which a SYN gets a RST */
    unsigned max_half_open; /* SYN_RCVD pcbs beyond which the oldest is evicted */
};

/* Sets the limits; 0 in a field keeps its default. Call after lwip_init(). */
void tcp_guard_init(const struct tcp_guard_config *config);

/* lwIP's tcp_close() takes a window below TCP_WND for unread input and
 * resets instead of closing; a connection that opened with a smaller window
 * (see tcp_guard.c) gets the rest before its close. Call once all its input
 * is acknowledged with tcp_recved(). */
struct tcp_pcb;
void tcp_guard_restore_window(struct tcp_pcb *pcb);

/* SYN_RCVD pcbs the guard is tracking: a walk, for tests and teardown checks. */
unsigned tcp_guard_half_open(void);

#endif
