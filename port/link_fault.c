#include <stdlib.h>

#include "lwiptap/link.h"
#include "lwiptap/log.h"

struct fault_link {
    struct link base;
    struct link *inner;
    struct link_fault_config config;
    uint32_t rng;
};

/* xorshift32: reproducible from the seed, which is what a fault test needs. */
static double next_percent(struct fault_link *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 17;
    f->rng ^= f->rng << 5;
    return (double)f->rng / 4294967296.0 * 100.0;
}

static ssize_t fault_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    for (;;) {
        ssize_t n = link_recv(f->inner, buf, cap, meta, err);
        if (n <= 0 || next_percent(f) >= f->config.drop_rx_percent) {
            return n;
        }
        log_debug("fault", "dropped received frame of %zd bytes", n);
    }
}

static int fault_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                      char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    if (next_percent(f) < f->config.drop_tx_percent) {
        log_debug("fault", "dropped outgoing frame of %zu bytes", len);
        return 0;
    }
    return link_send(f->inner, frame, len, meta, err);
}

static unsigned fault_caps(const struct link *self)
{
    return link_caps(((const struct fault_link *)self)->inner);
}

static int fault_wait_fd(const struct link *self)
{
    return link_wait_fd(((const struct fault_link *)self)->inner);
}

static void fault_destroy(struct link *self)
{
    struct fault_link *f = (struct fault_link *)self;
    link_destroy(f->inner);
    free(f);
}

static const struct link_ops fault_ops = {fault_recv, fault_send, fault_wait_fd, fault_destroy, fault_caps};

struct link *link_fault_new(struct link *inner, const struct link_fault_config *config)
{
    struct fault_link *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->config = *config;
    f->rng = config->seed != 0 ? config->seed : 0x9e3779b9u;
    return &f->base;
}
