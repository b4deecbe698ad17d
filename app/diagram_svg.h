/* The ladder diagram's parts, as recorded (diagram.c), and their drawing as
 * SVG (diagram_svg.c). */
#ifndef LWIPTAP_DIAGRAM_SVG_H
#define LWIPTAP_DIAGRAM_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"
#include "lwip/tcp.h"

enum diagram_side { HOST = 0, LWIP = 1 };
enum diagram_event_kind { EVENT_SEGMENT, EVENT_STATE };

struct diagram_event {
    uint8_t kind;
    uint8_t from; /* the sender of a segment; the side whose state changed */
    uint8_t dropped, retransmission;
    uint64_t t_us;
    char text[112];
};

struct diagram_conn {
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    struct diagram_event *events;
    size_t count, cap;
    int truncated;
    uint64_t first_us;
    enum tcp_state host_state, lwip_first_state;
    int lwip_first_known;
    uint32_t host_fin_end; /* relative seq just past the host's FIN, once it sent one */
    int host_fin_sent;
    struct diagram_conn *next;
};

/* Writes c's picture, a whole SVG document, to out. */
void diagram_write_svg(const struct diagram_conn *c, FILE *out);

#endif
