/* One model of every TCP connection, as a stream of events that every view
 * draws from (the --diagram, and any later view such as a live web page):
 *
 *   CONN_EVENT_SEGMENT     a segment lwIP sent or received, or a fault stage
 *                          dropped, with the timeline's own analysis (relative
 *                          seq/ack, scaled window, labels): the numbers --trace
 *                          prints;
 *   CONN_EVENT_LWIP_STATE  lwIP's pcb changed state (the TCP state log), with
 *                          its cause;
 *   CONN_EVENT_PEER_STATE  the peer's state, inferred from sequence and ack
 *                          numbers as RFC 9293's state machine would see them;
 *   CONN_EVENT_CLOSED      lwIP freed the connection: the last event of it.
 *
 * Events come in the order they are known. A peer's state change that is
 * only proven later (the host's ack 15 shows it had received lwIP's FIN) is
 * published when the proof arrives, and says where it belongs: at the
 * segment numbered `segment`, when the peer sent it or received it. A host
 * FIN whose ack does not cover lwIP's FIN was sent before the host saw ours:
 * the host went FIN_WAIT_1 -> CLOSING -> TIME_WAIT, and its FIN's
 * `peer_saw_before` says which of lwIP's segments it had seen.
 *
 * The cost per frame is O(1) in the number of connections (the timeline's
 * flow table, and a few pending segments per flow). */
#ifndef LWIPTAP_CONN_EVENTS_H
#define LWIPTAP_CONN_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* RFC 9293's states, numbered as lwIP's enum tcp_state (app/ checks that). */
enum conn_state {
    CONN_STATE_UNKNOWN = -1, /* a peer state no segment told */
    CONN_CLOSED,
    CONN_LISTEN,
    CONN_SYN_SENT,
    CONN_SYN_RCVD,
    CONN_ESTABLISHED,
    CONN_FIN_WAIT_1,
    CONN_FIN_WAIT_2,
    CONN_CLOSE_WAIT,
    CONN_CLOSING,
    CONN_LAST_ACK,
    CONN_TIME_WAIT,
};
#define CONN_EVENTS_MAX_SUBSCRIBERS 8

/* What the timeline found a segment to be (its labels). */
enum seg_label {
    SEG_RETRANSMISSION = 1u << 0,
    SEG_FAST_RETRANSMISSION = 1u << 1,
    SEG_ZERO_WINDOW_PROBE = 1u << 2,
    SEG_KEEPALIVE = 1u << 3,
    SEG_WINDOW_UPDATE = 1u << 4,
    SEG_DUPLICATE_ACK = 1u << 5,
    SEG_CHALLENGE_ACK = 1u << 6,
    SEG_ZERO_WINDOW = 1u << 7,
    SEG_GAP_BEFORE = 1u << 8, /* data beyond what the sender sent before: something is missing */
    SEG_RST_NO_CONNECTION = 1u << 9,
    SEG_RST_ABORT = 1u << 10,
    SEG_RST_FROM_PEER = 1u << 11,
    SEG_SYN_COOKIE = 1u << 12, /* lwIP's guard answers with a SYN cookie and keeps no state */
};

enum conn_event_kind {
    CONN_EVENT_SEGMENT,
    CONN_EVENT_LWIP_STATE,
    CONN_EVENT_PEER_STATE,
    CONN_EVENT_CLOSED,
};

/* How the peer's state is known. */
enum conn_certainty {
    CONN_SEEN,      /* the peer's own segments prove it (its flags, its ack numbers) */
    CONN_ASSUMED,   /* a segment that asks no answer (an ACK, a RST) is taken as received */
    CONN_NO_ANSWER, /* lwIP's segments from `segment` on got no answer: the peer's state is not known */
};

struct conn_segment {
    int tx;      /* lwIP sent it */
    int dropped; /* a fault stage dropped it: it never arrived */
    uint8_t flags;
    uint32_t seq, ack; /* relative, as --trace shows them (also with --absolute: the model is relative) */
    uint32_t window;   /* in bytes, scaled as --trace shows it */
    size_t len;        /* payload bytes */
    unsigned labels;   /* enum seg_label bits */
    const char *label_text; /* "" or " (retransmission after 1000 ms)", as --trace shows them */
    const char *options;    /* "" or "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", as --trace */
    /* The --trace line and the --explain sentence: "" unless a subscriber
     * asked for them (conn_events_want_text) or --trace prints them. */
    const char *line, *why;
    /* A segment the peer sent: the peer had received lwIP's segments numbered
     * below this, none from it on (equal to its own number when it had seen all). */
    uint32_t peer_saw_before;
};

struct conn_state_change {
    int from, to;                  /* lwIP's enum tcp_state values, or CONN_STATE_UNKNOWN */
    int at_send;                   /* peer: 1 when the peer sent segment `segment`, 0 when it received it */
    enum conn_certainty certainty; /* peer */
    const char *cause;             /* lwIP: "rx [F.]", "app", "timer", ... (as the state log); peer: why */
};

struct conn_event {
    enum conn_event_kind kind;
    uint64_t serial;               /* the connection: 1, 2, ... in the order connections opened */
    int family;                    /* AF_INET, AF_INET6 */
    const uint8_t *local, *remote; /* lwIP's end and the peer's, 4 or 16 bytes, network order */
    uint16_t local_port, remote_port;
    /* SEGMENT: its number in the connection (1, 2, ... both ways together);
     * states: the segment the change belongs to (0 before any). */
    uint32_t segment;
    uint64_t t_us; /* since the connection's first segment (the timeline's t+) */
    union {
        struct conn_segment seg;        /* SEGMENT */
        struct conn_state_change state; /* LWIP_STATE, PEER_STATE; CLOSED: the peer's last state in `to` */
    } u;
};

typedef void (*conn_event_fn)(const struct conn_event *event, void *ctx);

/* 0, or -1 when CONN_EVENTS_MAX_SUBSCRIBERS are subscribed already. */
int conn_events_subscribe(conn_event_fn fn, void *ctx);
void conn_events_unsubscribe(conn_event_fn fn, void *ctx);

/* A subscriber that shows each segment's --trace line and --explain sentence
 * (the --web page) asks for them while it listens, as making them costs every
 * segment a line and an explanation: 1 to ask, 0 to stop; calls nest. */
void conn_events_want_text(int on);

/* The state log reports a change of lwIP's pcb (addresses 4 or 16 bytes,
 * network order); a change to CLOSED ends the connection's events. */
void conn_events_lwip_state(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                            uint16_t remote_port, int from, int to, const char *cause);

/* At exit: ends every connection still open (its CLOSED event), saying what
 * is still unknown of its peer. */
void conn_events_finish(void);

/* "CLOSE_WAIT", or "?" for CONN_STATE_UNKNOWN. */
const char *conn_state_name(int state);

#endif
