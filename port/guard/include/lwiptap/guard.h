/* The ingress guard: what lwIP must never see from the wire, and admission
 * control for new TCP connections. Two stages share these counters:
 *  - link_guard (a link wrapper, before lwIP): frame-level checks on ARP,
 *    IPv4/IPv6 fragments, the IPv6 header chain and ICMPv6;
 *  - tcp_guard (lwIP's TCP in-packet hook, after reassembly and checksum):
 *    TCP options rewritten as Linux reads them, the MSS floor, and SYN
 *    admission (SYN cookies past the half-open limit, RST at capacity, and
 *    receive windows promised only as far as memory allows: a connection
 *    that does not fit opens with a zero window and waits its turn).
 * The netif driver adds one more: data frames dropped while memory is short
 * (see mem_budget.h).
 * Every drop (or rewrite) is counted by reason; the first of each kind is logged at WARN
 * and then at most once per GUARD_LOG_INTERVAL_MS, with the count in between. */
#ifndef LWIPTAP_GUARD_H
#define LWIPTAP_GUARD_H

#include <stdint.h>

#include "lwiptap/link.h"

#define GUARD_LOG_INTERVAL_MS 10000

/* Linux clamps a smaller announced MSS up to its tcp_min_snd_mss (48) before
 * it sends anything; the guard rewrites a smaller MSS option to this floor
 * before lwIP reads it. 48 bytes minus 12 of timestamp option still leaves 36
 * bytes of data. */
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
    GUARD_TCP_OPT_BAD_LENGTH,
    GUARD_TCP_SYN_OPTIONS_CHANGED,
    GUARD_TCP_COOKIE_FORGED,
    GUARD_TCP_COOKIE_STALE,
    GUARD_TCP_COOKIE_NO_ROOM,
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

/* One "guard" line with every non-zero count and one with the SYN cookies
 * (console stats, shutdown summary). */
void guard_log_counts(const char *tag);

/* Events that are not refusals, so not in guard_total(), but counted and
 * logged (INFO, rate-limited like the refusals) the same way: SYN cookies
 * sent and accepted (rejected cookies are the refusals tcp_syn_cookie_forged
 * and _stale), and connections that opened with a zero window to wait for
 * memory, and had it opened (window_budget.c). */
enum guard_event {
    GUARD_COOKIE_SENT,
    GUARD_COOKIE_ACCEPTED,
    GUARD_WINDOW_WAITED,
    GUARD_WINDOW_OPENED,
    GUARD_EVENT_COUNT
};
void guard_event_note(enum guard_event e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t guard_event_count(enum guard_event e);

/* Forgets all counts and log history (tests, the fuzzer). */
void guard_reset(void);

/* ---- the link stage ---- */

/* Wraps inner: every received frame passes the frame-level checks; mtu is the
 * link MTU that ICMPv6 Packet Too Big may not exceed. */
struct link *link_guard_new(struct link *inner, uint16_t mtu);

/* ---- the TCP stage ---- */

/* Half-open connections kept at most (see tcp_guard.c for why this many);
 * past them a SYN gets a SYN cookie (lwiptap/syn_cookie.h). */
#define GUARD_DEFAULT_MAX_HALF_OPEN 2048

/* Receive windows (window_budget.h): how long an opened window counts as
 * promised while unfilled (half-open, then established), and how often the
 * connections waiting for one are looked at while memory is short. */
#define GUARD_WINDOW_HALF_OPEN_TTL_MS 100
#define GUARD_WINDOW_PROMISE_TTL_MS 1000
#define GUARD_WINDOW_RETRY_MS 2

struct tcp_guard_config {
    unsigned max_conns;     /* connection pcbs (not listeners) at which a SYN gets a RST */
    unsigned max_half_open; /* SYN_RCVD pcbs beyond which a SYN gets a cookie */
};

/* Sets the limits; 0 in a field keeps its default. Call after lwip_init(). */
void tcp_guard_init(const struct tcp_guard_config *config);

/* lwIP's tcp_close() takes a window below TCP_WND for unread input and
 * resets instead of closing; a connection that opened with a smaller window
 * (see tcp_guard.c) gets the rest before its close. Call once all its input
 * is acknowledged with tcp_recved(). */
struct tcp_pcb;
void tcp_guard_restore_window(struct tcp_pcb *pcb);

/* Whether lwIP is making a connection from a SYN cookie right now: a pcb a
 * listener spawns meanwhile is that connection (its state log says so). */
int guard_cookie_replaying(void);

/* SYN_RCVD pcbs the guard is tracking: a walk, for tests and teardown checks. */
unsigned tcp_guard_half_open(void);

#endif
