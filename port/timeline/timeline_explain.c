/* --explain: what a segment means, for someone learning TCP. */
#include <stdio.h>
#include <string.h>

#include "timeline_format.h"

/* Labels say why a segment is special: said first, since they matter most. */
static int explain_labels(const struct seg_note *note, const char *who, char *out, size_t outlen,
                          size_t *used)
{
    unsigned l = note->labels;
    if (l & SEG_SYN_COOKIE) {
        timeline_append(out, outlen, used,
                        "SYN-ACK with a SYN cookie (RFC 4987): lwIP's guard keeps no state for this "
                        "connection yet, because its half-open table is full or memory cannot promise "
                        "it a window now. Its sequence number encodes the connection, and the host's ACK "
                        "will bring it back. The window is 0: no data may come until lwIP opens it. ");
        return 1;
    }
    if (l & SEG_RST_NO_CONNECTION) {
        timeline_append(out, outlen, used,
                        "Nothing in lwIP matches this connection (no listener on the port, or no such "
                        "connection), so lwIP refuses it with a RST. ");
    } else if (l & SEG_RST_ABORT) {
        timeline_append(out, outlen, used,
                        "lwIP aborts the connection with a RST: no FIN handshake, and whatever was "
                        "still in flight is thrown away. ");
    } else if (l & SEG_RST_FROM_PEER) {
        timeline_append(out, outlen, used, "The host resets the connection (RST): lwIP drops it at once. ");
    } else if (l & SEG_FAST_RETRANSMISSION) {
        timeline_append(out, outlen, used,
                        "%s sends this again after three duplicate ACKs, without waiting for its timer: "
                        "a fast retransmission. ",
                        who);
    } else if ((l & SEG_RETRANSMISSION) && note->resent_after_us != 0) {
        timeline_append(out, outlen, used,
                        "%s sends this again: no ACK for it came back within its retransmission timeout "
                        "(RTO), and %.3f s have passed since its previous copy. ",
                        who, (double)note->resent_after_us / 1e6);
    } else if (l & SEG_RETRANSMISSION) {
        timeline_append(out, outlen, used,
                        "%s sends this again: no ACK for it came back before its retransmission timer "
                        "(RTO) ran out. ",
                        who);
    } else if (l & SEG_ZERO_WINDOW_PROBE) {
        timeline_append(out, outlen, used,
                        "The receiver's window is 0, so %s may not send; it probes with one byte to "
                        "learn when the window opens (a zero-window probe). ",
                        who);
    } else if (l & SEG_KEEPALIVE) {
        timeline_append(out, outlen, used,
                        "A keepalive: after a long silence %s repeats an old sequence number, which the "
                        "other side must answer if it is still there. ",
                        who);
    } else if (l & SEG_CHALLENGE_ACK) {
        timeline_append(out, outlen, used,
                        "A challenge ACK (RFC 5961): lwIP does not trust the RST or SYN it just got and "
                        "tells the host where the connection really is; a real peer answers that. ");
    } else if (l & SEG_DUPLICATE_ACK) {
        timeline_append(out, outlen, used,
                        "Duplicate ACK #%u: the same ACK again, so data after a missing segment arrived. "
                        "Three of them make the sender resend at once. ",
                        note->dup_ack_number);
    } else if (l & SEG_WINDOW_UPDATE) {
        timeline_append(out, outlen, used,
                        "A window update: nothing new is acknowledged, only the window changed (%u bytes) "
                        "because the receiver's application read data. ",
                        note->window);
    } else if (l & SEG_GAP_BEFORE) {
        timeline_append(out, outlen, used,
                        "This starts beyond what %s sent before: a segment in between was lost or is "
                        "late, and the receiver keeps this one until the gap is filled. ",
                        who);
    }
    if (l & SEG_ZERO_WINDOW) {
        timeline_append(out, outlen, used,
                        "Window 0: the receiver's buffer is full and the sender must wait. ");
    }
    return l != 0 && l != SEG_ZERO_WINDOW;
}

/* Sentences are built from parts: the first letter up, no space at the end. */
static void tidy(char *out)
{
    if (out[0] >= 'a' && out[0] <= 'z' && strncmp(out, "lwIP", 4) != 0) {
        out[0] = (char)(out[0] - 'a' + 'A');
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ') {
        out[--n] = '\0';
    }
}

static void explain_segment(const struct flow *flow, const struct frame_tcp *tcp, const struct seg_note *note,
                            int tx, char *out, size_t outlen)
{
    const char *who = tx ? "lwIP" : "the host";
    const char *other = tx ? "the host" : "lwIP";
    const struct flow_half *s = &flow->half[tx ? FLOW_LWIP : FLOW_PEER];
    size_t used = 0;
    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    if (explain_labels(note, tx ? "lwIP" : "The host", out, outlen, &used) &&
        !(note->labels & SEG_RETRANSMISSION)) {
        return;
    }
    uint8_t f = tcp->flags;
    uint32_t seq = tcp->seq - note->seq_base, ack = tcp->ack - note->ack_base;
    if ((f & FRAME_TCP_SYN) && !(f & FRAME_TCP_ACK)) {
        timeline_append(out, outlen, &used,
                        "SYN: %s asks to open a connection. Its first sequence number (ISN) is %u; the "
                        "timeline counts from it, so the SYN is byte 0.",
                        who, s->isn);
    } else if (f & FRAME_TCP_SYN) {
        timeline_append(out, outlen, &used,
                        "SYN-ACK: %s agrees, with its own ISN (%u), and ack 1 acknowledges %s's SYN "
                        "(a SYN counts as one byte).",
                        who, s->isn, other);
    } else if (f & FRAME_TCP_RST) {
        return;
    } else if (tcp->payload_len > 0 || (f & FRAME_TCP_FIN)) {
        if (tcp->payload_len > 0) {
            timeline_append(
                out, outlen, &used, "%s sends %zu bytes of data, bytes %u to %u of its stream%s. ",
                tx ? "lwIP" : "The host", tcp->payload_len, seq, seq + (uint32_t)tcp->payload_len - 1,
                (f & FRAME_TCP_PSH) ? " (PSH: hand them to the application now)" : "");
        }
        int other_closed = tx ? flow->model.peer_fin_sent : flow->model.lwip_fin_queued;
        if ((f & FRAME_TCP_FIN) && other_closed) {
            timeline_append(out, outlen, &used,
                            "FIN: %s has nothing more to send either: %s sent its FIN already, so both sides "
                            "are closing.",
                            who, other);
        } else if (f & FRAME_TCP_FIN) {
            timeline_append(out, outlen, &used,
                            "FIN: %s has nothing more to send; it can still receive until %s closes too.",
                            who, other);
        }
    } else if (seq == 1 && ack == 1 && flow->half[tx ? FLOW_PEER : FLOW_LWIP].syn_seen &&
               s->counts.segments <= 2) {
        timeline_append(out, outlen, &used,
                        "%s acknowledges the SYN-ACK: the three-way handshake is complete and both "
                        "sides may send.",
                        who);
    } else if (f & FRAME_TCP_ACK) {
        timeline_append(out, outlen, &used,
                        "%s has received everything before byte %u and has room for %u more bytes.", who, ack,
                        note->window);
    }
}

void timeline_explain_segment(const struct flow *flow, const struct frame_tcp *tcp,
                              const struct seg_note *note, int tx, char *out, size_t outlen)
{
    if (outlen == 0) {
        return;
    }
    explain_segment(flow, tcp, note, tx, out, outlen);
    tidy(out);
}

void timeline_explain_peer(const struct conn_event *e, char *out, size_t outlen)
{
    const struct conn_state_change *c = &e->u.state;
    double at = (double)e->t_us / 1e6;
    if (c->certainty == CONN_NO_ANSWER) {
        snprintf(
            out, outlen,
            "The host has not answered lwIP since t+%.6f: what state it is in is not known from here on.",
            at);
    } else if (c->at_send) {
        snprintf(out, outlen, "The host went %s -> %s when it sent this (%s).", conn_state_name(c->from),
                 conn_state_name(c->to), c->cause);
    } else if (c->certainty == CONN_SEEN) {
        snprintf(out, outlen,
                 "The host's ack shows it had received lwIP's segment of t+%.6f before sending this: it went "
                 "%s -> %s on receiving it (%s).",
                 at, conn_state_name(c->from), conn_state_name(c->to), c->cause);
    } else {
        snprintf(
            out, outlen,
            "lwIP's segment of t+%.6f takes the host %s -> %s once it arrives (%s; nothing the host sends "
            "will show it).",
            at, conn_state_name(c->from), conn_state_name(c->to), c->cause);
    }
}
