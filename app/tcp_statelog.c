#include "tcp_statelog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "endpoint.h"
#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwiptap/conn_events.h"
#include "lwiptap/frame_info.h"
#include "lwiptap/guard.h"
#include "lwiptap/hooks.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"
#include "stream_service.h"

#define TCP_STATE_COUNT (TIME_WAIT + 1)
/* The connection model numbers states as lwIP does. */
_Static_assert((int)CONN_CLOSED == (int)CLOSED && (int)CONN_LISTEN == (int)LISTEN &&
                   (int)CONN_ESTABLISHED == (int)ESTABLISHED && (int)CONN_CLOSING == (int)CLOSING &&
                   (int)CONN_TIME_WAIT == (int)TIME_WAIT,
               "enum conn_state follows lwIP's enum tcp_state");

/* What the log last said about one pcb; lives in the pcb's ext-arg slot. */
struct pcb_record {
    enum tcp_state state;
    uint64_t state_since_us;
    uint64_t spent_us[TCP_STATE_COUNT]; /* time in each state, for the summary at the end */
    struct tcp_pcb *pcb;
    /* On the list of pcbs to compare at the next checkpoint, when dirty. */
    struct pcb_record *dirty_prev, *dirty_next;
    int dirty;
    char local[ENDPOINT_STRLEN];
    char remote[ENDPOINT_STRLEN];
    /* The same as addresses, to find the connection's counts in the timeline. */
    ip_addr_t local_ip, remote_ip;
    u16_t local_port, remote_port;
    int by_cookie; /* made from a SYN cookie: never half-open in lwIP */
};

static u8_t ext_arg_id;
static int initialized;
static struct pcb_record dirty_list = {.dirty_prev = &dirty_list, .dirty_next = &dirty_list};
static u32_t ticks_walked; /* tcp_ticks at the last comparison of every pcb */
static uint64_t comparisons;
static int enabled = 1;
static int explain;
static enum statelog_cause context = STATELOG_CAUSE_APP;
static int rx_flags = -2; /* -2: no frame is being handled; -1: a non-TCP frame */
/* The flags of a RST lwIP is sending right now, or -1, and its ports. lwIP
 * unlinks a pcb, sends its RST and frees it in one call (tcp_abandon), so a
 * pcb of those ports that turns CLOSED around a RST going out was closed by
 * that RST; another pcb closed before the next frame (a listener closed at
 * exit) was not. */
static int tx_rst_flags = -1;
static uint16_t tx_rst_local_port, tx_rst_remote_port;

static void describe_cause(enum statelog_cause cause, char *out, size_t outlen)
{
    if (cause == STATELOG_CAUSE_CONTEXT) {
        cause = context;
        if (rx_flags != -2) {
            char flags[8] = "-";
            if (rx_flags >= 0) {
                frame_format_tcp_flags(rx_flags, flags, sizeof flags);
            }
            snprintf(out, outlen, "rx [%s]", flags);
            return;
        }
    }
    snprintf(out, outlen, "%s",
             cause == STATELOG_CAUSE_TIMER      ? "timer"
             : cause == STATELOG_CAUSE_SHUTDOWN ? "shutdown"
                                                : "app");
}

/* What a transition means, for --explain (RFC 9293's state diagram in words). */
static const char *explain_transition(enum tcp_state from, enum tcp_state to, const char *why)
{
    switch (to) {
    case LISTEN:
        return "The service listens: lwIP will answer a SYN to this port.";
    case SYN_SENT:
        return "lwIP has sent a SYN (an active open) and waits for the SYN-ACK.";
    case SYN_RCVD:
        return "lwIP has answered the SYN with its own SYN-ACK and waits for the ACK that completes the "
               "handshake.";
    case ESTABLISHED:
        if (strstr(why, "SYN cookie") != NULL) {
            return "The host's ACK returned lwIP's SYN cookie: lwIP kept nothing for this connection while "
                   "it was half-open, and makes it now, already open. Both sides may send once lwIP opens "
                   "its window.";
        }
        return "The connection is open: both sides may send data now.";
    case FIN_WAIT_1:
        return "lwIP's application closed first (an active close): lwIP sends a FIN and waits for its ACK.";
    case FIN_WAIT_2:
        return "The peer acknowledged lwIP's FIN; lwIP still receives until the peer sends its own FIN.";
    case CLOSE_WAIT:
        return "The peer closed its side (a passive close for lwIP): lwIP may still send until its "
               "application "
               "closes too.";
    case CLOSING:
        return "Both FINs crossed on the wire (a simultaneous close): each side waits for the ACK of its own "
               "FIN.";
    case LAST_ACK:
        return "lwIP's application has closed too: lwIP sent its FIN and waits for the last ACK.";
    case TIME_WAIT:
        return "Both sides have closed. The side that closed first waits 2 MSL, so that a late segment of "
               "this "
               "connection cannot be taken for part of a new one.";
    case CLOSED:
        if (strstr(why, "tx [R") != NULL) {
            return "lwIP ended the connection with a RST: no goodbye, and whatever was in flight is lost.";
        }
        if (strncmp(why, "rx [R", 5) == 0) {
            return "The peer's RST ended the connection at once.";
        }
        if (from == TIME_WAIT && strncmp(why, "shutdown", 8) == 0) {
            return "lwip-tap is stopping: it cuts the TIME_WAIT short, and the connection is gone.";
        }
        if (from == TIME_WAIT) {
            return "TIME_WAIT is over: the connection is gone for good.";
        }
        if (from == LISTEN) {
            return "The listener is closed: a SYN to this port now gets a RST.";
        }
        return "The connection is closed and lwIP frees its state.";
    default:
        return "";
    }
}

/* An address as the timeline keys it: 4 or 16 bytes in network order. */
static const uint8_t *address_bytes(const ip_addr_t *ip)
{
    return IP_IS_V6(ip) ? (const uint8_t *)ip_2_ip6(ip)->addr : (const uint8_t *)&ip_2_ip4(ip)->addr;
}

static void log_transition(const struct pcb_record *rec, enum tcp_state to, enum statelog_cause cause)
{
    if (!enabled) {
        return;
    }
    char why[64];
    describe_cause(cause, why, sizeof why);
    if (rec->by_cookie && rec->state == LISTEN) {
        size_t n = strlen(why);
        snprintf(why + n, sizeof why - n, " (SYN cookie accepted)");
    }
    if (to == CLOSED && tx_rst_flags >= 0 && rec->local_port == tx_rst_local_port &&
        rec->remote_port == tx_rst_remote_port) {
        char flags[8];
        frame_format_tcp_flags(tx_rst_flags, flags, sizeof flags);
        size_t n = strlen(why);
        snprintf(why + n, sizeof why - n, ", tx [%s]", flags);
    }
    log_info("tcp-state", "%s %s %s -> %s via %s", rec->local, rec->remote, tcp_debug_state_str(rec->state),
             tcp_debug_state_str(to), why);
    if (explain) {
        log_requested_folded("explain", explain_transition(rec->state, to, why));
    }
    if (rec->local_port != 0) {
        int family = IP_IS_V6(&rec->local_ip) ? AF_INET6 : AF_INET;
        conn_events_lwip_state(family, address_bytes(&rec->local_ip), rec->local_port,
                               address_bytes(&rec->remote_ip), rec->remote_port, (int)rec->state, (int)to,
                               why);
    }
}

static void mark_clean(struct pcb_record *rec)
{
    if (rec->dirty) {
        rec->dirty_prev->dirty_next = rec->dirty_next;
        rec->dirty_next->dirty_prev = rec->dirty_prev;
        rec->dirty = 0;
    }
}

static void mark_dirty(struct pcb_record *rec)
{
    if (!rec->dirty) {
        rec->dirty_prev = dirty_list.dirty_prev;
        rec->dirty_next = &dirty_list;
        dirty_list.dirty_prev->dirty_next = rec;
        dirty_list.dirty_prev = rec;
        rec->dirty = 1;
    }
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void enter_state(struct pcb_record *rec, enum tcp_state to)
{
    uint64_t now = monotonic_us();
    if ((unsigned)rec->state < TCP_STATE_COUNT) {
        rec->spent_us[rec->state] += now - rec->state_since_us;
    }
    rec->state_since_us = now;
    rec->state = to;
}

static void format_counts(const struct timeline_direction *d, char *out, size_t outlen)
{
    snprintf(out, outlen, "%llu segment%s, %llu byte%s, %llu retransmission%s",
             (unsigned long long)d->segments, d->segments == 1 ? "" : "s", (unsigned long long)d->bytes,
             d->bytes == 1 ? "" : "s", (unsigned long long)d->retransmissions,
             d->retransmissions == 1 ? "" : "s");
}

/* What the timeline counted for the connection: its 64-bit counters, where
 * lwIP's own wrap at 65536. */
static void format_traffic(const struct pcb_record *rec, char *out, size_t outlen)
{
    struct timeline_counts counts;
    int family = IP_IS_V6(&rec->local_ip) ? AF_INET6 : AF_INET;
    const uint8_t *local = address_bytes(&rec->local_ip);
    const uint8_t *remote = address_bytes(&rec->remote_ip);
    if (rec->local_port == 0 ||
        timeline_counts(family, local, rec->local_port, remote, rec->remote_port, &counts) != 0) {
        snprintf(out, outlen, "traffic not known");
        return;
    }
    char sent[96], received[96];
    format_counts(&counts.sent, sent, sizeof sent);
    format_counts(&counts.received, received, sizeof received);
    snprintf(out, outlen, "sent %s; received %s", sent, received);
}

/* One line per connection: what went each way, how long it spent in each
 * state, and lwIP's estimates for it. lwIP measures round trips in 500 ms
 * ticks of its slow timer: sa holds 8 x srtt, sv 4 x rttvar, rto srtt + sv.
 * At the end of a connection (final) and on request (stats, SIGUSR1). */
static void log_summary(const struct pcb_record *rec, const struct tcp_pcb *pcb, int final)
{
    char spent[320] = "";
    size_t len = 0;
    uint64_t now = monotonic_us();
    for (int s = SYN_SENT; s < TCP_STATE_COUNT; s++) {
        uint64_t us = rec->spent_us[s] + (!final && (int)rec->state == s ? now - rec->state_since_us : 0);
        if (us != 0 && len < sizeof spent) {
            len += (size_t)snprintf(spent + len, sizeof spent - len, "%s%s %.3f ms", len ? ", " : "",
                                    tcp_debug_state_str((enum tcp_state)s), (double)us / 1000.0);
        }
    }
    if (len == 0) {
        return;
    }
    char traffic[256];
    format_traffic(rec, traffic, sizeof traffic);
    log_info("tcp-conn",
             "%s %s %s: %s; time in %s; srtt %d ms, rttvar %d ms, rto %d ms, cwnd %u, ssthresh %u, "
             "snd_wnd %u, rcv_wnd %u",
             rec->local, rec->remote, final ? "closed" : tcp_debug_state_str(pcb->state), traffic, spent,
             (pcb->sa >> 3) * TCP_SLOW_INTERVAL, (pcb->sv >> 2) * TCP_SLOW_INTERVAL,
             pcb->rto * TCP_SLOW_INTERVAL, (unsigned)pcb->cwnd, (unsigned)pcb->ssthresh,
             (unsigned)pcb->snd_wnd, (unsigned)pcb->rcv_wnd);
}

void tcp_statelog_log_connections(void)
{
    struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
    for (int i = 0; i < 2; i++) {
        for (struct tcp_pcb *pcb = lists[i]; pcb != NULL; pcb = pcb->next) {
            const struct pcb_record *rec = initialized ? tcp_ext_arg_get(pcb, ext_arg_id) : NULL;
            if (rec != NULL) {
                log_summary(rec, pcb, 0);
            }
        }
    }
}

static void record_destroyed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    struct pcb_record *rec = data;
    mark_clean(rec);
    if (rec->state != CLOSED) {
        log_transition(rec, CLOSED, STATELOG_CAUSE_CONTEXT);
    }
    int listener = rec->state == LISTEN;
    enter_state(rec, CLOSED);
    /* The pcb is still whole while lwIP calls its destroy callbacks. */
    if (!listener && enabled) {
        log_summary(rec, rec->pcb, 1);
    }
    free(rec);
}

static struct pcb_record *record_of(struct tcp_pcb *pcb, int *created);

static err_t listener_spawned(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *cpcb)
{
    LWIP_UNUSED_ARG(id);
    LWIP_UNUSED_ARG(lpcb);
    tcp_statelog_touch(cpcb);
    return ERR_OK;
}

static const struct tcp_ext_arg_callbacks record_callbacks = {record_destroyed, listener_spawned};

static struct pcb_record *record_of(struct tcp_pcb *pcb, int *created)
{
    struct pcb_record *rec = tcp_ext_arg_get(pcb, ext_arg_id);
    *created = 0;
    if (rec == NULL) {
        rec = calloc(1, sizeof *rec);
        if (rec == NULL) {
            return NULL;
        }
        /* A pcb first seen in SYN_RCVD was spawned by a listener: to the reader
         * the connection moved LISTEN -> SYN_RCVD, as in RFC 9293's diagram. */
        rec->state = pcb->state == SYN_RCVD ? LISTEN : CLOSED;
        rec->by_cookie = pcb->state == SYN_RCVD && guard_cookie_replaying();
        rec->state_since_us = monotonic_us();
        rec->pcb = pcb;
        tcp_ext_arg_set(pcb, ext_arg_id, rec);
        tcp_ext_arg_set_callbacks(pcb, ext_arg_id, &record_callbacks);
        *created = 1;
    }
    return rec;
}

static void check_pcb(struct tcp_pcb *pcb, enum statelog_cause cause)
{
    comparisons++;
    int created;
    struct pcb_record *rec = record_of(pcb, &created);
    if (rec == NULL) {
        return;
    }
    mark_clean(rec);
    if (created && pcb->state == LISTEN && cause == STATELOG_CAUSE_CONTEXT) {
        cause = STATELOG_CAUSE_APP;
    }
    if (rec->state == pcb->state) {
        return;
    }
    /* lwIP clears the ports of a pcb it takes off its lists: keep the last names. */
    if (pcb->state != CLOSED || rec->local[0] == '\0') {
        endpoint_format(&pcb->local_ip, pcb->local_port, rec->local, sizeof rec->local);
    }
    if (pcb->state != CLOSED && pcb->state != LISTEN) {
        ip_addr_copy(rec->local_ip, pcb->local_ip);
        ip_addr_copy(rec->remote_ip, pcb->remote_ip);
        rec->local_port = pcb->local_port;
        rec->remote_port = pcb->remote_port;
    }
    if (pcb->state == LISTEN) {
        snprintf(rec->remote, sizeof rec->remote, "*:*");
    } else if (pcb->state != CLOSED || rec->remote[0] == '\0') {
        endpoint_format(&pcb->remote_ip, pcb->remote_port, rec->remote, sizeof rec->remote);
    }
    log_transition(rec, pcb->state, cause);
    enter_state(rec, pcb->state);
}

static void check_every_pcb(enum statelog_cause cause)
{
    /* Listeners are struct tcp_pcb_listen, which starts with the same common
     * fields (ext_args, state, addresses) as struct tcp_pcb; lwIP casts the same way. */
    for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l != NULL; l = l->next) {
        check_pcb((struct tcp_pcb *)l, cause);
    }
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        check_pcb(pcb, cause);
    }
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
        check_pcb(pcb, cause);
    }
}

void tcp_statelog_checkpoint(enum statelog_cause cause)
{
    if (!initialized || !enabled) {
        return;
    }
    while (dirty_list.dirty_next != &dirty_list) {
        check_pcb(dirty_list.dirty_next->pcb, cause);
    }
}

uint64_t tcp_statelog_comparisons(void)
{
    return comparisons;
}

void tcp_statelog_touch(struct tcp_pcb *pcb)
{
    if (!initialized || !enabled || pcb == NULL) {
        return;
    }
    int created;
    struct pcb_record *rec = record_of(pcb, &created);
    if (rec != NULL) {
        mark_dirty(rec);
    }
}

void tcp_statelog_probe(struct tcp_pcb *pcb, int app_action)
{
    static enum statelog_cause saved_context = STATELOG_CAUSE_APP;
    static int saved_rx_flags = -2;
    if (pcb != NULL) {
        tcp_statelog_touch(pcb);
    } else if (app_action == PROBE_APP_BEGIN) {
        tcp_statelog_checkpoint(STATELOG_CAUSE_CONTEXT);
        saved_context = context;
        saved_rx_flags = rx_flags;
        context = STATELOG_CAUSE_APP;
        rx_flags = -2;
    } else if (app_action == PROBE_APP_END) {
        tcp_statelog_checkpoint(STATELOG_CAUSE_APP);
        context = saved_context;
        rx_flags = saved_rx_flags;
    } else {
        tcp_statelog_checkpoint(app_action ? STATELOG_CAUSE_APP : STATELOG_CAUSE_CONTEXT);
    }
}

static void observe_frame(void *ctx, enum link_event event, const uint8_t *frame, size_t len,
                          const struct link_meta *meta)
{
    LWIP_UNUSED_ARG(ctx);
    LWIP_UNUSED_ARG(meta);
    uint16_t src_port = 0, dst_port = 0;
    int flags = event == LINK_EVENT_IDLE ? -1 : frame_tcp_ports(frame, len, &src_port, &dst_port);
    tx_rst_flags = event == LINK_EVENT_TX && flags >= 0 && (flags & FRAME_TCP_RST) ? flags : -1;
    tx_rst_local_port = src_port;
    tx_rst_remote_port = dst_port;
    /* Whatever changed before this point belongs to the previous frame or
     * action (and, going CLOSED, to a RST being sent now). */
    tcp_statelog_checkpoint(STATELOG_CAUSE_CONTEXT);
    if (event == LINK_EVENT_RX) {
        rx_flags = flags;
    } else if (event == LINK_EVENT_IDLE) {
        rx_flags = -2;
    }
}

struct link *tcp_statelog_wrap(struct link *inner)
{
    return link_observer_new(inner, observe_frame, NULL, NULL);
}

void tcp_statelog_set_context(enum statelog_cause cause)
{
    tcp_statelog_checkpoint(STATELOG_CAUSE_CONTEXT);
    if (context == STATELOG_CAUSE_TIMER && initialized && enabled && ticks_walked != tcp_ticks) {
        ticks_walked = tcp_ticks;
        check_every_pcb(STATELOG_CAUSE_CONTEXT);
    }
    context = cause;
}

void tcp_statelog_set_enabled(int on)
{
    enabled = on;
}

void tcp_statelog_set_explain(int on)
{
    explain = on;
}

void tcp_statelog_init(void)
{
    if (!initialized) {
        ext_arg_id = tcp_ext_arg_alloc_id();
        initialized = 1;
    }
    context = STATELOG_CAUSE_APP;
    rx_flags = -2;
    ticks_walked = tcp_ticks;
    lwiptap_tcp_set_input_observer(tcp_statelog_touch);
}
