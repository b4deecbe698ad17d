/* The TCP timeline: a link stage that follows every TCP connection it sees on
 * the wire, in both directions, the way Wireshark's TCP analysis does, and
 * (with --trace) prints one line per frame:
 *
 *   link: rx 74B t+0.000000 192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 0,
 *         win 64240, options [mss 1460,sackOK,TS val 9 ecr 0,nop,wscale 7], length 0
 *   link: tx 66B t+0.000412 192.0.2.2.7 > 192.0.2.1.40000: Flags [.], seq 1:7, ack 7,
 *         win 262144, length 6 (retransmission)
 *
 * Sequence and acknowledgement numbers are relative to each side's initial
 * sequence number (tcpdump -S numbers with --absolute), windows are in bytes
 * (scaled), t+ is the time since the connection's first segment, and the
 * label in parentheses names what the segment is: a retransmission, a fast
 * retransmission, a zero-window probe, a keepalive, a window update, a
 * duplicate ACK, a challenge ACK, a gap before it, or why a RST was sent.
 *
 * The same analysis counts, per connection and with 64-bit counters, the
 * segments, new payload bytes and retransmissions each way.
 *
 * Flows live in a table of bounded size; with more connections than it holds,
 * the least recently seen flow is forgotten (a hostile peer can only make the
 * timeline fall back to first-seen numbering, never grow memory). */
#ifndef LWIPTAP_TIMELINE_H
#define LWIPTAP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/link.h"

struct timeline_options {
    int print;    /* --trace: one line per frame */
    int absolute; /* --absolute: raw sequence numbers */
    int explain;  /* --explain: a plain-language line under each TCP segment */
};

/* The stage; its options apply to the one timeline of the process. */
struct link *link_timeline_new(struct link *inner, const struct timeline_options *options);

/* Changes what the timeline prints from now on. */
void timeline_configure(const struct timeline_options *options);

/* A frame in the timeline's notation, without touching any flow: what a fault
 * stage says about a frame the stack never saw (or the wire never got). tx
 * tells the direction (a frame lwIP sent). */
void timeline_describe(const uint8_t *frame, size_t len, int tx, char *out, size_t outlen);

struct timeline_direction {
    uint64_t segments;
    uint64_t bytes; /* new payload bytes, retransmissions not counted again */
    uint64_t retransmissions;
};

struct timeline_counts {
    struct timeline_direction sent;     /* by lwIP */
    struct timeline_direction received; /* by lwIP, from the host */
};

/* The counts of one connection, named by lwIP's end and the peer's
 * (addresses as 4 or 16 bytes in network order): 0, or -1 if the timeline
 * does not know (or no longer holds) that connection. */
int timeline_counts(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                    uint16_t remote_port, struct timeline_counts *out);

/* A fault stage dropped this input frame before the timeline could see it
 * (the connection model, lwiptap/conn_events.h, still gets it). */
void timeline_input_dropped(const uint8_t *frame, size_t len);

/* Tests give the timeline their fake clock (microseconds); NULL restores CLOCK_MONOTONIC. */
void timeline_set_clock(uint64_t (*now_us)(void));

/* Forgets every flow: the next segment of a connection starts a new one. */
void timeline_reset(void);

#endif
