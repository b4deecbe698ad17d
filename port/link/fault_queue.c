#include "fault_queue.h"

#include <stdlib.h>
#include <string.h>

int fault_queue_put(struct fault_queue *q, uint64_t due_us, const uint8_t *frame, size_t len,
                    const struct link_meta *meta)
{
    struct held_frame *h = malloc(sizeof *h + len);
    if (h == NULL) {
        return -1;
    }
    h->due_us = due_us;
    h->has_meta = meta != NULL;
    if (meta != NULL) {
        h->meta = *meta;
    } else {
        memset(&h->meta, 0, sizeof h->meta);
    }
    h->len = len;
    memcpy(h->data, frame, len);
    q->count++;
    /* Most frames are due after every held one (a constant delay or a rate):
     * only reordered or jittered frames walk the queue. */
    if (q->tail == NULL || q->tail->due_us <= due_us) {
        h->next = NULL;
        if (q->tail != NULL) {
            q->tail->next = h;
        } else {
            q->head = h;
        }
        q->tail = h;
        return 0;
    }
    struct held_frame **at = &q->head;
    while ((*at)->due_us <= due_us) {
        at = &(*at)->next;
    }
    h->next = *at;
    *at = h;
    return 0;
}

struct held_frame *fault_queue_take_due(struct fault_queue *q, uint64_t now_us)
{
    struct held_frame *h = q->head;
    if (h == NULL || h->due_us > now_us) {
        return NULL;
    }
    q->head = h->next;
    if (q->head == NULL) {
        q->tail = NULL;
    }
    q->count--;
    return h;
}

void fault_queue_clear(struct fault_queue *q)
{
    while (q->head != NULL) {
        struct held_frame *h = q->head;
        q->head = h->next;
        free(h);
    }
    q->tail = NULL;
    q->count = 0;
}
