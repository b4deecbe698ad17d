/* The TCP stage of the ingress guard, run by lwIP for every segment that
 * matches a pcb, after reassembly and checksum and before lwIP reads the
 * options. It keeps lwIP's tcp_parseopt() and tcp_write() from ever seeing
 * what they mishandle (an MSS on a data segment shrinks pcb->mss under queued
 * segments and trips "mss_local is too small"), and decides which SYNs a
 * listener may take.
 *
 * SYN floods: half-open (SYN_RCVD) pcbs are kept in arrival order; past
 * max_half_open, or when every pcb is in use, a new SYN evicts the oldest
 * half-open one in silence. A flood then only shortens how long a half-open
 * connection waits for its ACK (max_half_open / flood rate), instead of filling
 * the backlog for lwIP's 20 s SYN_RCVD timeout. When no pcb is free and none
 * can be reclaimed, the SYN gets a RST and the log says so. */
#include <stdio.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwiptap/guard.h"
#include "lwip/sys.h"
#include "lwiptap/hooks.h"
#include "lwiptap/mem_budget.h"

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

/* The smallest window a connection opens with: four segments keep ACKs
 * flowing and fast retransmit possible. */
#define GUARD_MIN_WINDOW (4 * TCP_MSS)

/* A flood then leaves each half-open pcb DEFAULT_MAX_HALF_OPEN / rate seconds
 * for its ACK (80 ms at 25k SYN/s). Not more: lwIP finds a segment's pcb by
 * walking all of them, so every spoofed SYN costs a walk over the half-open
 * ones, and at 12,000 a flood of 25k SYN/s takes all of a core. */
#define DEFAULT_MAX_HALF_OPEN GUARD_DEFAULT_MAX_HALF_OPEN
#define HALF_OPEN_MIN_AGE_MS GUARD_HALF_OPEN_MIN_AGE_MS

struct half_open {
    struct half_open *prev, *next;
    struct tcp_pcb *pcb;
    u32_t born_ms;
};

static struct half_open records[MEMP_NUM_TCP_PCB];
static struct half_open *free_records;
static struct half_open oldest_first; /* sentinel of the arrival-order ring */
static unsigned ring_len;
static unsigned max_conns = MEMP_NUM_TCP_PCB;
static unsigned max_half_open = DEFAULT_MAX_HALF_OPEN;
static u8_t ext_id;
static int ext_id_allocated;
static lwiptap_tcp_input_observer_fn input_observer;

/* lwIP asserts on NULL callbacks: an empty set is how a slot is let go. */
static const struct tcp_ext_arg_callbacks no_callbacks = {NULL, NULL};

static unsigned pcbs_in_use(void)
{
    return (unsigned)lwip_stats.memp[MEMP_TCP_PCB]->used;
}

static void unlink_record(struct half_open *rec)
{
    rec->prev->next = rec->next;
    rec->next->prev = rec->prev;
    rec->pcb = NULL;
    rec->next = free_records;
    free_records = rec;
    ring_len--;
}

static void release_record(struct half_open *rec)
{
    if (rec->pcb != NULL) {
        tcp_ext_arg_set_callbacks(rec->pcb, ext_id, &no_callbacks);
        tcp_ext_arg_set(rec->pcb, ext_id, NULL);
    }
    unlink_record(rec);
}

static void on_pcb_destroyed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    /* lwIP frees the pcb right after this: unlink without touching it again. */
    if (data != NULL) {
        unlink_record(data);
    }
}

static err_t on_passive_open(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *cpcb);

static const struct tcp_ext_arg_callbacks half_open_callbacks = {on_pcb_destroyed, on_passive_open};

/* A connection keeps the window it opens with (the echo acknowledges input
 * only as it writes it back), so the window is its share of a quarter of the
 * memory limit: the whole TCP_WND for a few connections, a few segments each
 * for 10,000, whose first flights together then still fit in memory. */
static void size_initial_window(struct tcp_pcb *pcb)
{
    size_t share = mem_budget_limit() / 4 / ((size_t)pcbs_in_use() + 1);
    /* Without window scaling (the SYN's options are parsed by now) 64 KiB at most. */
    tcpwnd_size_t wnd =
        (tcpwnd_size_t)LWIP_MIN(LWIP_MAX(share, (size_t)GUARD_MIN_WINDOW), (size_t)TCP_WND_MAX(pcb));
    pcb->rcv_wnd = wnd;
    pcb->rcv_ann_wnd = wnd;
}

void tcp_guard_restore_window(struct tcp_pcb *pcb)
{
    tcpwnd_size_t missing = TCP_WND_MAX(pcb) - pcb->rcv_wnd;
    while (missing > 0) {
        u16_t piece = (u16_t)LWIP_MIN(missing, 0xffffu);
        tcp_recved(pcb, piece);
        missing -= piece;
    }
}

static err_t on_passive_open(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *cpcb)
{
    LWIP_UNUSED_ARG(lpcb);
    struct half_open *rec = free_records;
    LWIP_ASSERT("tcp_guard: a record for every pcb", rec != NULL);
    if (rec == NULL) {
        return ERR_MEM;
    }
    free_records = rec->next;
    size_initial_window(cpcb);
    rec->pcb = cpcb;
    rec->born_ms = sys_now();
    rec->prev = oldest_first.prev;
    rec->next = &oldest_first;
    oldest_first.prev->next = rec;
    oldest_first.prev = rec;
    ring_len++;
    tcp_ext_arg_set_callbacks(cpcb, id, &half_open_callbacks);
    tcp_ext_arg_set(cpcb, id, rec);
    return ERR_OK;
}

/* Established pcbs leave the ring lazily, here: each record is released once,
 * so this is O(1) amortised per SYN. The ring never outgrows the pcb pool. */
static struct half_open *oldest_half_open_record(void)
{
    while (oldest_first.next != &oldest_first) {
        struct half_open *rec = oldest_first.next;
        LWIP_ASSERT("tcp_guard: a record in the ring has a pcb", rec->pcb != NULL);
        if (rec->pcb != NULL && rec->pcb->state == SYN_RCVD) {
            return rec;
        }
        release_record(rec);
    }
    return NULL;
}

static struct tcp_pcb *oldest_half_open(void)
{
    struct half_open *rec = oldest_half_open_record();
    return rec != NULL ? rec->pcb : NULL;
}

static void evict_oldest_half_open(const char *why)
{
    struct tcp_pcb *victim = oldest_half_open();
    if (victim == NULL) {
        return;
    }
    char remote[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&victim->remote_ip, remote, sizeof remote);
    guard_note(GUARD_TCP_HALF_OPEN_EVICTED, "dropped half-open connection from %s:%u (%s)", remote,
               victim->remote_port, why);
    tcp_abandon(victim, 0);
}

/* What tcp_alloc() does when its pool is empty, done here because with
 * --max-conns (or pools on malloc) the pool is not what runs out. A walk, but
 * only at capacity, as lwIP's own. */
static void reclaim_oldest_time_wait(void)
{
    struct tcp_pcb *oldest = tcp_tw_pcbs;
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
        if ((u32_t)(tcp_ticks - pcb->tmr) > (u32_t)(tcp_ticks - oldest->tmr)) {
            oldest = pcb;
        }
    }
    tcp_abort(oldest);
}

/* Returns ERR_OK when the SYN may reach tcp_listen_input(). */
static err_t admit_syn(struct tcp_pcb_listen *lpcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
    if (lpcb->ext_args[ext_id].callbacks != &half_open_callbacks) {
        tcp_ext_arg_set_callbacks((struct tcp_pcb *)lpcb, ext_id, &half_open_callbacks);
    }
    /* A retransmitted SYN of a pcb that still exists matched that pcb, not the
     * listener, so every SYN here makes a new half-open pcb. */
    /* The ring also holds connections established since they were last at its
     * front; under a flood they reach it within max_half_open SYNs, so the
     * count is at most that many too high, and only for a moment. */
    struct half_open *oldest;
    /* Finding the oldest releases established records, so the count is read again. */
    while (ring_len >= max_half_open && (oldest = oldest_half_open_record()) != NULL &&
           ring_len >= max_half_open) {
        if ((u32_t)(sys_now() - oldest->born_ms) < HALF_OPEN_MIN_AGE_MS) {
            char remote[IPADDR_STRLEN_MAX];
            ipaddr_ntoa_r(ip_current_src_addr(), remote, sizeof remote);
            guard_note(GUARD_TCP_SYN_HALF_OPEN_BUSY,
                       "SYN from %s:%u dropped: %u half-open connections, none older than %u ms", remote,
                       hdr->src, ring_len, (unsigned)HALF_OPEN_MIN_AGE_MS);
            return ERR_ABRT;
        }
        evict_oldest_half_open("too many half-open connections");
    }
    /* Short of memory, lwIP's tcp_alloc() would make room by resetting an
     * established connection (tcp_kill_prio): a SYN must never get that far.
     * Dropped in silence, as by a full backlog: the client tries again. */
    if (!mem_budget_admits_rx(MEM_BUDGET_LARGE_FRAME)) {
        char remote[IPADDR_STRLEN_MAX];
        ipaddr_ntoa_r(ip_current_src_addr(), remote, sizeof remote);
        guard_note(GUARD_TCP_SYN_LOW_MEMORY,
                   "SYN from %s:%u dropped: %zu KiB of the %zu KiB memory limit in use", remote, hdr->src,
                   mem_budget_used() / 1024, mem_budget_limit() / 1024);
        return ERR_ABRT;
    }
    if (pcbs_in_use() < max_conns) {
        return ERR_OK;
    }
    if (oldest_half_open() != NULL) {
        evict_oldest_half_open("no free connection slot");
        return ERR_OK;
    }
    if (tcp_tw_pcbs != NULL) {
        reclaim_oldest_time_wait();
        return ERR_OK;
    }
    char remote[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(ip_current_src_addr(), remote, sizeof remote);
    guard_note(GUARD_TCP_SYN_REFUSED, "SYN from %s:%u to port %u refused with RST: all %u connections in use",
               remote, hdr->src, hdr->dest, max_conns);
    u32_t seg_len = (u32_t)p->tot_len + 1u + ((TCPH_FLAGS(hdr) & TCP_FIN) ? 1u : 0u);
    tcp_rst_netif(ip_current_input_netif(), 0, hdr->seqno + seg_len, ip_current_dest_addr(),
                  ip_current_src_addr(), hdr->dest, hdr->src);
    return ERR_ABRT;
}

static u8_t opt_byte(u16_t i, u16_t opt1len, const u8_t *opt1, const u8_t *opt2)
{
    return i < opt1len ? opt1[i] : opt2[i - opt1len];
}

enum option_verdict { OPTIONS_OK, OPTIONS_MALFORMED, OPTIONS_MSS_NOT_SYN, OPTIONS_MSS_LOW };

static int option_length_ok(u8_t kind, u8_t len)
{
    switch (kind) {
    case TCP_OPT_MSS:
        return len == 4;
    case TCP_OPT_WS:
        return len == 3;
    case TCP_OPT_SACK_PERM:
        return len == 2;
    case TCP_OPT_TS:
        return len == 10;
    case TCP_OPT_SACK:
        return len >= 10 && (len - 2) % 8 == 0;
    default:
        return len >= 2;
    }
}

static enum option_verdict check_options(int syn, u16_t optlen, u16_t opt1len, const u8_t *opt1,
                                         const u8_t *opt2, unsigned *mss_out, int *wscale_out)
{
    u16_t i = 0;
    while (i < optlen) {
        u8_t kind = opt_byte(i, opt1len, opt1, opt2);
        if (kind == TCP_OPT_EOL) {
            return OPTIONS_OK;
        }
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= optlen) {
            return OPTIONS_MALFORMED;
        }
        u8_t len = opt_byte((u16_t)(i + 1), opt1len, opt1, opt2);
        if (!option_length_ok(kind, len) || i + len > optlen) {
            return OPTIONS_MALFORMED;
        }
        if (kind == TCP_OPT_WS) {
            *wscale_out = 1;
        }
        if (kind == TCP_OPT_MSS) {
            if (!syn) {
                return OPTIONS_MSS_NOT_SYN;
            }
            unsigned mss = ((unsigned)opt_byte((u16_t)(i + 2), opt1len, opt1, opt2) << 8) |
                           opt_byte((u16_t)(i + 3), opt1len, opt1, opt2);
            *mss_out = mss;
            if (mss < GUARD_MSS_FLOOR) {
                return OPTIONS_MSS_LOW;
            }
        }
        i = (u16_t)(i + len);
    }
    return OPTIONS_OK;
}

static void describe_peer(const struct tcp_hdr *hdr, char *out, size_t outlen)
{
    char addr[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(ip_current_src_addr(), addr, sizeof addr);
    snprintf(out, outlen, "%s:%u -> port %u", addr, hdr->src, hdr->dest);
}

err_t lwiptap_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                           const u8_t *opt2, struct pbuf *p)
{
    u8_t flags = TCPH_FLAGS(hdr);
    int syn = (flags & TCP_SYN) != 0;
    unsigned mss = 0;
    int wscale = 0;
    const u8_t *opt1 = (const u8_t *)hdr + TCP_HLEN;
    enum option_verdict verdict = check_options(syn, optlen, opt1len, opt1, opt2, &mss, &wscale);
    if (verdict != OPTIONS_OK) {
        char peer[96];
        describe_peer(hdr, peer, sizeof peer);
        if (verdict == OPTIONS_MALFORMED) {
            guard_note(GUARD_TCP_OPT_MALFORMED, "%s: malformed TCP options, segment dropped", peer);
        } else if (verdict == OPTIONS_MSS_NOT_SYN) {
            guard_note(GUARD_TCP_MSS_NOT_SYN, "%s: MSS option on a segment without SYN, dropped", peer);
        } else {
            guard_note(GUARD_TCP_MSS_LOW, "%s: MSS %u below the floor of %u, SYN dropped", peer, mss,
                       GUARD_MSS_FLOOR);
        }
        return ERR_ABRT;
    }
    if (pcb->state == LISTEN && syn && (flags & (TCP_ACK | TCP_RST)) == 0 && hdr->wnd < 2) {
        /* tcp_write() sizes segments by half the largest window seen, and
         * falls back to the full MSS when that half is 0. A window that then
         * grows shrinks that size under a queued, oversized segment:
         * "inconsistent oversize vs. space". Found by the fuzzer. */
        char peer[96];
        describe_peer(hdr, peer, sizeof peer);
        guard_note(GUARD_TCP_SYN_WINDOW_TINY, "%s: SYN with a window of %u bytes, dropped", peer, hdr->wnd);
        return ERR_ABRT;
    }
    if (syn && pcb->state == SYN_RCVD && wscale && !(pcb->flags & TF_WND_SCALE)) {
        /* lwIP would take window scaling from a repeated SYN, asserting
         * that the window is still its default, which the window sizing
         * below has changed. A retransmitted SYN is meant to be the same. */
        char peer[96];
        describe_peer(hdr, peer, sizeof peer);
        guard_note(GUARD_TCP_SYN_OPTIONS_CHANGED, "%s: repeated SYN adds window scaling, dropped", peer);
        return ERR_ABRT;
    }
    if (ext_id_allocated && pcb->state == LISTEN && syn && (flags & (TCP_ACK | TCP_RST)) == 0 &&
        admit_syn((struct tcp_pcb_listen *)pcb, hdr, p) != ERR_OK) {
        return ERR_ABRT;
    }
    if (input_observer != NULL) {
        input_observer(pcb);
    }
    return ERR_OK;
}

void lwiptap_tcp_set_input_observer(lwiptap_tcp_input_observer_fn fn)
{
    input_observer = fn;
}

void tcp_guard_init(const struct tcp_guard_config *config)
{
    if (!ext_id_allocated) {
        ext_id = tcp_ext_arg_alloc_id();
        ext_id_allocated = 1;
    }
    LWIP_ASSERT("tcp_guard_init: no half-open pcb is tracked", ring_len == 0);
    free_records = NULL;
    for (size_t i = 0; i < LWIP_ARRAYSIZE(records); i++) {
        records[i].pcb = NULL;
        records[i].next = free_records;
        free_records = &records[i];
    }
    oldest_first.prev = oldest_first.next = &oldest_first;
    max_conns = MEMP_NUM_TCP_PCB;
    max_half_open = DEFAULT_MAX_HALF_OPEN;
    if (config != NULL && config->max_conns != 0 && config->max_conns < MEMP_NUM_TCP_PCB) {
        max_conns = config->max_conns;
    }
    if (config != NULL && config->max_half_open != 0) {
        max_half_open = config->max_half_open;
    }
    if (max_half_open >= max_conns) {
        max_half_open = max_conns > 1 ? max_conns - 1 : 1;
    }
}

unsigned tcp_guard_half_open(void)
{
    unsigned n = 0;
    for (struct half_open *rec = oldest_first.next; rec != &oldest_first; rec = rec->next) {
        n += rec->pcb != NULL && rec->pcb->state == SYN_RCVD;
    }
    return n;
}
