/* What the kernel does with a super-frame lwIP-tap hands it (TSO): cuts it
 * into gso_size segments with their own sequence numbers, lengths and
 * complete checksums, so that tests read exactly what a peer would receive. */
#ifndef UNIT_GSO_SPLIT_H
#define UNIT_GSO_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/link.h"

/* Writes segment `index` of frame (a super-frame, or a plain frame whose
 * partial checksum is completed) into out; returns its length, or 0 when
 * there is no such segment. A frame without offload fields is segment 0. */
size_t gso_segment(const uint8_t *frame, size_t len, const struct link_meta *meta, size_t index, uint8_t *out,
                   size_t cap);

#endif
