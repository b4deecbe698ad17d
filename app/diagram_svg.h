/* The ladder diagram's parts, as recorded from the connection model
 * (diagram.c), and their drawing as SVG (diagram_svg.c). */
#ifndef LWIPTAP_DIAGRAM_SVG_H
#define LWIPTAP_DIAGRAM_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"

enum diagram_side { HOST = 0, LWIP = 1 };
enum diagram_event_kind { EVENT_SEGMENT, EVENT_LWIP_STATE, EVENT_PEER_STATE };

struct diagram_event {
    uint8_t kind;
    uint8_t from; /* the sender of a segment; the side whose state changed */
    uint8_t dropped, retransmission, fin, at_send, certainty;
    uint32_t segment;         /* a segment's number; a peer state's segment */
    uint32_t peer_saw_before; /* a host segment: see struct conn_segment */
    uint64_t t_us;
    int state;        /* a state change: the new state */
    char text[112];   /* "[S] seq 0 win 64240 len 0", or a state's name */
    char detail[160]; /* the options of a SYN, the labels */
};

struct diagram_conn {
    uint64_t serial;
    unsigned index; /* the file's number: connections in opening order */
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    struct diagram_event *events;
    size_t count, cap;
    uint32_t segments; /* the highest segment number recorded */
    int truncated;
    int lwip_first_state, host_first_state; /* CONN_STATE_UNKNOWN until told */
    struct diagram_conn *next;
};

/* Writes c's picture, a whole SVG document, to out. */
void diagram_write_svg(const struct diagram_conn *c, FILE *out);

#endif
