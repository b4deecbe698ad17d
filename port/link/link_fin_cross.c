#include <stdlib.h>
#include <string.h>

#include "lwiptap/frame_info.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"

enum hold_state { WAITING_FOR_OUR_FIN, HOLDING, DONE };

struct fin_cross_link {
    struct link base;
    struct link *inner;
    enum hold_state state;
    uint16_t our_port, peer_port;
    size_t held_len;
    struct link_meta held_meta;
    int held_has_meta;
    uint8_t held[LINK_MAX_FRAME];
};

static int release(struct fin_cross_link *f, char *err)
{
    f->state = DONE;
    return link_send(f->inner, f->held, f->held_len, f->held_has_meta ? &f->held_meta : NULL, err);
}

static ssize_t fin_cross_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fin_cross_link *f = (struct fin_cross_link *)self;
    ssize_t n = link_recv(f->inner, buf, cap, meta, err);
    uint16_t src, dst;
    if (n > 0 && f->state == HOLDING) {
        int flags = frame_tcp_ports(buf, (size_t)n, &src, &dst);
        if (flags >= 0 && (flags & FRAME_TCP_FIN) && src == f->peer_port && dst == f->our_port) {
            log_info("fin-cross", "the peer's FIN has arrived: sending ours before the stack sees it");
            if (release(f, err) != 0) {
                return -1;
            }
        }
    }
    return n;
}

static int fin_cross_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                          char *err)
{
    struct fin_cross_link *f = (struct fin_cross_link *)self;
    uint16_t src, dst;
    int flags = f->state == DONE ? -1 : frame_tcp_ports(frame, len, &src, &dst);
    if (flags < 0 || !(flags & FRAME_TCP_FIN) || (flags & (FRAME_TCP_RST | FRAME_TCP_SYN))) {
        return link_send(f->inner, frame, len, meta, err);
    }
    if (f->state == HOLDING) {
        /* lwIP retransmits its FIN: the peer did not close in time. */
        if (src == f->our_port && dst == f->peer_port && release(f, err) != 0) {
            return -1;
        }
        return link_send(f->inner, frame, len, meta, err);
    }
    f->state = HOLDING;
    f->our_port = src;
    f->peer_port = dst;
    f->held_len = len;
    memcpy(f->held, frame, len);
    f->held_has_meta = meta != NULL;
    if (meta != NULL) {
        f->held_meta = *meta;
    }
    log_info("fin-cross", "holding our FIN (port %u -> %u) until the peer's FIN arrives", src, dst);
    return 0;
}

static unsigned fin_cross_caps(const struct link *self)
{
    return link_caps(((const struct fin_cross_link *)self)->inner);
}

static int fin_cross_wait_fd(const struct link *self)
{
    return link_wait_fd(((const struct fin_cross_link *)self)->inner);
}

static void fin_cross_destroy(struct link *self)
{
    struct fin_cross_link *f = (struct fin_cross_link *)self;
    link_destroy(f->inner);
    free(f);
}

static const struct link_ops fin_cross_ops = {fin_cross_recv, fin_cross_send, fin_cross_wait_fd,
                                              fin_cross_destroy, fin_cross_caps};

struct link *link_fin_cross_new(struct link *inner)
{
    struct fin_cross_link *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->base.ops = &fin_cross_ops;
    f->inner = inner;
    return &f->base;
}
