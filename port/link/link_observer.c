#include <stdlib.h>

#include "lwiptap/link.h"

struct observer_link {
    struct link base;
    struct link *inner;
    link_observer_fn fn;
    void *ctx;
    void (*ctx_free)(void *);
};

static ssize_t observer_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct observer_link *o = (struct observer_link *)self;
    ssize_t n = link_recv(o->inner, buf, cap, meta, err);
    if (n > 0) {
        o->fn(o->ctx, LINK_EVENT_RX, buf, (size_t)n, meta);
    } else if (n == 0) {
        o->fn(o->ctx, LINK_EVENT_IDLE, NULL, 0, NULL);
    }
    return n;
}

static int observer_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                         char *err)
{
    static const struct link_meta plain;
    struct observer_link *o = (struct observer_link *)self;
    o->fn(o->ctx, LINK_EVENT_TX, frame, len, meta != NULL ? meta : &plain);
    return link_send(o->inner, frame, len, meta, err);
}

static unsigned observer_caps(const struct link *self)
{
    return link_caps(((const struct observer_link *)self)->inner);
}

static int observer_wait_fd(const struct link *self)
{
    return link_wait_fd(((const struct observer_link *)self)->inner);
}

static void observer_destroy(struct link *self)
{
    struct observer_link *o = (struct observer_link *)self;
    link_destroy(o->inner);
    if (o->ctx_free != NULL) {
        o->ctx_free(o->ctx);
    }
    free(o);
}

static const struct link_ops observer_ops = {observer_recv, observer_send, observer_wait_fd, observer_destroy,
                                             observer_caps};

struct link *link_observer_new(struct link *inner, link_observer_fn fn, void *ctx, void (*ctx_free)(void *))
{
    struct observer_link *o = calloc(1, sizeof *o);
    if (o == NULL) {
        return NULL;
    }
    o->base.ops = &observer_ops;
    o->inner = inner;
    o->fn = fn;
    o->ctx = ctx;
    o->ctx_free = ctx_free;
    return &o->base;
}
