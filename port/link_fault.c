#include <stdlib.h>

#include "lwiptap/frame_info.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"

struct fault_link {
    struct link base;
    struct link *inner;
    struct link_fault_config config;
    /* One generator per direction: how many frames one side sends does not
     * shift the other side's decisions. */
    uint32_t rx_rng, tx_rng;
};

static struct link_fault_stats stats;

const struct link_fault_stats *link_fault_stats(void)
{
    return &stats;
}

/* xorshift32: reproducible from the seed, which is what a fault test needs. */
static double next_percent(uint32_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 17;
    *rng ^= *rng << 5;
    return (double)*rng / 4294967296.0 * 100.0;
}

/* A drop is part of what happened on the link: said like a --trace line. */
static void log_drop(const char *dir, const uint8_t *frame, size_t len)
{
    char summary[256];
    frame_describe(frame, len, summary, sizeof summary);
    log_info("fault", "%s %zuB %s DROPPED by --drop", dir, len, summary);
}

static ssize_t fault_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    for (;;) {
        ssize_t n = link_recv(f->inner, buf, cap, meta, err);
        if (n <= 0 || next_percent(&f->rx_rng) >= f->config.drop_rx_percent) {
            return n;
        }
        stats.rx_dropped++;
        log_drop("rx", buf, (size_t)n);
    }
}

static int fault_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                      char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    if (next_percent(&f->tx_rng) < f->config.drop_tx_percent) {
        stats.tx_dropped++;
        log_drop("tx", frame, len);
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
    uint32_t seed = config->seed != 0 ? config->seed : 0x9e3779b9u;
    f->rx_rng = seed;
    f->tx_rng = seed ^ 0x5bd1e995u;
    if (f->tx_rng == 0) {
        f->tx_rng = 0x9e3779b9u;
    }
    return &f->base;
}
