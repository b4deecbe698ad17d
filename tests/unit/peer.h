/* The host side of one TCP connection to lwIP, played by the test: it keeps
 * the sequence numbers, windows and timestamps a real peer would, sends
 * segments through the fixture and reads lwIP's answers back. */
#ifndef UNIT_PEER_H
#define UNIT_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"

#define PEER_MSS 1460
#define PEER_WSCALE 7
#define PEER_WINDOW 0xffff /* field value; with PEER_WSCALE it is 8 MB: lwIP is never blocked by us */

struct peer {
    uint16_t port;
    uint16_t server_port;
    uint32_t snd_nxt;      /* next sequence number the peer sends */
    uint32_t snd_una;      /* the highest acknowledgement from lwIP */
    uint32_t snd_wnd;      /* lwIP's receive window, in bytes, from snd_una */
    uint32_t rcv_nxt;      /* next sequence number expected from lwIP */
    int lwip_wscale;       /* shift of the window fields lwIP sends after its SYN */
    uint16_t lwip_mss;     /* from lwIP's SYN-ACK */
    uint16_t syn_mss;      /* the MSS our SYN announces: PEER_MSS unless set after peer_init */
    uint16_t window_field; /* what the peer's segments advertise: PEER_WINDOW unless set */
    int timestamps;        /* negotiated: every segment carries the option */
    uint32_t tsval;        /* the peer's timestamp clock */
    uint32_t ts_recent;    /* lwIP's last TSval, echoed back */
    int acks_frozen;       /* while set, the peer acknowledges frozen_ack, not rcv_nxt */
    uint32_t frozen_ack;
    uint8_t *stream; /* when set, in-order bytes from lwIP are appended here */
    size_t stream_cap;
    size_t stream_len;
};

void peer_init(struct peer *p, uint16_t port, uint16_t server_port, uint32_t iss);

/* Sends a segment at snd_nxt (with SYN: MSS, window scale, SACK-permitted and
 * timestamp options) and advances snd_nxt past it. */
void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len);
/* The same at any sequence number, e.g. out of order; snd_nxt stays. */
void peer_send_at(struct peer *p, uint32_t seq, uint8_t flags, const void *data, size_t len);

/* The next segment lwIP sent on this connection: 1, or 0 when there is none.
 * Tracks lwIP's acknowledgements, window, timestamps and in-order data.
 * Segments of other connections are skipped: tests run one at a time. */
int peer_recv(struct peer *p, struct segment *s);

/* The other way round: takes lwIP's SYN to port and answers it with a
 * SYN-ACK, or with a RST when refuse is set (a closed port). */
void peer_accept(struct peer *p, uint16_t port, uint32_t iss, int refuse);
/* Three-way handshake, asserting lwIP's SYN-ACK acknowledges the SYN. */
void peer_connect(struct peer *p);

/* Acknowledges lwIP's data if more arrived since *acked; returns 1 if it did. */
int peer_ack_new_data(struct peer *p, uint32_t *acked);

/* Sends data[0..total) as lwIP's window lets it in, a segment at most at a
 * time (only whole segments when whole_segments is set, the peer waiting for
 * room), reads and acknowledges lwIP's output as it comes, until
 * p->stream_len reaches want; a stalled exchange fails the test. */
void peer_pump(struct peer *p, const uint8_t *data, size_t total, size_t want, int whole_segments);

void peer_freeze_acks(struct peer *p);
void peer_thaw_acks(struct peer *p);

/* How many more bytes lwIP's advertised window lets the peer send. */
uint32_t peer_send_room(const struct peer *p);
/* The most data one segment to lwIP carries: its MSS less the timestamp option. */
size_t peer_max_payload(const struct peer *p);

/* Sequence number comparison modulo 2^32. */
static inline int seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

#endif
