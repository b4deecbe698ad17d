/* The connection model's inputs from the timeline (see lwiptap/conn_events.h). */
#ifndef LWIPTAP_CONN_MODEL_H
#define LWIPTAP_CONN_MODEL_H

#include "lwiptap/conn_events.h"
#include "timeline_analysis.h"

/* Before the timeline analyses a segment of flow: a flow lwIP freed starts
 * over (a new connection) when the same ports open again. */
void conn_model_begin(struct flow *flow, const struct frame_tcp *tcp, uint64_t now_us);

/* A TCP segment of flow whose fate is known (tx: lwIP sent it; dropped: a
 * fault stage dropped it), with the timeline's analysis of it. */
void conn_model_segment(struct flow *flow, const struct frame_tcp *tcp, int tx, int dropped,
                        const struct seg_note *note, const char *labels, const char *line, const char *why,
                        uint64_t now_us);

/* Someone listens: the segment's texts are worth making. */
int conn_model_wanted(void);
/* Some subscriber wants the --trace line and --explain sentence of each segment. */
int conn_model_text_wanted(void);

/* The timeline's clock (a test's fake one, or CLOCK_MONOTONIC). */
uint64_t timeline_now_us(void);

#endif
