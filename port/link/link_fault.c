/* The fault stages: one link stage per kind of fault, chained in netem's
 * order (drop nearest the stack, then corrupt, duplicate, reorder, delay,
 * and the rate nearest the wire), each with its own random stream per
 * direction, so that adding one fault does not move another's decisions. */
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

/* Input frames one receive call may take off the inner link while it holds
 * them back, before it lets the event loop run again. */
#define RX_READS_PER_CALL 64

enum { RX = 0, TX = 1 };
enum fault_kind { DROP, CORRUPT, DUPLICATE, REORDER, DELAY, RATE, KINDS };

#define TEXT(x) #x
#define NUMBER_TEXT(x) TEXT(x)
#define REORDERED "REORDERED by --reorder (held " NUMBER_TEXT(LINK_FAULT_REORDER_MS) " ms)"

struct stage_direction {
    const struct link_fault_direction *config;
    uint32_t rng;
    struct fault_queue held;
    uint64_t link_free_us; /* --rate: when the previous frame has finished leaving */
    struct link_fault_counts *counts;
};

struct fault_stage {
    struct link base;
    struct link *inner;
    enum fault_kind kind;
    struct link_fault_config config;
    struct stage_direction dir[2];
    int timed;    /* the stage holds frames back */
    int epoll_fd; /* the inner link's fd and timer_fd, when timed */
    int timer_fd;
    uint8_t scratch[LINK_MAX_FRAME]; /* an output frame being corrupted */
};

static struct link_fault_stats stats;

const struct link_fault_stats *link_fault_stats(void)
{
    return &stats;
}

static int kind_active(enum fault_kind kind, const struct link_fault_direction *d)
{
    switch (kind) {
    case DROP:
        return d->drop_percent > 0.0;
    case CORRUPT:
        return d->corrupt_percent > 0.0;
    case DUPLICATE:
        return d->duplicate_percent > 0.0;
    case REORDER:
        return d->reorder_percent > 0.0;
    case DELAY:
        return d->delay_ms > 0 || d->jitter_ms > 0;
    default:
        return d->rate_bps > 0;
    }
}

int link_fault_active(const struct link_fault_config *config)
{
    for (int k = 0; k < KINDS; k++) {
        if (kind_active((enum fault_kind)k, &config->rx) || kind_active((enum fault_kind)k, &config->tx)) {
            return 1;
        }
    }
    return 0;
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

/* A stage draws a number for every frame, hit or not, so each decision
 * depends only on the seed and the frame's place in its direction. */
static int chance(uint32_t *rng, double percent)
{
    return (double)next_random(rng) / 4294967296.0 * 100.0 < percent;
}

/* Set by the timeline (link/ may not call up into timeline/). */
static const struct link_fault_reporter *reporter;

void link_fault_set_reporter(const struct link_fault_reporter *r)
{
    reporter = r;
}

/* A fault is part of what happened on the link: said like a --trace line. */
static void log_fault(int tx, const uint8_t *frame, size_t len, const char *what)
{
    char line[768];
    if (reporter != NULL) {
        reporter->describe(frame, len, tx, line, sizeof line);
    } else {
        frame_describe(frame, len, line, sizeof line);
    }
    log_info("fault", "%s %s", line, what);
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

/* How long the frame waits in a timed stage (0: it goes on at once). */
static uint64_t hold_time(struct fault_stage *s, struct stage_direction *d, size_t len, uint64_t now)
{
    const struct link_fault_direction *c = d->config;
    switch (s->kind) {
    case REORDER:
        return chance(&d->rng, c->reorder_percent) ? LINK_FAULT_REORDER_MS * 1000u : 0;
    case DELAY: {
        int64_t delay_us = (int64_t)c->delay_ms * 1000;
        if (c->jitter_ms > 0) {
            uint32_t span = c->jitter_ms * 2000u + 1u;
            delay_us += (int64_t)(next_random(&d->rng) % span) - (int64_t)c->jitter_ms * 1000;
        }
        return delay_us > 0 ? (uint64_t)delay_us : 0;
    }
    case RATE: {
        if (c->rate_bps == 0) {
            return 0;
        }
        uint64_t start = now > d->link_free_us ? now : d->link_free_us;
        d->link_free_us = start + (uint64_t)len * 8u * 1000000u / c->rate_bps;
        return d->link_free_us - now;
    }
    default:
        return 0;
    }
}

static void arm_timer(struct fault_stage *s)
{
    uint64_t due = 0;
    for (int i = 0; i < 2; i++) {
        const struct held_frame *h = s->dir[i].held.head;
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
    timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/* Queues a frame, due at due; a full queue drops it (and says so). */
static int hold(struct fault_stage *s, int dir, const uint8_t *frame, size_t len,
                const struct link_meta *meta, uint64_t due)
{
    struct stage_direction *d = &s->dir[dir];
    if (d->held.count >= LINK_FAULT_QUEUE_MAX || fault_queue_put(&d->held, due, frame, len, meta) != 0) {
        d->counts->overflowed++;
        log_fault(dir == TX, frame, len, "DROPPED: the fault stage holds too many frames");
        return -1;
    }
    return 0;
}

static int release_due_output(struct fault_stage *s, uint64_t now, char *err)
{
    struct held_frame *h;
    while ((h = fault_queue_take_due(&s->dir[TX].held, now)) != NULL) {
        int rc = link_send(s->inner, h->data, h->len, h->has_meta ? &h->meta : NULL, err);
        free(h);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static ssize_t take_held_input(struct fault_stage *s, uint64_t now, uint8_t *buf, size_t cap,
                               struct link_meta *meta)
{
    struct held_frame *h = fault_queue_take_due(&s->dir[RX].held, now);
    if (h == NULL) {
        return 0;
    }
    size_t len = h->len <= cap ? h->len : cap;
    memcpy(buf, h->data, len);
    *meta = h->meta;
    free(h);
    return (ssize_t)len;
}

/* What this stage does to one input frame: 1 to hand it on now, 0 when it
 * took the frame (dropped or held). */
static int on_input(struct fault_stage *s, uint8_t *buf, size_t len, struct link_meta *meta, uint64_t now)
{
    struct stage_direction *d = &s->dir[RX];
    const struct link_fault_direction *c = d->config;
    switch (s->kind) {
    case DROP:
        if (!chance(&d->rng, c->drop_percent)) {
            return 1;
        }
        d->counts->dropped++;
        log_fault(0, buf, len, "DROPPED by --drop");
        if (reporter != NULL) {
            reporter->input_dropped(buf, len);
        }
        return 0;
    case CORRUPT:
        if (chance(&d->rng, c->corrupt_percent) && corrupt(buf, len, meta, &d->rng)) {
            d->counts->corrupted++;
            log_fault(0, buf, len, "CORRUPTED by --corrupt (checksum bit flipped)");
        }
        return 1;
    case DUPLICATE:
        if (chance(&d->rng, c->duplicate_percent)) {
            d->counts->duplicated++;
            log_fault(0, buf, len, "DUPLICATED by --duplicate");
            hold(s, RX, buf, len, meta, now); /* the copy comes on the next receive */
        }
        return 1;
    default: {
        uint64_t wait = hold_time(s, d, len, now);
        if (wait == 0) {
            return 1;
        }
        if (s->kind == REORDER) {
            d->counts->reordered++;
            log_fault(0, buf, len, REORDERED);
        } else {
            d->counts->delayed++;
        }
        hold(s, RX, buf, len, meta, now + wait);
        return 0;
    }
    }
}

static ssize_t stage_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fault_stage *s = (struct fault_stage *)self;
    uint64_t now = now_us();
    if (s->timed) {
        uint64_t expirations;
        while (read(s->timer_fd, &expirations, sizeof expirations) > 0) {
        }
        if (release_due_output(s, now, err) != 0) {
            return -1;
        }
    }
    ssize_t n = take_held_input(s, now, buf, cap, meta);
    for (int reads = 0; n == 0 && reads < RX_READS_PER_CALL; reads++) {
        n = link_recv(s->inner, buf, cap, meta, err);
        if (n <= 0) {
            break;
        }
        if (!on_input(s, buf, (size_t)n, meta, now)) {
            n = take_held_input(s, now, buf, cap, meta);
        }
    }
    if (s->timed) {
        arm_timer(s);
    }
    return n;
}

static int stage_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                      char *err)
{
    struct fault_stage *s = (struct fault_stage *)self;
    struct stage_direction *d = &s->dir[TX];
    const struct link_fault_direction *c = d->config;
    uint64_t now = now_us();
    int copies = 1;
    struct link_meta own_meta;
    switch (s->kind) {
    case DROP:
        if (chance(&d->rng, c->drop_percent)) {
            d->counts->dropped++;
            log_fault(1, frame, len, "DROPPED by --drop");
            return LINK_SEND_DROPPED;
        }
        break;
    case CORRUPT:
        if (chance(&d->rng, c->corrupt_percent) && len <= sizeof s->scratch) {
            memcpy(s->scratch, frame, len);
            if (corrupt(s->scratch, len, NULL, &d->rng)) {
                d->counts->corrupted++;
                log_fault(1, frame, len, "CORRUPTED by --corrupt (checksum bit flipped)");
                if (meta != NULL) {
                    own_meta = *meta;
                    meta = &own_meta;
                }
                frame = s->scratch;
            }
        }
        break;
    case DUPLICATE:
        if (chance(&d->rng, c->duplicate_percent)) {
            d->counts->duplicated++;
            log_fault(1, frame, len, "DUPLICATED by --duplicate");
            copies = 2;
        }
        break;
    default: {
        uint64_t wait = hold_time(s, d, len, now);
        if (wait == 0) {
            break;
        }
        if (s->kind == REORDER) {
            d->counts->reordered++;
            log_fault(1, frame, len, REORDERED);
        } else {
            d->counts->delayed++;
        }
        if (hold(s, TX, frame, len, meta, now + wait) != 0) {
            return LINK_SEND_DROPPED;
        }
        arm_timer(s);
        return 0;
    }
    }
    for (int i = 0; i < copies; i++) {
        int rc = link_send(s->inner, frame, len, meta, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static unsigned stage_caps(const struct link *self)
{
    return link_caps(((const struct fault_stage *)self)->inner);
}

static int stage_wait_fd(const struct link *self)
{
    const struct fault_stage *s = (const struct fault_stage *)self;
    return s->timed ? s->epoll_fd : link_wait_fd(s->inner);
}

/* Frees the stage alone, and hands back its inner link. */
static struct link *unwrap(struct fault_stage *s)
{
    struct link *inner = s->inner;
    for (int i = 0; i < 2; i++) {
        fault_queue_clear(&s->dir[i].held);
    }
    if (s->timed) {
        close(s->epoll_fd);
        close(s->timer_fd);
    }
    free(s);
    return inner;
}

static void stage_destroy(struct link *self)
{
    struct fault_stage *s = (struct fault_stage *)self;
    /* Output still held leaves now: lwIP sent it, and the last ACK or FIN of
     * a shutdown must not vanish with the stage. */
    char err[LINK_ERR_LEN];
    if (s->timed && release_due_output(s, UINT64_MAX, err) != 0) {
        log_warn("fault", "held frames not sent at exit: %s", err);
    }
    link_destroy(unwrap(s));
}

static const struct link_ops stage_ops = {stage_recv, stage_send, stage_wait_fd, stage_destroy, stage_caps};

static int open_timer(struct fault_stage *s, char *err)
{
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event timer = {.events = EPOLLIN, .data.fd = s->timer_fd};
    struct epoll_event inner = {.events = EPOLLIN, .data.fd = link_wait_fd(s->inner)};
    /* An inner link without a descriptor (the unit tests' fake) is polled by nobody. */
    if (s->timer_fd < 0 || s->epoll_fd < 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->timer_fd, &timer) != 0 ||
        (inner.data.fd >= 0 && epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, inner.data.fd, &inner) != 0)) {
        snprintf(err, LINK_ERR_LEN, "fault stage timer: %s", strerror(errno));
        if (s->timer_fd >= 0) {
            close(s->timer_fd);
        }
        if (s->epoll_fd >= 0) {
            close(s->epoll_fd);
        }
        return -1;
    }
    return 0;
}

/* Each stage and direction its own stream, all from the one seed. */
static uint32_t stream_seed(uint32_t seed, enum fault_kind kind, int dir)
{
    uint32_t x =
        (seed != 0 ? seed : 0x9e3779b9u) ^ ((uint32_t)kind * 0x85ebca6bu) ^ (dir == TX ? 0x5bd1e995u : 0);
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    return x != 0 ? x : 0x9e3779b9u;
}

static struct fault_stage *stage_new(struct link *inner, enum fault_kind kind,
                                     const struct link_fault_config *config, char *err)
{
    struct fault_stage *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        return NULL;
    }
    s->base.ops = &stage_ops;
    s->inner = inner;
    s->kind = kind;
    s->config = *config;
    struct link_fault_counts *counts[2] = {&stats.rx, &stats.tx};
    const struct link_fault_direction *dirs[2] = {&s->config.rx, &s->config.tx};
    for (int i = 0; i < 2; i++) {
        s->dir[i].config = dirs[i];
        s->dir[i].counts = counts[i];
        s->dir[i].rng = stream_seed(config->seed, kind, i);
    }
    /* A duplicated input frame waits in the queue too, and must not wait
     * there for the next frame to arrive. */
    s->timed = kind == REORDER || kind == DELAY || kind == RATE || kind == DUPLICATE;
    if (s->timed && open_timer(s, err) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

struct link *link_fault_new(struct link *inner, const struct link_fault_config *config, char *err)
{
    static const enum fault_kind wire_first[KINDS] = {RATE, DELAY, REORDER, DUPLICATE, CORRUPT, DROP};
    struct link *chain = inner;
    for (int i = 0; i < KINDS; i++) {
        enum fault_kind kind = wire_first[i];
        if (!kind_active(kind, &config->rx) && !kind_active(kind, &config->tx)) {
            continue;
        }
        struct fault_stage *s = stage_new(chain, kind, config, err);
        if (s == NULL) {
            /* The caller keeps inner: take apart the stages made so far. */
            while (chain != inner) {
                chain = unwrap((struct fault_stage *)chain);
            }
            return NULL;
        }
        chain = &s->base;
    }
    return chain;
}
