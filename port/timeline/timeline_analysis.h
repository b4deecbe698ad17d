/* What a TCP segment is, given what its connection did before: the labels of
 * the timeline (see lwiptap/timeline.h), worked out from the wire alone. */
#ifndef LWIPTAP_TIMELINE_ANALYSIS_H
#define LWIPTAP_TIMELINE_ANALYSIS_H

#include "lwiptap/conn_events.h"
#include "tcp_flows.h"

struct seg_note {
    unsigned labels;
    uint32_t dup_ack_number;  /* with SEG_DUPLICATE_ACK: 1 for the first duplicate */
    uint32_t window;          /* in bytes, scaled when both sides agreed to scale */
    uint32_t seq_base;        /* subtracted from seq (0 with --absolute) */
    uint32_t ack_base;        /* subtracted from ack and from SACK blocks */
    uint64_t resent_after_us; /* a retransmission: since its previous copy, when known (else 0) */
};

/* Updates flow with segment tcp (tx: sent by lwIP) and says what it is. */
void timeline_analyse(struct flow *flow, const struct frame_tcp *tcp, int tx, uint64_t now_us,
                      struct seg_note *note);

/* The window of tcp, sent by sender, in bytes. */
uint32_t flow_window_bytes(const struct flow *flow, const struct flow_half *sender,
                           const struct frame_tcp *tcp);

/* The window scale option's shift in options, or FLOW_NO_WSCALE. */
uint8_t tcp_option_wscale(const uint8_t *options, size_t len);

#endif
