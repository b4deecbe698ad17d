#include <stdio.h>

#include "lwiptap/frame_info.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"

static void trace_frame(void *ctx, enum link_event event, const uint8_t *frame, size_t len,
                        const struct link_meta *meta)
{
    (void)ctx;
    if (event == LINK_EVENT_IDLE) {
        return;
    }
    char summary[256];
    frame_describe(frame, len, summary, sizeof summary);
    /* As tcpdump on a TSO NIC shows: one large segment that the kernel cuts
     * into (or made from) gso_size pieces. */
    char offload[48] = "";
    if (meta->gso_type != LINK_GSO_NONE) {
        snprintf(offload, sizeof offload, " [super-frame of %u-byte segments]", meta->gso_size);
    }
    log_requested("link", "%s %zuB %s%s", event == LINK_EVENT_RX ? "rx" : "tx", len, summary, offload);
}

struct link *link_tracer_new(struct link *inner)
{
    return link_observer_new(inner, trace_frame, NULL, NULL);
}
