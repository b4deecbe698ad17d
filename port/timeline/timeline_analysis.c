#include "timeline_analysis.h"

/* Sequence space is circular: compare by the sign of the difference. */
static int seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static int seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

uint32_t flow_window_bytes(const struct flow *flow, const struct flow_half *sender,
                           const struct frame_tcp *tcp)
{
    /* RFC 7323: the window of a SYN is never scaled. */
    if (!flow->scaling || (tcp->flags & FRAME_TCP_SYN) || sender->wscale > 14) {
        return tcp->window;
    }
    return (uint32_t)tcp->window << sender->wscale;
}

uint8_t tcp_option_wscale(const uint8_t *options, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = options[i];
        if (kind == 0) {
            break;
        }
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || options[i + 1] < 2 || i + options[i + 1] > len) {
            break;
        }
        if (kind == 3 && options[i + 1] == 3) {
            /* RFC 7323: a shift above 14 is used as 14. */
            return options[i + 2] > 14 ? 14 : options[i + 2];
        }
        i += options[i + 1];
    }
    return FLOW_NO_WSCALE;
}

static void note_syn(struct flow *flow, struct flow_half *s, const struct frame_tcp *tcp,
                     struct seg_note *note)
{
    if (s->syn_seen && tcp->seq == s->isn) {
        /* What the first SYN said stands: a copy cannot change the window
         * scale that the connection agreed on. */
        note->labels |= SEG_RETRANSMISSION;
        s->counts.retransmissions++;
        return;
    }
    if (s->syn_seen || s->has_isn) {
        /* A new SYN on a synchronised connection: RFC 5961 answers it with a challenge ACK. */
        flow->challenge_pending = 1;
        return;
    }
    s->syn_seen = 1;
    s->has_isn = 1;
    s->isn = tcp->seq;
    s->next_seq = tcp->seq + 1 + (uint32_t)tcp->payload_len + ((tcp->flags & FRAME_TCP_FIN) ? 1u : 0u);
    s->wscale = tcp_option_wscale(tcp->options, tcp->options_len);
}

static void note_rst(struct flow *flow, const struct flow_half *s, const struct flow_half *r,
                     const struct frame_tcp *tcp, int tx, struct seg_note *note)
{
    if (!tx) {
        note->labels |= SEG_RST_FROM_PEER;
        /* RFC 5961: a RST that is in the window but not exactly at the next
         * expected byte gets a challenge ACK. */
        if (s->has_isn && r->has_ack && tcp->seq != r->last_ack) {
            flow->challenge_pending = 1;
        }
        return;
    }
    note->labels |= s->syn_seen ? SEG_RST_ABORT : SEG_RST_NO_CONNECTION;
}

/* An old sequence number while everything is acknowledged: the peer must
 * answer with an ACK, which tells whether it is still there. */
static int is_keepalive(const struct flow_half *s, const struct flow_half *r, const struct frame_tcp *tcp)
{
    return s->has_isn && tcp->seq == s->next_seq - 1 && r->has_ack && r->last_ack == s->next_seq;
}

/* A segment that occupies sequence space (data, SYN or FIN). */
static void note_data(struct flow_half *s, const struct flow_half *r, const struct frame_tcp *tcp,
                      uint32_t seg_len, struct seg_note *note)
{
    uint32_t end = tcp->seq + seg_len;
    int zero_window = r->has_window && r->last_window == 0;
    if (!s->has_isn) {
        s->has_isn = 1;
        s->isn = tcp->seq;
        s->next_seq = tcp->seq;
    }
    if (tcp->payload_len <= 1 && !(tcp->flags & FRAME_TCP_FIN) && is_keepalive(s, r, tcp)) {
        note->labels |= SEG_KEEPALIVE;
        return;
    }
    if (zero_window && tcp->payload_len <= 1) {
        note->labels |= SEG_ZERO_WINDOW_PROBE;
        if (!s->probe_only && seq_after(end, s->next_seq)) {
            s->probe_only = 1;
            s->probe_from = s->next_seq;
        }
    } else if (s->probe_only && !seq_before(tcp->seq, s->probe_from)) {
        s->probe_only = 0; /* the window opened: the probed byte goes with the rest */
    } else if (seq_before(tcp->seq, s->next_seq)) {
        note->labels |= r->dup_acks >= 3 ? SEG_FAST_RETRANSMISSION : SEG_RETRANSMISSION;
        s->counts.retransmissions++;
    } else if (seq_after(tcp->seq, s->next_seq)) {
        note->labels |= SEG_GAP_BEFORE;
    }
    /* Bytes count once, when the sequence space first covers them: bytes
     * skipped by a gap count here, and not again when they are resent. */
    if (seq_after(end, s->next_seq)) {
        s->counts.bytes += end - s->next_seq - ((tcp->flags & FRAME_TCP_FIN) ? 1u : 0u);
        s->next_seq = end;
    }
}

/* A segment that occupies no sequence space: an ACK, maybe special. */
static void note_ack_only(struct flow *flow, struct flow_half *s, const struct flow_half *r,
                          const struct frame_tcp *tcp, int tx, struct seg_note *note)
{
    if (is_keepalive(s, r, tcp)) {
        note->labels |= SEG_KEEPALIVE;
        return;
    }
    if (tx && flow->challenge_pending) {
        note->labels |= SEG_CHALLENGE_ACK;
        return;
    }
    if (!(tcp->flags & FRAME_TCP_ACK) || !s->has_ack || tcp->ack != s->last_ack) {
        return;
    }
    if (s->has_window && note->window != s->last_window) {
        note->labels |= SEG_WINDOW_UPDATE;
    } else if (r->has_isn && seq_after(r->next_seq, tcp->ack)) {
        s->dup_acks++;
        note->labels |= SEG_DUPLICATE_ACK;
        note->dup_ack_number = s->dup_acks;
    }
}

/* Remembers when a segment starting at seq was sent, and says how long ago
 * the previous copy went (0 when it is not remembered). */
static uint64_t note_sent(struct flow_half *s, uint32_t seq, uint64_t now_us)
{
    /* Stored plus one: 0 marks an empty slot, and a clock may start at 0. */
    uint64_t stamp = now_us + 1;
    for (int i = 0; i < FLOW_SENT_MEMORY; i++) {
        if (s->sent[i].us != 0 && s->sent[i].seq == seq) {
            uint64_t before = stamp - s->sent[i].us;
            s->sent[i].us = stamp;
            return before != 0 ? before : 1;
        }
    }
    s->sent[s->sent_next].seq = seq;
    s->sent[s->sent_next].us = stamp;
    s->sent_next = (uint8_t)((s->sent_next + 1) % FLOW_SENT_MEMORY);
    return 0;
}

void timeline_analyse(struct flow *flow, const struct frame_tcp *tcp, int tx, uint64_t now_us,
                      struct seg_note *note)
{
    struct flow_half *s = &flow->half[tx ? FLOW_LWIP : FLOW_PEER];
    struct flow_half *r = &flow->half[tx ? FLOW_PEER : FLOW_LWIP];
    note->labels = 0;
    note->dup_ack_number = 0;
    note->resent_after_us = 0;
    s->counts.segments++;

    if (tcp->flags & FRAME_TCP_SYN) {
        note_syn(flow, s, tcp, note);
        if ((tcp->flags & FRAME_TCP_ACK) && s->wscale != FLOW_NO_WSCALE && r->wscale != FLOW_NO_WSCALE) {
            flow->scaling = 1;
        }
    }
    note->window = flow_window_bytes(flow, s, tcp);

    uint32_t seg_len = (uint32_t)tcp->payload_len + ((tcp->flags & FRAME_TCP_FIN) ? 1u : 0u);
    if (tcp->flags & FRAME_TCP_RST) {
        note_rst(flow, s, r, tcp, tx, note);
    } else if (!(tcp->flags & FRAME_TCP_SYN)) {
        if (seg_len > 0) {
            note_data(s, r, tcp, seg_len, note);
        } else {
            note_ack_only(flow, s, r, tcp, tx, note);
        }
        if (tx && !(note->labels & SEG_CHALLENGE_ACK)) {
            flow->challenge_pending = 0;
        }
    }
    if (tx && (note->labels & SEG_CHALLENGE_ACK)) {
        flow->challenge_pending = 0;
    }
    if (tcp->flags & FRAME_TCP_SYN && !(tcp->flags & FRAME_TCP_RST)) {
        s->counts.bytes += tcp->payload_len;
    }
    if (!(note->labels & SEG_DUPLICATE_ACK)) {
        s->dup_acks = 0;
    }
    if ((tcp->flags & (FRAME_TCP_SYN | FRAME_TCP_FIN)) || tcp->payload_len > 0) {
        uint64_t before = note_sent(s, tcp->seq, now_us);
        if (note->labels & (SEG_RETRANSMISSION | SEG_FAST_RETRANSMISSION)) {
            note->resent_after_us = before;
        }
    }
    if (tcp->window == 0 && !(tcp->flags & FRAME_TCP_RST)) {
        note->labels |= SEG_ZERO_WINDOW;
    }
    if ((tcp->flags & FRAME_TCP_ACK) && (!s->has_ack || seq_after(tcp->ack, s->last_ack))) {
        s->last_ack = tcp->ack;
        s->has_ack = 1;
    }
    /* A SYN's window is in other units (never scaled): comparing it with the
     * next ACK's would make that ACK a "window update". */
    if (!(tcp->flags & (FRAME_TCP_RST | FRAME_TCP_SYN))) {
        s->last_window = note->window;
        s->has_window = 1;
    }
    note->seq_base = s->has_isn ? s->isn : tcp->seq;
    note->ack_base = r->has_isn ? r->isn : 0;
}
