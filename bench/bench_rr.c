/* bench-client's rate and pingpong modes (see bench_client.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_client.h"

/* Waits for fd to become ready for events; returns 0, or -1 on timeout (reported). */
static int wait_fd(int fd, short events, double deadline, const char *what)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r > 0) {
            return 0;
        }
        if (r == 0) {
            return fail("timed out waiting for %s", what);
        }
        if (errno != EINTR) {
            return fail("poll: %s", strerror(errno));
        }
    }
}

/* One connect / send / receive echo / half-close / await FIN / close cycle. */
static int rate_cycle(const struct options *o, long cycle, double deadline)
{
    static unsigned char buf[IO_CHUNK];
    const size_t size = (size_t)o->size;
    const size_t start = (size_t)(((unsigned long long)cycle * PATTERN_STRIDE) % PATTERN_LEN);
    const unsigned char *msg = pattern_at(start, 0);
    int fd = start_connect(o);
    if (fd < 0) {
        return -1;
    }
    int rc = -1;
    size_t sent = 0, got = 0;
    if (wait_fd(fd, POLLOUT, deadline, "connect") != 0) {
        goto out;
    }
    int err = connect_result(fd);
    if (err != 0) {
        fail("connect (cycle %ld): %s", cycle, strerror(err));
        goto out;
    }
    while (sent < size) {
        ssize_t w = send(fd, msg + sent, size - sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline, "send") != 0) {
                goto out;
            }
            continue;
        }
        if (w < 0) {
            fail("send (cycle %ld): %s", cycle, strerror(errno));
            goto out;
        }
        sent += (size_t)w;
    }
    int shut = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + got, sizeof buf - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLIN, deadline, got < size ? "the echo" : "the server's FIN") != 0) {
                goto out;
            }
            continue;
        }
        if (r < 0) {
            fail("recv (cycle %ld): %s", cycle, strerror(errno));
            goto out;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
        if (got > size) {
            fail("cycle %ld: server echoed more than the %zu bytes sent", cycle, size);
            goto out;
        }
        if (got == size && !shut) {
            shut = 1;
            if (shutdown(fd, SHUT_WR) != 0) {
                fail("shutdown (cycle %ld): %s", cycle, strerror(errno));
                goto out;
            }
        }
    }
    if (got != size || memcmp(buf, msg, size) != 0) {
        fail("cycle %ld: server closed after echoing %zu of %zu bytes%s", cycle, got, size,
             got == size ? ", and they differ from the message sent" : "");
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int run_rate(const struct options *o)
{
    if (o->count <= 0) {
        return fail("rate needs --count");
    }
    double *lat = calloc((size_t)o->count, sizeof *lat);
    if (lat == NULL) {
        return fail("out of memory");
    }
    double start = now_s();
    double deadline = start + o->timeout_s;
    double sum = 0;
    for (long i = 0; i < o->count; i++) {
        double t0 = now_s();
        if (rate_cycle(o, i, deadline) != 0) {
            fail("cycle %ld of %ld failed", i + 1, o->count);
            free(lat);
            return 1;
        }
        lat[i] = now_s() - t0;
        sum += lat[i];
    }
    double seconds = now_s() - start;
    qsort(lat, (size_t)o->count, sizeof *lat, compare_double);
    size_t p99 = (size_t)((double)(o->count - 1) * 0.99 + 0.5);
    printf("bench mode=rate cycles=%ld msg_bytes=%ld seconds=%.6f conn_per_s=%.1f mean_us=%.1f "
           "p50_us=%.1f p99_us=%.1f max_us=%.1f verified=yes\n",
           o->count, o->size, seconds, (double)o->count / seconds, sum / (double)o->count * 1e6,
           lat[(size_t)(o->count - 1) / 2] * 1e6, lat[p99] * 1e6, lat[o->count - 1] * 1e6);
    free(lat);
    return 0;
}

static int send_all(int fd, const unsigned char *msg, size_t size, double deadline)
{
    size_t sent = 0;
    while (sent < size) {
        ssize_t w = send(fd, msg + sent, size - sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline, "send") != 0) {
                return -1;
            }
            continue;
        }
        if (w < 0) {
            return fail("send: %s", strerror(errno));
        }
        sent += (size_t)w;
    }
    return 0;
}

static int recv_exactly(int fd, unsigned char *buf, size_t size, double deadline)
{
    size_t got = 0;
    while (got < size) {
        ssize_t r = recv(fd, buf + got, size - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fd, POLLIN, deadline, "the echo") != 0) {
                return -1;
            }
            continue;
        }
        if (r <= 0) {
            return fail("recv: %s", r == 0 ? "the server closed the connection" : strerror(errno));
        }
        got += (size_t)r;
    }
    return 0;
}

int run_pingpong(const struct options *o)
{
    static unsigned char buf[IO_CHUNK];
    if (o->count <= 0) {
        return fail("pingpong needs --count");
    }
    double *lat = calloc((size_t)o->count, sizeof *lat);
    if (lat == NULL) {
        return fail("out of memory");
    }
    double start = now_s(), deadline = start + o->timeout_s;
    int fd = start_connect(o), one = 1, rc = 1;
    if (fd < 0 || wait_fd(fd, POLLOUT, deadline, "connect") != 0) {
        goto out;
    }
    if (connect_result(fd) != 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        fail("connect: %s", strerror(connect_result(fd)));
        goto out;
    }
    for (long i = 0; i < o->count; i++) {
        const unsigned char *msg = pattern_at((size_t)i * PATTERN_STRIDE % PATTERN_LEN, 0);
        double t0 = now_s();
        if (send_all(fd, msg, (size_t)o->size, deadline) != 0 ||
            recv_exactly(fd, buf, (size_t)o->size, deadline) != 0) {
            goto out;
        }
        lat[i] = now_s() - t0;
        if (memcmp(buf, msg, (size_t)o->size) != 0) {
            fail("round trip %ld: the echo differs from the message", i);
            goto out;
        }
    }
    qsort(lat, (size_t)o->count, sizeof *lat, compare_double);
    size_t p99 = (size_t)((double)(o->count - 1) * 0.99 + 0.5);
    printf("bench mode=pingpong round_trips=%ld msg_bytes=%ld seconds=%.6f p50_us=%.1f p99_us=%.1f "
           "max_us=%.1f verified=yes\n",
           o->count, o->size, now_s() - start, lat[(size_t)(o->count - 1) / 2] * 1e6, lat[p99] * 1e6,
           lat[o->count - 1] * 1e6);
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    free(lat);
    return rc;
}
