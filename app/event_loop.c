#include "event_loop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sys.h"
#include "lwip/timeouts.h"

void event_loop_init(struct event_loop *loop, void (*run_timers)(void))
{
    memset(loop, 0, sizeof *loop);
    loop->run_timers = run_timers;
}

int event_loop_watch(struct event_loop *loop, int fd, event_handler_fn handler, void *ctx, char *err)
{
    if (loop->count == EVENT_LOOP_MAX_WATCHES) {
        snprintf(err, EVENT_LOOP_ERR_LEN, "event loop: more than %d descriptors", EVENT_LOOP_MAX_WATCHES);
        return -1;
    }
    loop->watches[loop->count++] = (struct event_watch){fd, handler, ctx};
    return 0;
}

void event_loop_unwatch(struct event_loop *loop, int fd)
{
    for (int i = 0; i < loop->count; i++) {
        if (loop->watches[i].fd == fd) {
            loop->watches[i] = loop->watches[--loop->count];
            return;
        }
    }
}

void event_loop_set_before_sleep(struct event_loop *loop, void (*fn)(void *ctx), void *ctx)
{
    loop->before_sleep = fn;
    loop->before_sleep_ctx = ctx;
}

void event_loop_stop(struct event_loop *loop)
{
    loop->stop_requested = 1;
}

static int poll_timeout(uint32_t limit_ms, uint32_t started)
{
    u32_t sleep = sys_timeouts_sleeptime();
    if (limit_ms != 0) {
        uint32_t elapsed = sys_now() - started;
        uint32_t left = elapsed >= limit_ms ? 0 : limit_ms - elapsed;
        if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE || sleep > left) {
            sleep = left;
        }
    }
    return sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? -1 : (int)sleep;
}

int event_loop_dispatch(struct event_loop *loop, int timeout_ms, char *err)
{
    struct pollfd fds[EVENT_LOOP_MAX_WATCHES];
    int n = loop->count;
    for (int i = 0; i < n; i++) {
        fds[i] = (struct pollfd){.fd = loop->watches[i].fd, .events = POLLIN};
    }
    int ready = poll(fds, (nfds_t)n, timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) {
            return 0;
        }
        snprintf(err, EVENT_LOOP_ERR_LEN, "poll: %s", strerror(errno));
        return -1;
    }
    /* Handlers may unwatch descriptors, so dispatch from the snapshot. */
    for (int i = 0; i < n && ready > 0; i++) {
        if (fds[i].revents == 0) {
            continue;
        }
        ready--;
        for (int w = 0; w < loop->count; w++) {
            if (loop->watches[w].fd == fds[i].fd) {
                loop->watches[w].handler(loop, fds[i].fd, loop->watches[w].ctx);
                break;
            }
        }
    }
    return 0;
}

int event_loop_run(struct event_loop *loop, uint32_t limit_ms, char *err)
{
    uint32_t started = sys_now();
    loop->stop_requested = 0;
    while (!loop->stop_requested) {
        loop->run_timers();
        if (loop->before_sleep != NULL) {
            loop->before_sleep(loop->before_sleep_ctx);
        }
        if (limit_ms != 0 && sys_now() - started >= limit_ms) {
            break;
        }
        if (event_loop_dispatch(loop, poll_timeout(limit_ms, started), err) != 0) {
            return -1;
        }
    }
    return 0;
}
