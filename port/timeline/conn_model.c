/* The connection model (lwiptap/conn_events.h): numbers each connection's
 * segments, publishes them with the timeline's analysis, and follows the
 * peer's TCP state machine from what its segments prove.
 *
 * The peer's own segments tell what it sent, and when (the tap sees them the
 * moment they leave it). What it received is told only by its ack numbers: a
 * peer segment acknowledges every byte of lwIP's that had reached the peer
 * when it was sent. So each of lwIP's segments that occupies sequence space
 * (SYN, data, FIN) waits in the flow's pending list until a peer segment
 * covers it; only then does the model say what the peer did on receiving it.
 * A segment that asks for no answer (an ACK, a RST) is taken as received as
 * soon as everything before it is; a probe is answered by any peer segment. */
#include "conn_model.h"

#include <string.h>
#include <sys/socket.h>

#include "timeline_format.h"

/* What one of lwIP's segments does to the peer when it arrives. */
enum {
    PENDING_SEQ = 1u << 0,      /* occupies sequence space: received once an ack covers `end` */
    PENDING_PROBE = 1u << 1,    /* a keepalive or zero-window probe: any answer shows it arrived */
    PENDING_SYN = 1u << 2,      /* lwIP's SYN: the peer listens and answers (CONN_LISTEN -> CONN_SYN_RCVD) */
    PENDING_SYNACK = 1u << 3,   /* lwIP's SYN-ACK: CONN_SYN_SENT -> CONN_ESTABLISHED */
    PENDING_ACKS_SYN = 1u << 4, /* acknowledges the peer's SYN-ACK: CONN_SYN_RCVD -> CONN_ESTABLISHED */
    PENDING_FIN = 1u << 5,      /* lwIP's FIN */
    PENDING_ACKS_FIN = 1u << 6, /* acknowledges the peer's FIN */
    PENDING_RST = 1u << 7,
};
#define PENDING_NEEDS_ANSWER (PENDING_SEQ | PENDING_PROBE)

static struct {
    conn_event_fn fn;
    void *ctx;
} subscribers[CONN_EVENTS_MAX_SUBSCRIBERS];
static uint64_t serials;
static int text_wanted;

void conn_events_want_text(int on)
{
    text_wanted += on ? 1 : -1;
}

int conn_model_text_wanted(void)
{
    return text_wanted > 0;
}

int conn_events_subscribe(conn_event_fn fn, void *ctx)
{
    for (int i = 0; i < CONN_EVENTS_MAX_SUBSCRIBERS; i++) {
        if (subscribers[i].fn == NULL) {
            subscribers[i].fn = fn;
            subscribers[i].ctx = ctx;
            return 0;
        }
    }
    return -1;
}

void conn_events_unsubscribe(conn_event_fn fn, void *ctx)
{
    for (int i = 0; i < CONN_EVENTS_MAX_SUBSCRIBERS; i++) {
        if (subscribers[i].fn == fn && subscribers[i].ctx == ctx) {
            subscribers[i].fn = NULL;
            subscribers[i].ctx = NULL;
        }
    }
}

int conn_model_wanted(void)
{
    for (int i = 0; i < CONN_EVENTS_MAX_SUBSCRIBERS; i++) {
        if (subscribers[i].fn != NULL) {
            return 1;
        }
    }
    return 0;
}

const char *conn_state_name(int state)
{
    static const char *const names[] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RCVD",
                                        "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                        "CLOSING",     "LAST_ACK",   "TIME_WAIT"};
    return state >= 0 && state <= CONN_TIME_WAIT ? names[state] : "?";
}

static int seq_geq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

static void publish(const struct flow *flow, struct conn_event *e, uint64_t at_us)
{
    e->serial = flow->model.serial;
    e->family = flow->key.family;
    e->local = flow->key.local;
    e->remote = flow->key.remote;
    e->local_port = flow->key.local_port;
    e->remote_port = flow->key.remote_port;
    e->t_us = at_us - flow->first_us;
    for (int i = 0; i < CONN_EVENTS_MAX_SUBSCRIBERS; i++) {
        if (subscribers[i].fn != NULL) {
            subscribers[i].fn(e, subscribers[i].ctx);
        }
    }
}

static void peer_enters(struct flow *flow, int to, uint32_t segment, int at_send, uint64_t at_us,
                        enum conn_certainty certainty, const char *why)
{
    struct flow_model *m = &flow->model;
    if (m->peer_state == to) {
        return;
    }
    struct conn_event e = {.kind = CONN_EVENT_PEER_STATE, .segment = segment};
    e.u.state.from = m->peer_state;
    e.u.state.to = to;
    e.u.state.at_send = at_send;
    e.u.state.certainty = certainty;
    e.u.state.cause = why;
    m->peer_state = to;
    publish(flow, &e, at_us);
}

/* RFC 9293: the peer in state s receives lwIP's FIN (which may also
 * acknowledge the peer's own FIN). */
static int on_fin(int s, int acks_its_fin)
{
    switch (s) {
    case CONN_ESTABLISHED:
    case CONN_SYN_RCVD:
        return CONN_CLOSE_WAIT;
    case CONN_FIN_WAIT_1:
        /* Crossed FINs: CLOSING until the peer's own FIN is acknowledged. */
        return acks_its_fin ? CONN_TIME_WAIT : CONN_CLOSING;
    case CONN_FIN_WAIT_2:
        return CONN_TIME_WAIT;
    case CONN_CLOSING:
        return acks_its_fin ? CONN_TIME_WAIT : s;
    default:
        return s;
    }
}

/* The peer in state s sees its own FIN acknowledged. */
static int on_ack_of_its_fin(int s)
{
    switch (s) {
    case CONN_FIN_WAIT_1:
        return CONN_FIN_WAIT_2;
    case CONN_CLOSING:
        return CONN_TIME_WAIT;
    case CONN_LAST_ACK:
        return CONN_CLOSED;
    default:
        return s;
    }
}

/* The peer receives one of lwIP's segments: RFC 9293's transitions on arrival. */
static void peer_receives(struct flow *flow, const struct flow_pending *p, enum conn_certainty certainty)
{
    int s = flow->model.peer_state;
    uint8_t w = p->what;
    if (s == CONN_CLOSED) {
        return;
    }
    if (w & PENDING_RST) {
        peer_enters(flow, CONN_CLOSED, p->number, 0, p->t_us, certainty, "lwIP's RST reset it");
        return;
    }
    if ((w & PENDING_SYN) && s == CONN_STATE_UNKNOWN) {
        flow->model.peer_state = CONN_LISTEN;
        peer_enters(flow, CONN_SYN_RCVD, p->number, 0, p->t_us, certainty, "it answered lwIP's SYN");
        return;
    }
    if (((w & PENDING_SYNACK) && s == CONN_SYN_SENT) || ((w & PENDING_ACKS_SYN) && s == CONN_SYN_RCVD)) {
        s = CONN_ESTABLISHED;
        peer_enters(flow, s, p->number, 0, p->t_us, certainty, "the handshake is complete");
    }
    int fin = (w & PENDING_FIN) != 0, acks_fin = (w & PENDING_ACKS_FIN) != 0;
    int to = fin ? on_fin(s, acks_fin) : acks_fin ? on_ack_of_its_fin(s) : s;
    const char *why = fin ? "it received lwIP's FIN" : "lwIP acknowledged its FIN";
    peer_enters(flow, to, p->number, 0, p->t_us, certainty, why);
}

static void drop_front(struct flow_model *m)
{
    memmove(&m->pending[0], &m->pending[1], (size_t)(m->pending_count - 1) * sizeof m->pending[0]);
    m->pending_count--;
}

/* The peer sent a segment: what its ack (or its mere answer) shows it had received. */
static void peer_answers(struct flow *flow, const struct frame_tcp *tcp)
{
    struct flow_model *m = &flow->model;
    while (m->pending_count > 0) {
        const struct flow_pending *p = &m->pending[0];
        int received = !(p->what & PENDING_NEEDS_ANSWER) || (p->what & PENDING_PROBE) ||
                       ((tcp->flags & FRAME_TCP_ACK) && seq_geq(tcp->ack, p->end));
        if (!received) {
            break;
        }
        struct flow_pending got = *p;
        drop_front(m);
        peer_receives(flow, &got, (got.what & PENDING_NEEDS_ANSWER) ? CONN_SEEN : CONN_ASSUMED);
    }
}

static void flush(struct flow *flow)
{
    struct flow_model *m = &flow->model;
    while (m->pending_count > 0) {
        struct flow_pending got = m->pending[0];
        drop_front(m);
        if (got.what & PENDING_NEEDS_ANSWER) {
            peer_enters(flow, CONN_STATE_UNKNOWN, got.number, 0, got.t_us, CONN_NO_ANSWER,
                        "no answer to lwIP's segments from here on");
            m->pending_count = 0;
            return;
        }
        peer_receives(flow, &got, CONN_ASSUMED);
    }
}

/* One of lwIP's segments went out (and was not dropped on the way). */
static void lwip_sent(struct flow *flow, const struct frame_tcp *tcp, const struct seg_note *note,
                      uint64_t now_us)
{
    struct flow_model *m = &flow->model;
    uint8_t f = tcp->flags;
    struct flow_pending p = {.number = m->segments, .t_us = now_us};
    uint32_t seg_len =
        (uint32_t)tcp->payload_len + ((f & FRAME_TCP_SYN) ? 1u : 0u) + ((f & FRAME_TCP_FIN) ? 1u : 0u);
    uint32_t end = tcp->seq + seg_len;
    if (f & FRAME_TCP_RST) {
        p.what = PENDING_RST;
    } else {
        if (seg_len > 0 && (!m->lwip_queued_any || !seq_geq(m->lwip_queued_end, end))) {
            p.what |= PENDING_SEQ;
            p.end = end;
            m->lwip_queued_end = end;
            m->lwip_queued_any = 1;
            if (f & FRAME_TCP_SYN) {
                p.what |= (f & FRAME_TCP_ACK) ? PENDING_SYNACK : PENDING_SYN;
            }
            if ((f & FRAME_TCP_FIN) && !m->lwip_fin_queued) {
                p.what |= PENDING_FIN;
                m->lwip_fin_queued = 1;
            }
        } else if (note->labels & (SEG_KEEPALIVE | SEG_ZERO_WINDOW_PROBE)) {
            p.what |= PENDING_PROBE;
        }
        if ((f & FRAME_TCP_ACK) && m->peer_syn_sent && !m->acked_peer_syn &&
            seq_geq(tcp->ack, m->peer_syn_end)) {
            p.what |= PENDING_ACKS_SYN;
            m->acked_peer_syn = 1;
        }
        if ((f & FRAME_TCP_ACK) && m->peer_fin_sent && !m->acked_peer_fin &&
            seq_geq(tcp->ack, m->peer_fin_end)) {
            p.what |= PENDING_ACKS_FIN;
            m->acked_peer_fin = 1;
        }
    }
    if (p.what == 0) {
        return;
    }
    if (!(p.what & PENDING_NEEDS_ANSWER) && m->pending_count == 0) {
        peer_receives(flow, &p, CONN_ASSUMED);
        return;
    }
    if ((p.what & ~(unsigned)PENDING_PROBE) == 0 && m->pending_count > 0 &&
        (m->pending[m->pending_count - 1].what & PENDING_PROBE)) {
        return; /* another probe after one still unanswered tells nothing new */
    }
    if (m->pending_count == FLOW_PENDING_MAX) {
        /* Bounded: the oldest is taken as received (only data fills the list). */
        struct flow_pending got = m->pending[0];
        drop_front(m);
        peer_receives(flow, &got, CONN_ASSUMED);
    }
    m->pending[m->pending_count++] = p;
}

/* The peer sent this segment: its own transitions (RFC 9293, on sending). */
static void peer_sent(struct flow *flow, const struct frame_tcp *tcp, uint64_t now_us)
{
    struct flow_model *m = &flow->model;
    uint8_t f = tcp->flags;
    int s = m->peer_state;
    if (f & FRAME_TCP_RST) {
        m->pending_count = 0;
        if (s == CONN_STATE_UNKNOWN) {
            m->peer_state = CONN_CLOSED; /* it refused lwIP's SYN: nothing was listening */
        }
        peer_enters(flow, CONN_CLOSED, m->segments, 1, now_us, CONN_SEEN, "it sent a RST");
        return;
    }
    if (f & FRAME_TCP_SYN) {
        if (!m->peer_syn_sent) {
            m->peer_syn_sent = 1;
            m->peer_syn_end = tcp->seq + 1;
        }
        if (!(f & FRAME_TCP_ACK) && (s == CONN_STATE_UNKNOWN || s == CONN_CLOSED)) {
            m->peer_state = CONN_CLOSED;
            peer_enters(flow, CONN_SYN_SENT, m->segments, 1, now_us, CONN_SEEN, "it sent a SYN");
        }
    }
    if ((f & FRAME_TCP_FIN) && !m->peer_fin_sent) {
        m->peer_fin_sent = 1;
        m->peer_fin_end = tcp->seq + (uint32_t)tcp->payload_len + ((f & FRAME_TCP_SYN) ? 1u : 0u) + 1u;
        if (s == CONN_ESTABLISHED || s == CONN_SYN_RCVD) {
            peer_enters(flow, CONN_FIN_WAIT_1, m->segments, 1, now_us, CONN_SEEN, "it sent its FIN first");
        } else if (s == CONN_CLOSE_WAIT) {
            peer_enters(flow, CONN_LAST_ACK, m->segments, 1, now_us, CONN_SEEN,
                        "it sent its FIN after lwIP's");
        }
    }
}

void conn_model_begin(struct flow *flow, const struct frame_tcp *tcp, uint64_t now_us)
{
    struct flow_model *m = &flow->model;
    if (m->serial != 0 && !m->closed) {
        return;
    }
    if (m->serial != 0 && (tcp->flags & (FRAME_TCP_SYN | FRAME_TCP_ACK)) == FRAME_TCP_SYN) {
        /* The same ports again after lwIP freed the connection: a new one,
         * counted from its own SYN. */
        memset(flow->half, 0, sizeof flow->half);
        flow->half[FLOW_LWIP].wscale = FLOW_NO_WSCALE;
        flow->half[FLOW_PEER].wscale = FLOW_NO_WSCALE;
        flow->scaling = 0;
        flow->challenge_pending = 0;
        flow->first_us = now_us;
    }
    memset(m, 0, sizeof *m);
    m->serial = ++serials;
    m->peer_state = CONN_STATE_UNKNOWN;
}

void conn_model_segment(struct flow *flow, const struct frame_tcp *tcp, int tx, int dropped,
                        const struct seg_note *note, const char *labels, const char *line, const char *why,
                        uint64_t now_us)
{
    struct flow_model *m = &flow->model;
    if (m->serial == 0 || m->closed) {
        conn_model_begin(flow, tcp, now_us);
    }
    uint32_t number = ++m->segments;
    if (!tx) {
        peer_answers(flow, tcp);
    }
    struct conn_event e = {.kind = CONN_EVENT_SEGMENT, .segment = number};
    struct conn_segment *s = &e.u.seg;
    char options[256] = "";
    s->tx = tx;
    s->dropped = dropped;
    s->flags = tcp->flags;
    s->seq = tcp->seq - note->seq_base;
    s->ack = tcp->ack - note->ack_base;
    s->window = note->window;
    s->len = tcp->payload_len;
    s->labels = note->labels;
    s->label_text = labels != NULL ? labels : "";
    if (tcp->options_len > 0 && conn_model_wanted()) {
        timeline_format_options(tcp, note, options, sizeof options);
    }
    s->options = options;
    s->line = line != NULL ? line : "";
    s->why = why != NULL ? why : "";
    s->peer_saw_before = m->pending_count > 0 ? m->pending[0].number : number;
    publish(flow, &e, now_us);
    if (tx) {
        if (!dropped) {
            lwip_sent(flow, tcp, note, now_us);
        }
    } else {
        peer_sent(flow, tcp, now_us);
    }
}

void conn_events_lwip_state(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                            uint16_t remote_port, int from, int to, const char *cause)
{
    struct flow_key key;
    flow_key_make(family, local, local_port, remote, remote_port, &key);
    struct flow *flow = flow_find(&key, 0, 0);
    if (flow == NULL || flow->model.serial == 0 || flow->model.closed) {
        return;
    }
    uint64_t now = timeline_now_us();
    struct conn_event e = {.kind = CONN_EVENT_LWIP_STATE, .segment = flow->model.segments};
    e.u.state.from = from;
    e.u.state.to = to;
    e.u.state.cause = cause;
    e.u.state.certainty = CONN_SEEN;
    publish(flow, &e, now);
    if (to == CONN_CLOSED) {
        flush(flow);
        struct conn_event closed = {.kind = CONN_EVENT_CLOSED, .segment = flow->model.segments};
        closed.u.state.from = flow->model.peer_state;
        closed.u.state.to = flow->model.peer_state;
        closed.u.state.cause = cause;
        flow->model.closed = 1;
        publish(flow, &closed, now);
    }
}

static void finish_flow(struct flow *flow)
{
    if (flow->model.serial == 0 || flow->model.closed) {
        return;
    }
    flush(flow);
    struct conn_event closed = {.kind = CONN_EVENT_CLOSED, .segment = flow->model.segments};
    closed.u.state.from = flow->model.peer_state;
    closed.u.state.to = flow->model.peer_state;
    closed.u.state.cause = "exit";
    flow->model.closed = 1;
    publish(flow, &closed, timeline_now_us());
}

void conn_events_finish(void)
{
    flow_for_each(finish_flow);
}
