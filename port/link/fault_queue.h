/* Frames a fault stage holds back (delay, reorder, rate), in the order they
 * are due. */
#ifndef LWIPTAP_FAULT_QUEUE_H
#define LWIPTAP_FAULT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/link.h"

struct held_frame {
    struct held_frame *next;
    uint64_t due_us;
    struct link_meta meta;
    int has_meta;
    size_t len;
    uint8_t data[];
};

struct fault_queue {
    struct held_frame *head, *tail;
    size_t count;
};

/* Copies frame in, due at due_us, after the frames due no later: -1 without memory. */
int fault_queue_put(struct fault_queue *q, uint64_t due_us, const uint8_t *frame, size_t len,
                    const struct link_meta *meta);

/* The first frame if it is due at now_us, taken off the queue (free() it), or NULL. */
struct held_frame *fault_queue_take_due(struct fault_queue *q, uint64_t now_us);

void fault_queue_clear(struct fault_queue *q);

#endif
