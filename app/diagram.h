/* --diagram DIR/NAME.svg: each TCP connection drawn as the ladder diagram of
 * the textbooks, from the connection model (lwiptap/conn_events.h): the
 * host's time line on the left, lwIP's on the right, time running down; an
 * arrow per segment with the timeline's numbers (relative seq/ack, scaled
 * window, length, SYN options, labels); lwIP's states from the state log, the
 * host's as its seq/ack numbers show them (a "?" where they do not); a
 * dropped segment's arrow ends half-way at a cross, retransmissions in red,
 * crossing segments drawn crossing, long gaps cut with a mark that says how
 * long they were, and a legend.
 *
 * Connections are numbered in the order they opened: NAME-1.svg,
 * NAME-2.svg, ... (at most DIAGRAM_MAX_FILES), each written when lwIP frees
 * the connection, or at exit, and logged as
 *   diagram: wrote DIR/NAME-1.svg: 192.0.2.1:47590 -> 192.0.2.2:1234
 * (the host's end, then lwIP's). */
#ifndef LWIPTAP_DIAGRAM_H
#define LWIPTAP_DIAGRAM_H

#include <stddef.h>

#define DIAGRAM_MAX_FILES 64
#define DIAGRAM_MAX_EVENTS 2000 /* per connection; later ones are left out, and the picture says so */

/* Starts recording: 0, or -1 with err filled in when path's directory cannot be written. */
int diagram_start(const char *path, char *err, size_t errlen);

/* Writes the pictures of connections still open and stops recording. */
void diagram_finish(void);

#endif
