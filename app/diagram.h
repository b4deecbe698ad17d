/* --diagram FILE.svg: each TCP connection drawn as the ladder diagram of the
 * textbooks. The host's time line on the left, lwIP's on the right, time
 * running down; an arrow per segment with its flags, relative seq/ack and
 * length; each side's state written where it changes (lwIP's from the state
 * log, the host's worked out from the segments); a dropped segment's arrow
 * ends half-way at a cross; retransmissions in red.
 *
 * The first connection goes to FILE.svg, the next ones to FILE-2.svg,
 * FILE-3.svg, ... (at most DIAGRAM_MAX_FILES), each written when lwIP frees
 * the connection, or at exit. */
#ifndef LWIPTAP_DIAGRAM_H
#define LWIPTAP_DIAGRAM_H

#include <stddef.h>

#define DIAGRAM_MAX_FILES 64
#define DIAGRAM_MAX_EVENTS 2000 /* per connection; later ones are left out, and the picture says so */

/* Starts recording: 0, or -1 with err filled in when path cannot be written. */
int diagram_start(const char *path, char *err, size_t errlen);

/* Writes the pictures of connections still open and stops recording. */
void diagram_finish(void);

#endif
