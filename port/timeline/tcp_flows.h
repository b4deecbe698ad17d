/* The connections the timeline follows, found by address and port in O(1)
 * and kept in a table of bounded size (least recently seen flow recycled). */
#ifndef LWIPTAP_TCP_FLOWS_H
#define LWIPTAP_TCP_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/frame_info.h"
#include "lwiptap/timeline.h"

#define FLOW_NO_WSCALE 0xff
#define FLOW_SENT_MEMORY 4

/* What one side of a connection has sent so far. */
struct flow_half {
    uint32_t isn;      /* the base for relative numbers: the SYN's seq, or the first seq seen */
    uint32_t next_seq; /* one past the highest sequence number sent */
    uint32_t last_ack;
    uint32_t last_window; /* in bytes, scaled */
    uint8_t has_isn, has_ack, has_window, syn_seen;
    uint8_t wscale;    /* the shift this side announced in its SYN, or FLOW_NO_WSCALE */
    uint32_t dup_acks; /* in a row, same ack and window, while the other side has data in flight */
    /* Bytes from probe_from on went out only in zero-window probes, which a
     * closed window refused: sending them again once it opens is no
     * retransmission, nothing was lost. */
    uint32_t probe_from;
    uint8_t probe_only;
    /* When the last few segments were sent, by starting sequence number: a
     * retransmission says how long after its previous copy it came. */
    struct {
        uint32_t seq;
        uint64_t us;
    } sent[FLOW_SENT_MEMORY];
    uint8_t sent_next;
    struct timeline_direction counts;
};

enum { FLOW_LWIP = 0, FLOW_PEER = 1 };

#define FLOW_PENDING_MAX 8

/* One of lwIP's segments on its way to the peer, whose arrival the model
 * (port/conn_model.c) has not placed yet: what the peer does on receiving it. */
struct flow_pending {
    uint32_t number; /* the segment's number in the connection */
    uint32_t end;    /* absolute sequence number just past it (with FLOW_PENDING_SEQ) */
    uint64_t t_us;
    uint8_t what; /* FLOW_PENDING_* bits */
};

/* The connection model: the numbering of its segments and the peer's state
 * as its sequence and ack numbers show it. */
struct flow_model {
    uint64_t serial; /* 0 until the first segment */
    uint32_t segments;
    int peer_state;                      /* enum tcp_state, or CONN_STATE_UNKNOWN */
    uint32_t peer_syn_end, peer_fin_end; /* absolute, once sent */
    uint32_t lwip_queued_end;            /* absolute: lwIP's sequence space queued so far */
    uint8_t peer_syn_sent, peer_fin_sent, lwip_queued_any, lwip_fin_queued, acked_peer_syn, acked_peer_fin;
    uint8_t closed; /* lwIP freed the connection */
    uint8_t pending_count;
    struct flow_pending pending[FLOW_PENDING_MAX];
};

/* No padding (the spare byte is explicit): keys are hashed and compared as bytes. */
struct flow_key {
    uint8_t family;
    uint8_t local[16], remote[16];
    uint8_t spare;
    uint16_t local_port, remote_port;
};
_Static_assert(sizeof(struct flow_key) == 38, "struct flow_key has no padding");

struct flow {
    struct flow_key key;
    struct flow_half half[2]; /* FLOW_LWIP, FLOW_PEER */
    uint64_t first_us;
    uint8_t scaling;           /* both SYNs announced a window scale */
    uint8_t challenge_pending; /* the peer sent a RST or SYN that calls for a challenge ACK */
    uint8_t peer_syn_unanswered;
    struct flow_model model;
    struct flow *hash_next;
    struct flow *lru_prev, *lru_next;
};

/* The key of the connection tcp belongs to; tx: lwIP sent it. */
void flow_key_of(const struct frame_tcp *tcp, int tx, struct flow_key *key);

/* The key of lwIP's end and the peer's (addresses 4 or 16 bytes, network order). */
void flow_key_make(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                   uint16_t remote_port, struct flow_key *key);

/* The flow for key, or NULL. With create, a missing flow is made (recycling
 * the least recently seen one when the table is full); now_us starts it. */
struct flow *flow_find(const struct flow_key *key, int create, uint64_t now_us);

void flow_forget_all(void);

/* Calls fn for every flow, most recently seen first. */
void flow_for_each(void (*fn)(struct flow *flow));

#endif
