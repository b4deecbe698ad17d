/* The TCP stage of the ingress guard, run by lwIP for every segment that
 * matches a pcb, after reassembly and checksum and before lwIP reads the
 * options. It has the options rewritten as Linux reads them (see
 * tcp_guard_options.c: lwIP's tcp_parseopt() and tcp_write() mishandle some),
 * refuses a SYN whose options cannot be parsed with a RST, and decides which
 * SYNs a listener may take.
 *
 * SYN floods: half-open (SYN_RCVD) pcbs are counted; past max_half_open, or
 * when every pcb is in use while some are half-open, a SYN is answered with a
 * SYN cookie and nothing is kept (cookie_handshake.c). No connection is ever
 * given up for another: a flood fills the table and then costs nothing, and
 * a client whose SYN got a cookie gets its connection when its ACK comes
 * back. (Before, the oldest half-open pcb was evicted, and in a burst of real
 * clients the evicted client's ACK met no pcb and got a RST.) When no pcb is
 * free, none is half-open and none can be reclaimed, the SYN gets a RST and
 * the log says so. */
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
#include "cookie_handshake.h"
#include "tcp_guard_options.h"
#include "window_budget.h"

/* Past the limit a SYN costs nothing and loses little (a cookie keeps the
 * MSS to a table entry, and window scale and SACK when the client sent
 * timestamps); within it a client keeps all its options. What the limit
 * costs: each half-open pcb a flood leaves lingers for lwIP's SYN_RCVD
 * timeout. hostile.syn_flood_clients (1,000 clients during 25k SYN/s) took
 * 16 s with 2,048 and 3.3 s with 256 while lwIP walked its pcb list; with
 * the 4-tuple hash (patches/tcp_in_hash_*.c) 1.8-2.8 s with 2,048 and
 * 3.1-3.3 s with 256. */
#define DEFAULT_MAX_HALF_OPEN GUARD_DEFAULT_MAX_HALF_OPEN
/* Records looked at per SYN (see sweep_half_open). */
#define SWEEP_PER_SYN 4

struct half_open {
    struct half_open *prev, *next;
    struct tcp_pcb *pcb;
};

static struct half_open records[MEMP_NUM_TCP_PCB];
static struct half_open *free_records;
static struct half_open oldest_first; /* sentinel of the ring, in the order the sweep visits it */
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
 * only as it writes it back): as much as memory allows (window_budget.h).
 * A cookie's connection told its client a zero window in the SYN-ACK and
 * waits its turn, like any connection that did not fit. */
static void size_initial_window(struct tcp_pcb *pcb)
{
    if (guard_cookie_replaying()) {
        window_budget_wait(pcb);
    } else {
        window_budget_grant(pcb);
    }
}

void tcp_guard_restore_window(struct tcp_pcb *pcb)
{
    window_budget_release(pcb);
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
    rec->prev = oldest_first.prev;
    rec->next = &oldest_first;
    oldest_first.prev->next = rec;
    oldest_first.prev = rec;
    ring_len++;
    tcp_ext_arg_set_callbacks(cpcb, id, &half_open_callbacks);
    tcp_ext_arg_set(cpcb, id, rec);
    if (guard_cookie_replaying()) {
        cookie_replayed_pcb(cpcb);
    }
    return ERR_OK;
}

static void move_to_back(struct half_open *rec)
{
    rec->prev->next = rec->next;
    rec->next->prev = rec->prev;
    rec->prev = oldest_first.prev;
    rec->next = &oldest_first;
    oldest_first.prev->next = rec;
    oldest_first.prev = rec;
}

/* Pcbs that left SYN_RCVD leave the ring lazily, here: a few records per
 * SYN, those still half-open going to the back. Within max_half_open /
 * SWEEP_PER_SYN SYNs every record is looked at, so the count runs at most
 * that far behind, at O(1) per SYN; running behind only means a cookie
 * where a pcb would have done. The ring never outgrows the pcb pool. */
static void sweep_half_open(void)
{
    for (int i = 0; i < SWEEP_PER_SYN && oldest_first.next != &oldest_first; i++) {
        struct half_open *rec = oldest_first.next;
        LWIP_ASSERT("tcp_guard: a record in the ring has a pcb", rec->pcb != NULL);
        if (rec->pcb != NULL && rec->pcb->state == SYN_RCVD) {
            move_to_back(rec);
        } else {
            release_record(rec);
        }
    }
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

/* A RST to a SYN no pcb will take (lwIP has the header in host byte order by now). */
static void refuse_syn(const struct tcp_hdr *hdr, const struct pbuf *p)
{
    u32_t seg_len = (u32_t)p->tot_len + 1u + ((TCPH_FLAGS(hdr) & TCP_FIN) ? 1u : 0u);
    tcp_rst_netif(ip_current_input_netif(), 0, hdr->seqno + seg_len, ip_current_dest_addr(),
                  ip_current_src_addr(), hdr->dest, hdr->src);
}

enum admission { ADMIT, ANSWER_WITH_COOKIE, REFUSE };

static enum admission admit_syn(struct tcp_pcb_listen *lpcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
    if (lpcb->ext_args[ext_id].callbacks != &half_open_callbacks) {
        tcp_ext_arg_set_callbacks((struct tcp_pcb *)lpcb, ext_id, &half_open_callbacks);
    }
    /* A retransmitted SYN of a pcb that still exists matched that pcb, not the
     * listener, so every SYN here would make a new half-open pcb. A cookie's
     * SYN, replayed, is a proven client: it passes the half-open limit. */
    int replayed = guard_cookie_replaying();
    sweep_half_open();
    /* A SYN whose window would not fit now, or that would pass connections
     * already waiting for theirs, gets a cookie: its SYN-ACK announces a zero
     * window, and the connection the cookie's ACK makes waits in arrival
     * order for memory (window_budget.h). A dropped SYN would instead wait
     * for the client's SYN timer (1, 3, 7 s), and nothing is kept here for a
     * flood to fill. */
    if (!replayed && !window_budget_admits()) {
        return ANSWER_WITH_COOKIE;
    }
    if (!replayed && ring_len >= max_half_open) {
        return ANSWER_WITH_COOKIE;
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
        return REFUSE;
    }
    if (pcbs_in_use() < max_conns) {
        return ADMIT;
    }
    if (tcp_tw_pcbs != NULL) {
        reclaim_oldest_time_wait();
        return ADMIT;
    }
    char remote[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(ip_current_src_addr(), remote, sizeof remote);
    if (replayed) {
        /* The client holds an established connection: no RST, its next
         * segment brings the cookie back, and finds room or not. */
        guard_note(GUARD_TCP_COOKIE_NO_ROOM,
                   "valid SYN cookie from %s:%u, but all %u connections in use: ACK dropped", remote,
                   hdr->src, max_conns);
        return REFUSE;
    }
    if (ring_len > 0) {
        /* Half-open ones complete or time out: by the cookie's ACK there may be room. */
        return ANSWER_WITH_COOKIE;
    }
    guard_note(GUARD_TCP_SYN_REFUSED, "SYN from %s:%u to port %u refused with RST: all %u connections in use",
               remote, hdr->src, hdr->dest, max_conns);
    refuse_syn(hdr, p);
    return REFUSE;
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
    int syn_to_listener = pcb->state == LISTEN && syn && (flags & (TCP_ACK | TCP_RST)) == 0;
    int wscale = 0;
    if (optlen > 0) {
        /* The option bytes are lwIP's own pbuf memory, const only in the
         * hook's signature: rewritten before tcp_parseopt() reads them. */
        union {
            const u8_t *in;
            u8_t *out;
        } rest = {opt2};
        const struct tcp_options_view options = {(u8_t *)hdr + TCP_HLEN, rest.out, optlen, opt1len};
        if (tcp_guard_options(&options, hdr, syn_to_listener, &wscale) != TCP_OPTIONS_SERVE &&
            syn_to_listener) {
            refuse_syn(hdr, p);
            return ERR_ABRT;
        }
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
    struct tcp_raw_options raw = {optlen, opt1len, (const u8_t *)hdr + TCP_HLEN, opt2};
    if (ext_id_allocated && syn_to_listener) {
        enum admission a = admit_syn((struct tcp_pcb_listen *)pcb, hdr, p);
        if (a == ANSWER_WITH_COOKIE) {
            cookie_send_synack(hdr, &raw, ring_len);
        }
        if (a != ADMIT) {
            return ERR_ABRT;
        }
    }
    if (ext_id_allocated && pcb->state == LISTEN && (flags & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_ACK &&
        cookie_take_ack(hdr, &raw, p)) {
        return ERR_ABRT;
    }
    if (pcb->state == SYN_RCVD && (flags & (TCP_ACK | TCP_SYN | TCP_RST)) == TCP_ACK) {
        window_budget_handshake_acked(pcb);
    }
    if (p->tot_len > 0 && pcb->state != LISTEN) {
        window_budget_data_arrived(pcb, p->tot_len);
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
    cookie_handshake_init();
    window_budget_init();
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
