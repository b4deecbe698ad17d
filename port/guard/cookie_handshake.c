/* SYN cookies in the guard's TCP stage: what happens on the wire and how an
 * lwIP pcb comes out of a cookie (the cookie's layout: lwiptap/syn_cookie.h;
 * the story for learners: docs/syn-cookies.md).
 *
 * The guard builds the cookie SYN-ACK itself, rather than letting lwIP's
 * listener send one with the cookie as ISN: lwIP would need a pcb for that
 * (the very thing a full table has none of, and what a flood must not cost),
 * and lwIP's SYN-ACK carries its own TSval, where the client's window scale
 * and SACK-permitted must ride.
 *
 * When an ACK returns a valid cookie, the guard replays into lwIP the SYN the
 * client once sent, rebuilt from the cookie (its ISN, the MSS the cookie
 * encodes, window scale and SACK-permitted from the echoed TSval), through
 * tcp_input() as if it came from the wire. lwIP's listener makes the pcb
 * exactly as for any SYN; the ISN hook (LWIP_HOOK_TCP_ISN) returns the cookie,
 * so the pcb's sequence numbers are the ones the client already holds. The
 * SYN-ACK lwIP then sends is the client's copy of ours: while the replay runs
 * the netif's output functions are a sink, so no view (pcap, timeline) ever
 * sees it, and lwIP counts it sent. Then the ACK itself goes through
 * tcp_input() again, finds the new pcb in SYN_RCVD and completes the
 * handshake there, data and FIN included. Nothing of lwIP is patched.
 *
 * tcp_input() runs nested here, inside the hook of the outer tcp_input()
 * for the ACK: safe because the guard then returns ERR_ABRT, after which the
 * outer call only frees its pbuf and reads none of the globals the nested
 * calls overwrote. */
#include "cookie_handshake.h"

#include <stdio.h>
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwiptap/diag.h"
#include "lwiptap/guard.h"
#include "lwiptap/hooks.h"
#include "lwiptap/syn_cookie.h"
#include "lwiptap/tx_note.h"
#include "guard_text.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_PERM 4
#define OPT_TS 8
#define MAX_OPTIONS 40

/* What a SYN or a cookie's ACK says in its options. */
struct tcp_seen_options {
    unsigned mss; /* 0: none */
    int wscale;   /* -1: none */
    int sack_permitted;
    int timestamps;
    u32_t tsval, tsecr;
};

static int replaying;
static u32_t replay_isn;
static struct tcp_pcb *replay_pcb;
static int sent_any;
static u32_t last_sent_ms;

u32_t lwiptap_tcp_isn(void)
{
    /* lwIP's default ISN is a counter (6510, 6510+n, ...); RFC 9293 3.4.1 wants it unpredictable. */
    return replaying ? replay_isn : (u32_t)lwiptap_random();
}

void cookie_handshake_init(void)
{
    replaying = 0;
    replay_pcb = NULL;
    sent_any = 0;
    syn_cookie_init();
}

int guard_cookie_replaying(void)
{
    return replaying;
}

void cookie_replayed_pcb(struct tcp_pcb *pcb)
{
    replay_pcb = pcb;
}

static void put16(u8_t *p, u16_t v)
{
    p[0] = (u8_t)(v >> 8);
    p[1] = (u8_t)v;
}

static void put32(u8_t *p, u32_t v)
{
    put16(p, (u16_t)(v >> 16));
    put16(p + 2, (u16_t)v);
}

/* MSS, then SACK-permitted and timestamps in one word, then window scale:
 * the layout Linux uses, 20 bytes at most. */
static u16_t syn_options(u8_t *o, u16_t mss, int wscale, int sack_permitted, const u32_t *ts)
{
    u16_t n = 0;
    o[n++] = OPT_MSS;
    o[n++] = 4;
    put16(o + n, mss);
    n += 2;
    if (ts != NULL) {
        o[n++] = sack_permitted ? OPT_SACK_PERM : OPT_NOP;
        o[n++] = sack_permitted ? 2 : OPT_NOP;
        o[n++] = OPT_TS;
        o[n++] = 10;
        put32(o + n, ts[0]);
        put32(o + n + 4, ts[1]);
        n += 8;
    }
    if (wscale >= 0) {
        o[n++] = OPT_NOP;
        o[n++] = OPT_WS;
        o[n++] = 3;
        o[n++] = (u8_t)wscale;
    }
    return n;
}

struct seg_spec {
    u16_t sport, dport;
    u32_t seq, ack;
    u8_t flags;
    u16_t wnd;
    const u8_t *opts;
    u16_t optlen;
    struct pbuf *data; /* copied as the payload when set */
};

static struct pbuf *build_segment(const struct seg_spec *s, pbuf_layer layer, const ip_addr_t *src,
                                  const ip_addr_t *dst)
{
    u16_t hlen = (u16_t)(TCP_HLEN + s->optlen);
    u16_t datalen = s->data != NULL ? s->data->tot_len : 0;
    if ((u32_t)hlen + datalen > 0xffffu) {
        return NULL;
    }
    struct pbuf *p = pbuf_alloc(layer, (u16_t)(hlen + datalen), PBUF_RAM);
    if (p == NULL) {
        return NULL;
    }
    u8_t *h = p->payload;
    memset(h, 0, TCP_HLEN);
    put16(h, s->sport);
    put16(h + 2, s->dport);
    put32(h + 4, s->seq);
    put32(h + 8, s->ack);
    h[12] = (u8_t)((hlen / 4) << 4);
    h[13] = s->flags;
    put16(h + 14, s->wnd);
    memcpy(h + TCP_HLEN, s->opts, s->optlen);
    if (datalen > 0) {
        pbuf_copy_partial(s->data, h + hlen, datalen, 0);
    }
    u16_t sum = ip_chksum_pseudo(p, IP_PROTO_TCP, p->tot_len, src, dst);
    memcpy(h + 16, &sum, 2); /* already in network order */
    return p;
}

static u8_t raw_byte(const struct tcp_raw_options *raw, u16_t i)
{
    return i < raw->len1 ? raw->part1[i] : raw->part2[i - raw->len1];
}

static u32_t raw_u32(const struct tcp_raw_options *raw, u16_t i)
{
    u32_t v = 0;
    for (u16_t k = 0; k < 4; k++) {
        v = (v << 8) | raw_byte(raw, (u16_t)(i + k));
    }
    return v;
}

/* tcp_guard_options() made the options parseable (lengths right, or NOPs). */
static struct tcp_seen_options read_options(const struct tcp_raw_options *raw)
{
    struct tcp_seen_options o = {0, -1, 0, 0, 0, 0};
    u16_t i = 0;
    while (i < raw->len) {
        u8_t kind = raw_byte(raw, i);
        if (kind == OPT_EOL) {
            break;
        }
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        u8_t len = i + 1 < raw->len ? raw_byte(raw, (u16_t)(i + 1)) : 0;
        if (len < 2 || i + len > raw->len) {
            break;
        }
        if (kind == OPT_MSS && len == 4) {
            o.mss = ((unsigned)raw_byte(raw, (u16_t)(i + 2)) << 8) | raw_byte(raw, (u16_t)(i + 3));
        } else if (kind == OPT_WS && len == 3) {
            o.wscale = raw_byte(raw, (u16_t)(i + 2));
        } else if (kind == OPT_SACK_PERM && len == 2) {
            o.sack_permitted = 1;
        } else if (kind == OPT_TS && len == 10) {
            o.timestamps = 1;
            o.tsval = raw_u32(raw, (u16_t)(i + 2));
            o.tsecr = raw_u32(raw, (u16_t)(i + 6));
        }
        i = (u16_t)(i + len);
    }
    return o;
}

void cookie_send_synack(const struct tcp_hdr *hdr, const struct tcp_raw_options *raw, unsigned half_open)
{
    struct tcp_seen_options seen = read_options(raw);
    const struct tcp_seen_options *syn = &seen;
    struct netif *netif = ip_current_input_netif();
    const ip_addr_t *local = ip_current_dest_addr(), *remote = ip_current_src_addr();
    struct syn_cookie_tuple t = {local, remote, hdr->dest, hdr->src};
    u32_t now = sys_now();
    u16_t mss;
    u32_t cookie = syn_cookie_make(&t, hdr->seqno, syn->mss, now, &mss);
    /* Without timestamps there is nowhere to keep window scale and SACK: the
     * connection then goes without them, on both sides. */
    int sack = syn->timestamps && syn->sack_permitted;
    int wscale = syn->timestamps && syn->wscale >= 0 ? TCP_RCV_SCALE : -1;
    u32_t ts[2] = {syn_cookie_tsval(now, syn->wscale, sack), syn->tsval};
    u8_t opts[MAX_OPTIONS];
    u16_t optlen = syn_options(opts, tcp_eff_send_mss_netif(TCP_MSS, netif, remote), wscale, sack,
                               syn->timestamps ? ts : NULL);
    /* A zero window: no data comes before the connection exists and the
     * window budget has counted it (a window promised here, with no state,
     * could not be counted). The connection waits for its window like any
     * that does not fit (window_budget.h). */
    struct seg_spec s = {hdr->dest, hdr->src, cookie, hdr->seqno + 1, TCP_SYN | TCP_ACK, 0,
                         opts,      optlen,   NULL};
    struct pbuf *p = build_segment(&s, PBUF_IP, local, remote);
    if (p == NULL) {
        return; /* as when lwIP has no memory for a SYN-ACK: the client retries */
    }
    tx_note_set(TX_NOTE_SYN_COOKIE);
    ip_output_if(p, local, remote, TCP_TTL, 0, IP_PROTO_TCP, netif);
    tx_note_take();
    pbuf_free(p);
    TCP_STATS_INC(tcp.xmit);
    sent_any = 1;
    last_sent_ms = now;
    char peer[IPADDR_STRLEN_MAX + 8];
    guard_endpoint(remote, hdr->src, peer, sizeof peer);
    guard_event_note(GUARD_COOKIE_SENT, "SYN cookie sent to %s (port %u, MSS %u): %u connections half-open",
                     peer, hdr->dest, mss, half_open);
}

static err_t discard_ip4(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
    LWIP_UNUSED_ARG(netif);
    LWIP_UNUSED_ARG(p);
    LWIP_UNUSED_ARG(dst);
    return ERR_OK;
}

static err_t discard_ip6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
    LWIP_UNUSED_ARG(netif);
    LWIP_UNUSED_ARG(p);
    LWIP_UNUSED_ARG(dst);
    return ERR_OK;
}

/* The client's SYN, rebuilt from what the cookie and the echoed TSval keep,
 * through lwIP's listener; returns the pcb it made, or NULL (the guard counted why). */
static struct tcp_pcb *replay_syn(struct pbuf *syn, u32_t cookie)
{
    struct netif *netif = ip_current_input_netif();
    netif_output_fn out4 = netif->output;
    netif_output_ip6_fn out6 = netif->output_ip6;
    netif->output = discard_ip4;
    netif->output_ip6 = discard_ip6;
    replaying = 1;
    replay_isn = cookie;
    replay_pcb = NULL;
    tcp_input(syn, netif);
    replaying = 0;
    netif->output = out4;
    netif->output_ip6 = out6;
    struct tcp_pcb *pcb = replay_pcb;
    replay_pcb = NULL;
    return pcb;
}

static void note_rejected(enum syn_cookie_verdict v, const struct tcp_hdr *hdr, unsigned age)
{
    char peer[IPADDR_STRLEN_MAX + 8];
    guard_endpoint(ip_current_src_addr(), hdr->src, peer, sizeof peer);
    if (v == SYN_COOKIE_STALE) {
        guard_note(GUARD_TCP_COOKIE_STALE,
                   "ACK from %s to port %u returns a SYN cookie %u periods of %u s old (2 at most): RST",
                   peer, hdr->dest, age, SYN_COOKIE_PERIOD_MS / 1000u);
    } else {
        guard_note(GUARD_TCP_COOKIE_FORGED, "ACK from %s to port %u returns no SYN cookie of ours: dropped",
                   peer, hdr->dest);
    }
}

int cookie_take_ack(const struct tcp_hdr *hdr, const struct tcp_raw_options *raw, struct pbuf *p)
{
    u32_t now = sys_now();
    if (!sent_any || (u32_t)(now - last_sent_ms) >= SYN_COOKIE_CHECKED_PERIODS * SYN_COOKIE_PERIOD_MS) {
        return 0;
    }
    const ip_addr_t *local = ip_current_dest_addr(), *remote = ip_current_src_addr();
    struct syn_cookie_tuple t = {local, remote, hdr->dest, hdr->src};
    u32_t client_isn = hdr->seqno - 1, cookie = hdr->ackno - 1;
    u16_t mss = 0;
    unsigned age = 0;
    enum syn_cookie_verdict v = syn_cookie_check(&t, client_isn, cookie, now, &mss, &age);
    u32_t ack_seqno = hdr->seqno;
    if (v == SYN_COOKIE_FORGED && p->tot_len == 0) {
        /* A zero-window probe (RFC 9293 3.8.6.1): the client's sequence
         * number is one below its next, its ISN. The cookie SYN-ACK's zero
         * window has the client probe when the ACK that carried the cookie
         * was lost; the probe brings the cookie back. */
        client_isn = hdr->seqno;
        v = syn_cookie_check(&t, client_isn, cookie, now, &mss, &age);
        ack_seqno = client_isn + 1;
    }
    if (v != SYN_COOKIE_VALID) {
        note_rejected(v, hdr, age);
        /* A stale cookie was ours: its client is told with lwIP's RST, as
         * Linux does. Anything else is dropped without the RST Linux sends:
         * it is also what a real client's later segment looks like when the
         * ACK and the first data that carried its cookie were lost (the
         * tap's queue overflows in a flood); the client's retransmission
         * then starts at the cookie again and gets in, where a RST would
         * have ended it. Nor does a forger get an answer to aim. */
        return v == SYN_COOKIE_FORGED;
    }
    struct tcp_seen_options ack_options = read_options(raw);
    const struct tcp_seen_options *seen = &ack_options;
    int wscale = -1, sack = 0;
    if (seen->timestamps) {
        syn_cookie_ts_options(seen->tsecr, &wscale, &sack);
    }
    u32_t ts[2] = {seen->tsval, 0};
    u8_t syn_opts[MAX_OPTIONS], ack_opts[MAX_OPTIONS];
    u16_t syn_optlen = syn_options(syn_opts, mss, wscale, sack, seen->timestamps ? ts : NULL);
    for (u16_t i = 0; i < raw->len; i++) {
        ack_opts[i] = i < raw->len1 ? raw->part1[i] : raw->part2[i - raw->len1];
    }
    struct seg_spec syn_spec = {hdr->src, hdr->dest, client_isn, 0,   TCP_SYN,
                                hdr->wnd, syn_opts,  syn_optlen, NULL};
    struct seg_spec ack_spec = {hdr->src, hdr->dest, ack_seqno, hdr->ackno, TCPH_FLAGS(hdr),
                                hdr->wnd, ack_opts,  raw->len,  p};
    struct pbuf *syn = build_segment(&syn_spec, PBUF_RAW, remote, local);
    struct pbuf *ack = build_segment(&ack_spec, PBUF_RAW, remote, local);
    if (syn == NULL || ack == NULL) {
        /* Out of memory: the cookie stays valid, the client's retransmission comes back. */
        if (syn != NULL) {
            pbuf_free(syn);
        }
        if (ack != NULL) {
            pbuf_free(ack);
        }
        return 1;
    }
    if (replay_syn(syn, cookie) == NULL) {
        pbuf_free(ack);
        return 1;
    }
    char peer[IPADDR_STRLEN_MAX + 8];
    guard_endpoint(remote, hdr->src, peer, sizeof peer);
    char ws[12] = "none";
    if (wscale >= 0) {
        snprintf(ws, sizeof ws, "%d", wscale);
    }
    guard_event_note(GUARD_COOKIE_ACCEPTED,
                     "SYN cookie accepted from %s: connection to port %u (MSS %u, window scale %s, SACK %s)",
                     peer, hdr->dest, mss, ws, sack ? "yes" : "no");
    tcp_input(ack, ip_current_input_netif());
    return 1;
}
