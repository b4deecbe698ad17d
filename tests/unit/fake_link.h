/* An in-memory link (see lwiptap/link.h): frames a test injects wait in an rx
 * queue for the netif driver, and frames lwIP sends wait in a tx queue for the
 * test to inspect. No descriptor, no device, no timing. */
#ifndef UNIT_FAKE_LINK_H
#define UNIT_FAKE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/link.h"

struct fake_link;

struct fake_link *fake_link_new(void);
/* The link interface; link_destroy() on it (or on a wrapper) frees the fake link. */
struct link *fake_link_base(struct fake_link *fl);

/* Queues a frame (copied, len > 0) for the next link_recv(). */
void fake_link_push_rx(struct fake_link *fl, const uint8_t *frame, size_t len);
/* Takes the oldest sent frame into buf (cap >= its length): its length, 0 when none. */
size_t fake_link_pop_tx(struct fake_link *fl, uint8_t *buf, size_t cap);
size_t fake_link_rx_pending(const struct fake_link *fl);

/* The same with the offload fields of a frame (see struct link_meta). */
void fake_link_push_rx_meta(struct fake_link *fl, const uint8_t *frame, size_t len,
                            const struct link_meta *meta);
size_t fake_link_pop_tx_meta(struct fake_link *fl, uint8_t *buf, size_t cap, struct link_meta *meta);
/* Whether the link reports LINK_CAP_OFFLOAD (default off); set before netif_add. */
void fake_link_set_offload(struct fake_link *fl, int on);
/* Frames sent so far, and how many of them were super-frames. */
size_t fake_link_tx_frames(const struct fake_link *fl);
size_t fake_link_tx_super_frames(const struct fake_link *fl);
size_t fake_link_tx_pending(const struct fake_link *fl);

#endif
