/* One single-threaded event loop, in the style of Redis's ae.c. Each pass runs
 * lwIP's timers, then the before-sleep hook (ae.c's beforesleep: it sends
 * what the pass left batched), sleeps in poll() no longer than lwIP's next
 * timeout, then
 * calls the handler of every ready descriptor (the link handler drains the
 * link until it has nothing left). Nothing ever blocks outside poll(). */
#ifndef LWIPTAP_EVENT_LOOP_H
#define LWIPTAP_EVENT_LOOP_H

#include <stdint.h>

#define EVENT_LOOP_MAX_WATCHES 8
#define EVENT_LOOP_ERR_LEN 256

struct event_loop;
typedef void (*event_handler_fn)(struct event_loop *loop, int fd, void *ctx);

struct event_watch {
    int fd;
    event_handler_fn handler;
    void *ctx;
};

struct event_loop {
    struct event_watch watches[EVENT_LOOP_MAX_WATCHES];
    int count;
    int stop_requested;
    void (*run_timers)(void);
    void (*before_sleep)(void *ctx);
    void *before_sleep_ctx;
};

void event_loop_init(struct event_loop *loop, void (*run_timers)(void));
int event_loop_watch(struct event_loop *loop, int fd, event_handler_fn handler, void *ctx, char *err);
void event_loop_unwatch(struct event_loop *loop, int fd);
void event_loop_set_before_sleep(struct event_loop *loop, void (*fn)(void *ctx), void *ctx);
void event_loop_stop(struct event_loop *loop);

/* One wait of at most timeout_ms (-1: no limit) and the handlers of every
 * ready descriptor, without timers: a pass of event_loop_run, and what unit
 * tests with a fake clock drive. */
int event_loop_dispatch(struct event_loop *loop, int timeout_ms, char *err);

/* Runs passes until event_loop_stop() or, when limit_ms is not 0, until that
 * much time has passed. Returns -1 with err filled if poll() fails. */
int event_loop_run(struct event_loop *loop, uint32_t limit_ms, char *err);

#endif
