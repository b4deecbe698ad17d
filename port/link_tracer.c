#include "lwiptap/frame_info.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"

static void trace_frame(void *ctx, enum link_event event, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (event == LINK_EVENT_IDLE) {
        return;
    }
    char summary[256];
    frame_describe(frame, len, summary, sizeof summary);
    log_info("link", "%s %zuB %s", event == LINK_EVENT_RX ? "rx" : "tx", len, summary);
}

struct link *link_tracer_new(struct link *inner)
{
    return link_observer_new(inner, trace_frame, NULL, NULL);
}
