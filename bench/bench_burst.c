/* bench-client's burst mode (see bench_client.c): every one of the N
 * non-blocking connects is issued before the client looks at any of them (no
 * ramp, as real load arrives), then each connection echoes B bytes, checked
 * byte by byte, within its own deadline. A connection that fails (timeout,
 * reset, refused, short or wrong echo) is counted, not fatal: the figure is
 * how many of the N the server served. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_client.h"

enum burst_state { CONNECTING, OPEN, DONE, FAILED };
enum failure { F_TIMEOUT, F_RESET, F_REFUSED, F_DATA, F_OTHER, F_COUNT };

struct burst_conn {
    int fd;
    enum burst_state state;
    int write_shut;
    unsigned long long sent;
    unsigned long long received;
    size_t start;
    double deadline;
};

struct burst {
    const struct options *o;
    struct burst_conn *conns;
    int ep;
    long finished;
    long served;
    double start;
    double *served_at; /* seconds from the start to each served connection's end */
    long failures[F_COUNT];
    unsigned char buf[IO_CHUNK];
};

static void conn_fail(struct burst *b, struct burst_conn *c, enum failure why)
{
    c->state = FAILED;
    b->failures[why]++;
    b->finished++;
    close(c->fd);
    c->fd = -1;
}

static enum failure classify(int err)
{
    switch (err) {
    case ECONNRESET:
    case EPIPE:
        return F_RESET;
    case ECONNREFUSED:
        return F_REFUSED;
    case ETIMEDOUT:
        return F_TIMEOUT;
    default:
        return F_OTHER;
    }
}

/* A failed recv() or send() other than EINTR: a full or empty socket buffer
 * waits for epoll, anything else fails the connection by its kind. */
static void fail_unless_would_block(struct burst *b, struct burst_conn *c)
{
    const int err = errno;
    if (err != EAGAIN && err != EWOULDBLOCK) {
        conn_fail(b, c, classify(err));
    }
}

/* Reads and checks what arrived; the connection is done at the server's FIN
 * after every byte came back. */
static void burst_recv(struct burst *b, struct burst_conn *c)
{
    const unsigned long long total = b->o->bytes;
    for (;;) {
        ssize_t r = recv(c->fd, b->buf, IO_CHUNK, 0);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail_unless_would_block(b, c);
            return;
        }
        if (r == 0) {
            if (c->received != total) {
                conn_fail(b, c, F_DATA);
                return;
            }
            c->state = DONE;
            b->served_at[b->served++] = now_s() - b->start;
            b->finished++;
            close(c->fd);
            c->fd = -1;
            return;
        }
        if (c->received + (unsigned long long)r > total ||
            memcmp(b->buf, pattern_at(c->start, c->received), (size_t)r) != 0) {
            conn_fail(b, c, F_DATA);
            return;
        }
        c->received += (unsigned long long)r;
    }
}

static void burst_send(struct burst *b, struct burst_conn *c, long index)
{
    const unsigned long long total = b->o->bytes;
    while (c->sent < total) {
        unsigned long long left = total - c->sent;
        size_t n = left < IO_CHUNK ? (size_t)left : IO_CHUNK;
        ssize_t w = send(c->fd, pattern_at(c->start, c->sent), n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail_unless_would_block(b, c);
            return;
        }
        c->sent += (unsigned long long)w;
    }
    if (!c->write_shut) {
        c->write_shut = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)index};
        if (shutdown(c->fd, SHUT_WR) != 0 || epoll_ctl(b->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            conn_fail(b, c, classify(errno));
        }
    }
}

static void burst_event(struct burst *b, long index, uint32_t events)
{
    struct burst_conn *c = &b->conns[index];
    if (c->state == CONNECTING) {
        int err = connect_result(c->fd);
        if (err != 0) {
            conn_fail(b, c, classify(err));
            return;
        }
        c->state = OPEN;
    }
    if (c->state == OPEN && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        burst_recv(b, c);
    }
    if (c->state == OPEN && !c->write_shut) {
        burst_send(b, c, index);
    }
}

static void expire(struct burst *b, double now)
{
    for (long i = 0; i < b->o->conns; i++) {
        struct burst_conn *c = &b->conns[i];
        if ((c->state == CONNECTING || c->state == OPEN) && now > c->deadline) {
            conn_fail(b, c, F_TIMEOUT);
        }
    }
}

int run_burst(const struct options *o)
{
    static struct burst b;
    static struct epoll_event events[1024];
    const long n = o->conns;
    b.o = o;
    b.conns = calloc((size_t)n, sizeof *b.conns);
    b.served_at = calloc((size_t)n, sizeof *b.served_at);
    b.ep = epoll_create1(EPOLL_CLOEXEC);
    if (b.conns == NULL || b.served_at == NULL || b.ep < 0) {
        return fail("burst: %s", strerror(errno));
    }
    const double start = now_s();
    b.start = start;
    for (long i = 0; i < n; i++) {
        struct burst_conn *c = &b.conns[i];
        c->fd = start_connect(o);
        if (c->fd < 0) {
            return 1;
        }
        c->start = (size_t)(((unsigned long long)i * PATTERN_STRIDE) % PATTERN_LEN);
        c->deadline = now_s() + o->conn_timeout_s;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i};
        if (epoll_ctl(b.ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            return fail("epoll_ctl: %s", strerror(errno));
        }
    }
    const double issued = now_s() - start;
    double next_expiry = now_s() + 0.1;
    while (b.finished < n) {
        int ready = epoll_wait(b.ep, events, (int)(sizeof events / sizeof events[0]), 50);
        if (ready < 0 && errno != EINTR) {
            return fail("epoll_wait: %s", strerror(errno));
        }
        for (int k = 0; k < ready; k++) {
            burst_event(&b, (long)events[k].data.u64, events[k].events);
        }
        const double now = now_s();
        if (now >= next_expiry) {
            expire(&b, now);
            next_expiry = now + 0.1;
        }
    }
    const double seconds = now_s() - start;
    long failed = 0;
    for (int f = 0; f < F_COUNT; f++) {
        failed += b.failures[f];
    }
    close(b.ep);
    free(b.conns);
    /* served_at is in order of completion, so sorted already. A run with
     * failures lasts until the last deadline: these say when the served
     * connections were done. */
    const double p50 = b.served > 0 ? b.served_at[(b.served - 1) / 2] : 0.0;
    const double p99 = b.served > 0 ? b.served_at[(b.served - 1) * 99 / 100] : 0.0;
    free(b.served_at);
    printf("bench mode=burst conns=%ld bytes_per_conn=%llu seconds=%.6f connects_issued_s=%.3f "
           "served_p50_s=%.3f "
           "served_p99_s=%.3f failed=%ld timeouts=%ld resets=%ld refused=%ld bad_data=%ld other=%ld "
           "verified=%s\n",
           n, o->bytes, seconds, issued, p50, p99, failed, b.failures[F_TIMEOUT], b.failures[F_RESET],
           b.failures[F_REFUSED], b.failures[F_DATA], b.failures[F_OTHER], failed == 0 ? "yes" : "no");
    return failed == 0 ? 0 : 1;
}
