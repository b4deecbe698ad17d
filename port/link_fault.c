#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "fault_queue.h"
#include "lwiptap/frame_info.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"

/* Input frames one receive call may take off the inner link while it holds
 * them back, before it lets the event loop run again. */
#define RX_READS_PER_CALL 64

enum { RX = 0, TX = 1 };

#define TEXT(x) #x
#define NUMBER_TEXT(x) TEXT(x)
#define REORDERED "REORDERED by --reorder (held " NUMBER_TEXT(LINK_FAULT_REORDER_MS) " ms)"

struct fault_direction_state {
    const struct link_fault_direction *config;
    uint32_t rng;
    struct fault_queue held;
    uint64_t link_free_us; /* --rate: when the previous frame has finished leaving */
    struct link_fault_counts *counts;
};

struct fault_link {
    struct link base;
    struct link *inner;
    struct link_fault_config config;
    struct fault_direction_state dir[2];
    int timed;    /* some direction holds frames back */
    int epoll_fd; /* the inner link's fd and timer_fd, when timed */
    int timer_fd;
    uint8_t scratch[LINK_MAX_FRAME]; /* an output frame being corrupted */
};

static struct link_fault_stats stats;

const struct link_fault_stats *link_fault_stats(void)
{
    return &stats;
}

static int direction_active(const struct link_fault_direction *d)
{
    return d->drop_percent > 0.0 || d->corrupt_percent > 0.0 || d->duplicate_percent > 0.0 ||
           d->reorder_percent > 0.0 || d->delay_ms > 0 || d->jitter_ms > 0 || d->rate_bps > 0;
}

static int direction_timed(const struct link_fault_direction *d)
{
    return d->reorder_percent > 0.0 || d->delay_ms > 0 || d->jitter_ms > 0 || d->rate_bps > 0;
}

int link_fault_active(const struct link_fault_config *config)
{
    return direction_active(&config->rx) || direction_active(&config->tx);
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t (*now_us)(void) = monotonic_us;

void link_fault_set_clock(uint64_t (*clock_us)(void))
{
    now_us = clock_us != NULL ? clock_us : monotonic_us;
}

/* xorshift32: reproducible from the seed, which is what a fault test needs. */
static uint32_t next_random(uint32_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 17;
    *rng ^= *rng << 5;
    return *rng;
}

/* A configured fault draws a number for every frame, hit or not, so each
 * decision depends only on the seed and the frame's place in its direction. */
static int chance(uint32_t *rng, double percent)
{
    if (percent <= 0.0) {
        return 0;
    }
    return (double)next_random(rng) / 4294967296.0 * 100.0 < percent;
}

/* A fault is part of what happened on the link: said like a --trace line. */
static void log_fault(int tx, const uint8_t *frame, size_t len, const char *what)
{
    char line[768];
    timeline_describe(frame, len, tx, line, sizeof line);
    log_info("fault", "%s %s", line, what);
}

struct decision {
    int drop, corrupt, duplicate, reorder;
    uint64_t hold_us; /* from now until the frame is due */
};

static struct decision decide(struct fault_direction_state *d, size_t len, uint64_t now)
{
    const struct link_fault_direction *c = d->config;
    struct decision x = {0};
    x.drop = chance(&d->rng, c->drop_percent);
    x.corrupt = chance(&d->rng, c->corrupt_percent);
    x.duplicate = chance(&d->rng, c->duplicate_percent);
    x.reorder = chance(&d->rng, c->reorder_percent);
    int64_t delay_us = (int64_t)c->delay_ms * 1000;
    if (c->jitter_ms > 0) {
        uint32_t span = c->jitter_ms * 2000u + 1u;
        delay_us += (int64_t)(next_random(&d->rng) % span) - (int64_t)c->jitter_ms * 1000;
    }
    if (delay_us < 0) {
        delay_us = 0;
    }
    uint64_t due = now + (uint64_t)delay_us;
    if (c->rate_bps > 0 && !x.drop) {
        uint64_t start = due > d->link_free_us ? due : d->link_free_us;
        due = start + (uint64_t)len * 8u * 1000000u / c->rate_bps;
        d->link_free_us = due;
    }
    if (x.reorder) {
        due += LINK_FAULT_REORDER_MS * 1000u;
    }
    x.hold_us = due - now;
    return x;
}

/* Flips one bit of the layer-4 checksum, which any receiver detects: a
 * partial checksum (offload) is only the pseudo-header sum that the kernel
 * completes, and flipping it makes the completed one wrong. Frames without
 * one are left alone: a corrupt ARP would not be detected. */
static int corrupt(uint8_t *frame, size_t len, struct link_meta *meta, uint32_t *rng)
{
    long at = frame_l4_checksum_offset(frame, len);
    if (at < 0) {
        return 0;
    }
    frame[at + (next_random(rng) & 1)] ^= (uint8_t)(1u << (next_random(rng) % 8));
    /* lwIP skips the check of an input frame whose checksum the kernel left
     * partial; now it must check, and the partial sum fails it anyway. */
    if (meta != NULL && meta->csum == LINK_CSUM_PARTIAL) {
        meta->csum = LINK_CSUM_NONE;
    }
    return 1;
}

static void arm_timer(struct fault_link *f)
{
    if (!f->timed) {
        return;
    }
    uint64_t due = 0;
    for (int i = 0; i < 2; i++) {
        const struct held_frame *h = f->dir[i].held.head;
        if (h != NULL && (due == 0 || h->due_us < due)) {
            due = h->due_us;
        }
    }
    struct itimerspec spec = {{0, 0}, {0, 0}};
    if (due != 0) {
        /* 0 would disarm the timer: a frame due in the past fires at once. */
        spec.it_value.tv_sec = (time_t)(due / 1000000u);
        spec.it_value.tv_nsec = (long)(due % 1000000u) * 1000 + 1;
    }
    timerfd_settime(f->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/* Queues a frame to be due at due; a full queue drops it. */
static int hold(struct fault_link *f, int dir, const uint8_t *frame, size_t len, const struct link_meta *meta,
                uint64_t due)
{
    struct fault_direction_state *d = &f->dir[dir];
    if (d->held.count >= LINK_FAULT_QUEUE_MAX || fault_queue_put(&d->held, due, frame, len, meta) != 0) {
        d->counts->overflowed++;
        log_fault(dir == TX, frame, len, "DROPPED: the fault stage holds too many frames");
        return -1;
    }
    return 0;
}

static int release_due_output(struct fault_link *f, uint64_t now, char *err)
{
    struct held_frame *h;
    while ((h = fault_queue_take_due(&f->dir[TX].held, now)) != NULL) {
        int rc = link_send(f->inner, h->data, h->len, h->has_meta ? &h->meta : NULL, err);
        free(h);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static ssize_t take_held_input(struct fault_link *f, uint64_t now, uint8_t *buf, size_t cap,
                               struct link_meta *meta)
{
    struct held_frame *h = fault_queue_take_due(&f->dir[RX].held, now);
    if (h == NULL) {
        return 0;
    }
    size_t len = h->len <= cap ? h->len : cap;
    memcpy(buf, h->data, len);
    *meta = h->meta;
    free(h);
    return (ssize_t)len;
}

static ssize_t fault_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    struct fault_direction_state *d = &f->dir[RX];
    uint64_t now = now_us();
    if (f->timed) {
        uint64_t expirations;
        while (read(f->timer_fd, &expirations, sizeof expirations) > 0) {
        }
        if (release_due_output(f, now, err) != 0) {
            return -1;
        }
    }
    ssize_t n = take_held_input(f, now, buf, cap, meta);
    for (int reads = 0; n == 0 && reads < RX_READS_PER_CALL; reads++) {
        n = link_recv(f->inner, buf, cap, meta, err);
        if (n <= 0) {
            break;
        }
        struct decision x = decide(d, (size_t)n, now);
        if (x.drop) {
            d->counts->dropped++;
            log_fault(0, buf, (size_t)n, "DROPPED by --drop");
            timeline_input_dropped(buf, (size_t)n);
            n = 0;
            continue;
        }
        if (x.corrupt && corrupt(buf, (size_t)n, meta, &d->rng)) {
            d->counts->corrupted++;
            log_fault(0, buf, (size_t)n, "CORRUPTED by --corrupt (checksum bit flipped)");
        }
        if (x.duplicate) {
            d->counts->duplicated++;
            log_fault(0, buf, (size_t)n, "DUPLICATED by --duplicate");
            hold(f, RX, buf, (size_t)n, meta, now + x.hold_us);
        }
        if (x.reorder) {
            d->counts->reordered++;
            log_fault(0, buf, (size_t)n, REORDERED);
        }
        if (x.hold_us > 0) {
            d->counts->delayed++;
            hold(f, RX, buf, (size_t)n, meta, now + x.hold_us);
            n = take_held_input(f, now, buf, cap, meta);
        }
    }
    arm_timer(f);
    return n;
}

static int fault_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                      char *err)
{
    struct fault_link *f = (struct fault_link *)self;
    struct fault_direction_state *d = &f->dir[TX];
    uint64_t now = now_us();
    struct decision x = decide(d, len, now);
    if (x.drop) {
        d->counts->dropped++;
        log_fault(1, frame, len, "DROPPED by --drop");
        return LINK_SEND_DROPPED;
    }
    struct link_meta own_meta;
    if (x.corrupt && len <= sizeof f->scratch) {
        memcpy(f->scratch, frame, len);
        if (meta != NULL) {
            own_meta = *meta;
        }
        if (corrupt(f->scratch, len, NULL, &d->rng)) {
            d->counts->corrupted++;
            log_fault(1, frame, len, "CORRUPTED by --corrupt (checksum bit flipped)");
            frame = f->scratch;
            meta = meta != NULL ? &own_meta : NULL;
        }
    }
    int copies = x.duplicate ? 2 : 1;
    if (x.duplicate) {
        d->counts->duplicated++;
        log_fault(1, frame, len, "DUPLICATED by --duplicate");
    }
    if (x.reorder) {
        d->counts->reordered++;
        log_fault(1, frame, len, REORDERED);
    }
    if (x.hold_us > 0) {
        d->counts->delayed++;
        for (int i = 0; i < copies; i++) {
            if (hold(f, TX, frame, len, meta, now + x.hold_us) != 0) {
                return LINK_SEND_DROPPED;
            }
        }
        arm_timer(f);
        return 0;
    }
    for (int i = 0; i < copies; i++) {
        if (link_send(f->inner, frame, len, meta, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static unsigned fault_caps(const struct link *self)
{
    return link_caps(((const struct fault_link *)self)->inner);
}

static int fault_wait_fd(const struct link *self)
{
    const struct fault_link *f = (const struct fault_link *)self;
    return f->timed ? f->epoll_fd : link_wait_fd(f->inner);
}

static void fault_destroy(struct link *self)
{
    struct fault_link *f = (struct fault_link *)self;
    /* Output still held (delay, reorder, rate) leaves now: lwIP sent it, and
     * the last ACK or FIN of a shutdown must not vanish with the stage. */
    char err[LINK_ERR_LEN];
    if (release_due_output(f, UINT64_MAX, err) != 0) {
        log_warn("fault", "held frames not sent at exit: %s", err);
    }
    link_destroy(f->inner);
    for (int i = 0; i < 2; i++) {
        fault_queue_clear(&f->dir[i].held);
    }
    if (f->timed) {
        close(f->epoll_fd);
        close(f->timer_fd);
    }
    free(f);
}

static const struct link_ops fault_ops = {fault_recv, fault_send, fault_wait_fd, fault_destroy, fault_caps};

static int open_timer(struct fault_link *f, char *err)
{
    f->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    f->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event timer = {.events = EPOLLIN, .data.fd = f->timer_fd};
    struct epoll_event inner = {.events = EPOLLIN, .data.fd = link_wait_fd(f->inner)};
    /* An inner link without a descriptor (the unit tests' fake) is polled by nobody. */
    if (f->timer_fd < 0 || f->epoll_fd < 0 || epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, f->timer_fd, &timer) != 0 ||
        (inner.data.fd >= 0 && epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, inner.data.fd, &inner) != 0)) {
        snprintf(err, LINK_ERR_LEN, "fault stage timer: %s", strerror(errno));
        if (f->timer_fd >= 0) {
            close(f->timer_fd);
        }
        if (f->epoll_fd >= 0) {
            close(f->epoll_fd);
        }
        return -1;
    }
    return 0;
}

struct link *link_fault_new(struct link *inner, const struct link_fault_config *config, char *err)
{
    struct fault_link *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        return NULL;
    }
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->config = *config;
    uint32_t seed = config->seed != 0 ? config->seed : 0x9e3779b9u;
    f->dir[RX].rng = seed;
    f->dir[TX].rng = seed ^ 0x5bd1e995u;
    if (f->dir[TX].rng == 0) {
        f->dir[TX].rng = 0x9e3779b9u;
    }
    f->dir[RX].config = &f->config.rx;
    f->dir[TX].config = &f->config.tx;
    f->dir[RX].counts = &stats.rx;
    f->dir[TX].counts = &stats.tx;
    /* A duplicated input frame waits in the queue too, and must not wait
     * there for the next frame to arrive. */
    f->timed = direction_timed(&config->rx) || direction_timed(&config->tx) || config->rx.duplicate_percent > 0.0;
    if (f->timed && open_timer(f, err) != 0) {
        free(f);
        return NULL;
    }
    return &f->base;
}
