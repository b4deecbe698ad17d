/* The words of the timeline: a segment in tcpdump's notation with its labels,
 * and (--explain) what it means in plain language. */
#ifndef LWIPTAP_TIMELINE_FORMAT_H
#define LWIPTAP_TIMELINE_FORMAT_H

#include <stddef.h>

#include "timeline_analysis.h"

/* snprintf that appends at *used and never runs past outlen (the timeline's
 * lines and explanations are built from parts). */
void timeline_append(char *out, size_t outlen, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "SRC > DST: Flags [P.], seq 1:7, ack 1, win 65535, options [...], length 6" */
void timeline_format_segment(const struct frame_tcp *tcp, const struct seg_note *note, char *out,
                             size_t outlen);

/* The options alone, as the segment's line shows them inside "options [...]". */
void timeline_format_options(const struct frame_tcp *tcp, const struct seg_note *note, char *out,
                             size_t outlen);

/* The labels in parentheses, with a leading space, or "" without any. */
void timeline_format_labels(const struct seg_note *note, char *out, size_t outlen);

/* One sentence or two for a learner about the segment (tx: lwIP sent it). */
void timeline_explain_segment(const struct flow *flow, const struct frame_tcp *tcp,
                              const struct seg_note *note, int tx, char *out, size_t outlen);

/* --explain: the peer's state change e (CONN_EVENT_PEER_STATE), and how it is known. */
void timeline_explain_peer(const struct conn_event *e, char *out, size_t outlen);

#endif
