/* A link is anything that moves Ethernet frames: the TAP device, or a wrapper
 * around another link (observer, fault injector), in the way smoltcp wraps a
 * Device in Tracer/PcapWriter/FaultInjector. The netif driver only sees this
 * interface, so wrappers never add branches to the driver.
 *
 * Host-facing calls return -1 and describe the failure in err (LINK_ERR_LEN). */
#ifndef LWIPTAP_LINK_H
#define LWIPTAP_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LINK_ERR_LEN 512
/* Large enough for any frame a tap can hand us, even with a raised MTU. */
#define LINK_MAX_FRAME 65536

struct link;

/* What a frame carries besides its bytes when the link offloads work to the
 * kernel (a tap with IFF_VNET_HDR): the fields of a virtio_net_hdr, in host
 * byte order. All zero means a plain frame with complete checksums. */
enum link_csum {
    LINK_CSUM_NONE = 0,
    /* The L4 checksum at csum_start + csum_offset holds only the pseudo-header
     * sum: the local kernel made the frame (on rx) or must finish it (on tx). */
    LINK_CSUM_PARTIAL = 1,
    /* The kernel verified the checksums of a frame that it received. */
    LINK_CSUM_VALID = 2,
};
enum link_gso { LINK_GSO_NONE = 0, LINK_GSO_TCPV4, LINK_GSO_TCPV6 };

struct link_meta {
    uint8_t csum;     /* enum link_csum */
    uint8_t gso_type; /* enum link_gso: a TCP super-frame of gso_size segments */
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};

#define LINK_SEND_DROPPED 1

/* Capabilities (link_caps()): what a sender may put in a struct link_meta. */
#define LINK_CAP_OFFLOAD 1u

struct link_ops {
    /* One frame into buf, its offload fields into *meta: the frame's length, 0
     * when none is waiting (or when a stage took a bounded number of waiting
     * frames for itself: poll() says when to ask again), -1 on error. */
    ssize_t (*recv)(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err);
    /* 0 when the frame was sent (or queued to be), LINK_SEND_DROPPED when a
     * fault stage dropped it on purpose, -1 on error. meta is NULL for a
     * plain frame. */
    int (*send)(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta, char *err);
    /* The descriptor to poll() for readability. */
    int (*wait_fd)(const struct link *self);
    void (*destroy)(struct link *self);
    /* LINK_CAP_* bits; wrappers pass on their inner link's. NULL means none. */
    unsigned (*caps)(const struct link *self);
};

struct link {
    const struct link_ops *ops;
};

static inline ssize_t link_recv(struct link *l, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    return l->ops->recv(l, buf, cap, meta, err);
}

static inline int link_send(struct link *l, const uint8_t *frame, size_t len, const struct link_meta *meta,
                            char *err)
{
    return l->ops->send(l, frame, len, meta, err);
}

static inline unsigned link_caps(const struct link *l)
{
    return l->ops->caps != NULL ? l->ops->caps(l) : 0;
}

static inline int link_wait_fd(const struct link *l)
{
    return l->ops->wait_fd(l);
}

static inline void link_destroy(struct link *l)
{
    if (l != NULL) {
        l->ops->destroy(l);
    }
}

/* ---- the TAP device ---- */

/* Attaches to tap NAME, creating it when it does not exist and we may. On
 * failure the message says what is wrong and which `ip tuntap` command fixes it.
 * *created tells whether this call created the interface. With offload, the
 * tap carries a virtio_net_hdr per frame and the kernel may exchange TCP
 * super-frames and partial checksums with us; *offloaded says whether the
 * kernel agreed (without offload, the tap's offloads are switched off, in case
 * an earlier user left them on). */
struct link *link_tap_open(const char *name, int offload, int *created, int *offloaded, char *err);

/* ---- wrappers: each takes ownership of inner, except when it fails (NULL) ---- */

enum link_event { LINK_EVENT_RX, LINK_EVENT_TX, LINK_EVENT_IDLE };

/* Called for each frame received (before the stack sees it) or sent, and with
 * LINK_EVENT_IDLE (frame NULL) when a receive finds nothing waiting. meta is
 * never NULL for a frame. */
typedef void (*link_observer_fn)(void *ctx, enum link_event event, const uint8_t *frame, size_t len,
                                 const struct link_meta *meta);

struct link *link_observer_new(struct link *inner, link_observer_fn fn, void *ctx, void (*ctx_free)(void *));

/* Observer that writes every frame, both directions, to a pcap file. */
struct link *link_pcap_new(struct link *inner, const char *path, char *err);

/* What a fault stage does to the frames of one direction. */
struct link_fault_direction {
    double drop_percent;
    double corrupt_percent;   /* one bit of the L4 checksum flipped: the receiver must discard it */
    double duplicate_percent; /* the frame, and a copy right after it */
    double reorder_percent;   /* held back LINK_FAULT_REORDER_MS, so later frames overtake it */
    uint32_t delay_ms;
    uint32_t jitter_ms; /* each delay is delay_ms +- up to jitter_ms, so jitter reorders too */
    uint64_t rate_bps;  /* 0: no limit; otherwise frames leave one after another at this rate */
};

struct link_fault_config {
    struct link_fault_direction rx, tx;
    uint32_t seed;
};

#define LINK_FAULT_REORDER_MS 10
/* Frames a direction may hold (delay, reorder, rate) before it drops more. */
#define LINK_FAULT_QUEUE_MAX 4096

/* Whether config asks for anything at all. */
int link_fault_active(const struct link_fault_config *config);

/* The fault stages: one link stage per kind of fault that config asks for,
 * chained in netem's order (drop nearest the stack, then corrupt, duplicate,
 * reorder, delay, and the rate nearest the wire). Reproducible for a given
 * seed: each stage and direction draws from its own generator, so one
 * side's traffic, or another fault, does not shift its decisions. Each
 * dropped, corrupted, duplicated or reordered frame is logged (tag "fault").
 * Frames held back wait in their stage, whose wait_fd then also wakes the
 * event loop (epoll over the inner link and a timerfd) when one is due, so
 * nothing ever sleeps. Returns the outermost stage. */
struct link *link_fault_new(struct link *inner, const struct link_fault_config *config, char *err);

struct link_fault_counts {
    uint64_t dropped, corrupted, duplicated, reordered, delayed;
    uint64_t overflowed; /* dropped because LINK_FAULT_QUEUE_MAX frames were held */
};

/* What the fault stage did so far (one stage per process). */
struct link_fault_stats {
    struct link_fault_counts rx, tx;
};
const struct link_fault_stats *link_fault_stats(void);

/* Who names the frames the fault stage logs, and hears of each input frame
 * it drops (no stage above it sees that frame): the timeline, which installs
 * itself, since link/ may not call up into timeline/. Unset, a frame is named
 * by frame_describe() and a drop goes unreported. */
struct link_fault_reporter {
    void (*describe)(const uint8_t *frame, size_t len, int tx, char *out, size_t outlen);
    void (*input_dropped)(const uint8_t *frame, size_t len);
};
void link_fault_set_reporter(const struct link_fault_reporter *reporter);

/* Tests give the stage their fake clock (microseconds); NULL restores CLOCK_MONOTONIC. */
void link_fault_set_clock(uint64_t (*now_us)(void));

/* Makes a close simultaneous on purpose: the first FIN the stack sends is held
 * back until the peer's FIN for the same connection arrives, and sent just
 * before that FIN reaches the stack, so that the two FINs cross on the wire.
 * One connection per run; a retransmitted FIN releases a held one. */
struct link *link_fin_cross_new(struct link *inner);

#endif
