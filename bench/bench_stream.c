/* bench-client's stream mode (see bench_client.c). */
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

struct stream_conn {
    int fd;
    int connected;
    int write_shut;
    int eof;
    unsigned long long sent;
    unsigned long long received;
    size_t start; /* offset of the connection's first byte in the pattern */
};

/* Sends what the socket takes; returns -1 on error (reported). */
static int stream_send(struct stream_conn *c, unsigned long long total)
{
    while (c->sent < total) {
        unsigned long long left = total - c->sent;
        size_t n = left < IO_CHUNK ? (size_t)left : IO_CHUNK;
        ssize_t w = send(c->fd, pattern_at(c->start, c->sent), n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            return fail("send: %s", strerror(errno));
        }
        c->sent += (unsigned long long)w;
    }
    if (!c->write_shut) {
        c->write_shut = 1;
        if (shutdown(c->fd, SHUT_WR) != 0) {
            return fail("shutdown: %s", strerror(errno));
        }
    }
    return 0;
}

/* Reads and checks what has arrived; returns -1 on error or corruption (reported). */
static int stream_recv(struct stream_conn *c, unsigned long long total, unsigned char *buf)
{
    for (;;) {
        ssize_t r = recv(c->fd, buf, IO_CHUNK, 0);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            return fail("recv: %s after %llu of %llu bytes", strerror(errno), c->received, total);
        }
        if (r == 0) {
            c->eof = 1;
            if (c->received != total) {
                return fail("server closed after echoing %llu of %llu bytes", c->received, total);
            }
            return 0;
        }
        if (c->received + (unsigned long long)r > total) {
            return fail("server echoed more than the %llu bytes sent", total);
        }
        if (memcmp(buf, pattern_at(c->start, c->received), (size_t)r) != 0) {
            return fail("echoed data differs from the data sent, within bytes %llu..%llu", c->received,
                        c->received + (unsigned long long)r);
        }
        c->received += (unsigned long long)r;
    }
}

int run_stream(const struct options *o)
{
    static struct stream_conn conns[MAX_CONNS];
    static struct pollfd pfds[MAX_CONNS];
    static unsigned char buf[IO_CHUNK];
    long n = o->conns, done = 0;
    double start = now_s();
    double deadline = start + o->timeout_s;
    /* Connections are opened as earlier ones complete their handshake, at most
     * MAX_PENDING_CONNECTS at a time, as load generators ramp up: thousands of
     * SYNs in one burst would only overflow the server's queue. */
    long opened = 0, pending = 0;
    while (done < n) {
        while (opened < n && pending < MAX_PENDING_CONNECTS) {
            long i = opened++;
            conns[i] = (struct stream_conn){
                .fd = start_connect(o),
                .start = (size_t)(((unsigned long long)i * PATTERN_STRIDE) % PATTERN_LEN)};
            if (conns[i].fd < 0) {
                return 1;
            }
            pending++;
        }
        for (long i = 0; i < opened; i++) {
            const struct stream_conn *c = &conns[i];
            short ev = 0;
            if (!c->eof) {
                ev = (short)(!c->connected || c->sent < o->bytes ? POLLOUT : 0);
                if (c->connected) {
                    ev |= POLLIN;
                }
            }
            pfds[i] = (struct pollfd){.fd = c->eof ? -1 : c->fd, .events = ev};
        }
        int ready = poll(pfds, (nfds_t)opened, remaining_ms(deadline));
        if (ready < 0 && errno != EINTR) {
            return fail("poll: %s", strerror(errno));
        }
        if (ready == 0) {
            unsigned long long got = 0;
            for (long i = 0; i < n; i++) {
                got += conns[i].received;
            }
            return fail("timed out after %.0f s: %ld of %ld connections done, %llu of %llu bytes echoed",
                        o->timeout_s, done, n, got, o->bytes * (unsigned long long)n);
        }
        for (long i = 0; i < opened; i++) {
            struct stream_conn *c = &conns[i];
            if (pfds[i].revents == 0) {
                continue;
            }
            if (!c->connected) {
                int err = connect_result(c->fd);
                if (err != 0) {
                    return fail("connect: %s", strerror(err));
                }
                c->connected = 1;
                pending--;
            }
            if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (stream_recv(c, o->bytes, buf) != 0) {
                    return 1;
                }
            }
            if (!c->eof && stream_send(c, o->bytes) != 0) {
                return 1;
            }
            if (c->eof) {
                done++;
            }
        }
    }
    double seconds = now_s() - start;
    unsigned long long total = o->bytes * (unsigned long long)n;
    for (long i = 0; i < n; i++) {
        close(conns[i].fd);
    }
    printf("bench mode=stream conns=%ld bytes_per_conn=%llu total_bytes=%llu seconds=%.6f "
           "mib_per_s=%.3f verified=yes\n",
           n, o->bytes, total, seconds, (double)total / (1024.0 * 1024.0) / seconds);
    return 0;
}
