#include "fake_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Used by Check tests and by the fuzzer alike, so no ck_assert here: an abort
 * is reported by both. */
static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: %s\n", __FILE__, what);
        abort();
    }
}

struct queued_frame {
    struct queued_frame *next;
    struct link_meta meta;
    size_t len;
    uint8_t data[];
};

struct frame_queue {
    struct queued_frame *head;
    struct queued_frame *tail;
    size_t count;
};

struct fake_link {
    struct link base;
    struct frame_queue rx;
    struct frame_queue tx;
    int offload;
    size_t tx_frames;
    size_t tx_super_frames;
};

static void queue_push(struct frame_queue *q, const uint8_t *frame, size_t len, const struct link_meta *meta)
{
    static const struct link_meta plain;
    struct queued_frame *f = malloc(sizeof *f + len);
    require(f != NULL, "out of memory");
    f->next = NULL;
    f->meta = meta != NULL ? *meta : plain;
    f->len = len;
    memcpy(f->data, frame, len);
    if (q->tail != NULL) {
        q->tail->next = f;
    } else {
        q->head = f;
    }
    q->tail = f;
    q->count++;
}

static struct queued_frame *queue_pop(struct frame_queue *q)
{
    struct queued_frame *f = q->head;
    if (f != NULL) {
        q->head = f->next;
        if (q->head == NULL) {
            q->tail = NULL;
        }
        q->count--;
    }
    return f;
}

static void queue_clear(struct frame_queue *q)
{
    struct queued_frame *f;
    while ((f = queue_pop(q)) != NULL) {
        free(f);
    }
}

static ssize_t fake_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct fake_link *fl = (struct fake_link *)self;
    struct queued_frame *f = fl->rx.head;
    if (f == NULL) {
        return 0;
    }
    if (f->len > cap) {
        snprintf(err, LINK_ERR_LEN, "fake link: %zu-byte frame does not fit %zu bytes", f->len, cap);
        return -1;
    }
    queue_pop(&fl->rx);
    size_t len = f->len;
    memcpy(buf, f->data, len);
    *meta = f->meta;
    free(f);
    return (ssize_t)len;
}

static int fake_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                     char *err)
{
    (void)err;
    struct fake_link *fl = (struct fake_link *)self;
    queue_push(&fl->tx, frame, len, meta);
    fl->tx_frames++;
    if (meta != NULL && meta->gso_type != LINK_GSO_NONE) {
        fl->tx_super_frames++;
    }
    return 0;
}

static unsigned fake_caps(const struct link *self)
{
    return ((const struct fake_link *)self)->offload ? LINK_CAP_OFFLOAD : 0;
}

static int fake_wait_fd(const struct link *self)
{
    (void)self;
    return -1;
}

static void fake_destroy(struct link *self)
{
    struct fake_link *fl = (struct fake_link *)self;
    queue_clear(&fl->rx);
    queue_clear(&fl->tx);
    free(fl);
}

static const struct link_ops fake_ops = {fake_recv, fake_send, fake_wait_fd, fake_destroy, fake_caps};

struct fake_link *fake_link_new(void)
{
    struct fake_link *fl = calloc(1, sizeof *fl);
    require(fl != NULL, "out of memory");
    fl->base.ops = &fake_ops;
    return fl;
}

struct link *fake_link_base(struct fake_link *fl)
{
    return &fl->base;
}

void fake_link_push_rx(struct fake_link *fl, const uint8_t *frame, size_t len)
{
    /* A zero-length receive means "nothing waiting" in the link contract. */
    require(len > 0, "empty frame");
    queue_push(&fl->rx, frame, len, NULL);
}

void fake_link_push_rx_meta(struct fake_link *fl, const uint8_t *frame, size_t len,
                            const struct link_meta *meta)
{
    require(len > 0, "empty frame");
    queue_push(&fl->rx, frame, len, meta);
}

void fake_link_set_offload(struct fake_link *fl, int on)
{
    fl->offload = on;
}

size_t fake_link_tx_frames(const struct fake_link *fl)
{
    return fl->tx_frames;
}

size_t fake_link_tx_super_frames(const struct fake_link *fl)
{
    return fl->tx_super_frames;
}

size_t fake_link_pop_tx(struct fake_link *fl, uint8_t *buf, size_t cap)
{
    return fake_link_pop_tx_meta(fl, buf, cap, NULL);
}

size_t fake_link_pop_tx_meta(struct fake_link *fl, uint8_t *buf, size_t cap, struct link_meta *meta)
{
    struct queued_frame *f = queue_pop(&fl->tx);
    if (f == NULL) {
        return 0;
    }
    if (meta != NULL) {
        *meta = f->meta;
    }
    require(f->len <= cap, "frame larger than the buffer");
    size_t len = f->len;
    memcpy(buf, f->data, len);
    free(f);
    return len;
}

size_t fake_link_rx_pending(const struct fake_link *fl)
{
    return fl->rx.count;
}

size_t fake_link_tx_pending(const struct fake_link *fl)
{
    return fl->tx.count;
}
