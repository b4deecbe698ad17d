/* bench-client: the load generator of scripts/bench.sh, the same binary for
 * every target so that only the server's stack differs.
 *
 *   stream: K connections at once, each sends B bytes and reads them back
 *           concurrently (one poll() loop, non-blocking sockets), then
 *           half-closes and waits for the server's FIN. Every byte received
 *           is compared with what was sent.
 *   rate:   M sequential cycles of connect, send one S-byte message, read the
 *           echo, half-close, wait for the server's FIN, close.
 *   pingpong: one connection, M round trips of one S-byte message each
 *           (TCP_NODELAY): the latency of the stacks alone, no handshakes.
 *
 * Wall time is CLOCK_MONOTONIC. The result is one line of key=value pairs on
 * stdout, starting with "bench "; errors go to stderr with exit status 1. */
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

#define PROG "bench-client"
#define IO_CHUNK 65536
/* The data pattern: PATTERN_LEN pseudo-random bytes (a prime, so that a
 * shifted or repeated stream never lines up with it again), followed by a
 * copy of its first IO_CHUNK bytes so that any window of IO_CHUNK bytes is
 * contiguous. Connection i starts at offset i * PATTERN_STRIDE. */
#define PATTERN_LEN 65521u
#define PATTERN_STRIDE 7919u
#define MAX_CONNS 16384
#define MAX_PENDING_CONNECTS 256
#define MAX_CYCLES 1000000L

static unsigned char pattern[PATTERN_LEN + IO_CHUNK];

enum mode { MODE_NONE, MODE_STREAM, MODE_RATE, MODE_PINGPONG };

struct options {
    enum mode mode;
    struct sockaddr_storage server;
    socklen_t server_len;
    long conns;
    unsigned long long bytes;
    long count;
    long size;
    double timeout_s;
};

struct stream_conn {
    int fd;
    int connected;
    int write_shut;
    int eof;
    unsigned long long sent;
    unsigned long long received;
    size_t start; /* offset of the connection's first byte in the pattern */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_pattern(void)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < PATTERN_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = (unsigned char)(x >> 32);
    }
    for (size_t i = PATTERN_LEN; i < sizeof pattern; i++) {
        pattern[i] = pattern[i - PATTERN_LEN];
    }
}

static const unsigned char *pattern_at(size_t start, unsigned long long pos)
{
    return pattern + (size_t)((start + pos) % PATTERN_LEN);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: " PROG " --host ADDR --port PORT stream --conns K --bytes B [--timeout S]\n"
                "       " PROG " --host ADDR --port PORT rate --count M [--size S] [--timeout S]\n"
                "       " PROG " --host ADDR --port PORT pingpong --count M [--size S] [--timeout S]\n"
                "Echo load client (ADDR is IPv4 or IPv6). stream: K parallel connections each\n"
                "echo B bytes. rate: M sequential connect/send/receive/close cycles with an\n"
                "S-byte message (default 32). pingpong: M round trips of one S-byte message on\n"
                "one connection. --timeout: give up after S seconds in all (default 60).\n"
                "Prints one line: 'bench mode=... key=value ...'. Exit 0 only if every byte\n"
                "came back intact and every connection was closed by the server.\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int parse_num(const char *text, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    const char *host = NULL;
    unsigned long long port = 0, v;
    memset(o, 0, sizeof *o);
    o->conns = 1;
    o->count = 0;
    o->size = 32;
    o->timeout_s = 60.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "stream") == 0 || strcmp(a, "rate") == 0 || strcmp(a, "pingpong") == 0) {
            o->mode = a[0] == 's' ? MODE_STREAM : a[0] == 'r' ? MODE_RATE : MODE_PINGPONG;
            continue;
        }
        if (val == NULL) {
            return fail("option '%s' needs a value (or is unknown); try --help", a);
        }
        i++;
        if (strcmp(a, "--host") == 0) {
            host = val;
        } else if (strcmp(a, "--port") == 0 && parse_num(val, 65535, &port) == 0 && port > 0) {
            continue;
        } else if (strcmp(a, "--conns") == 0 && parse_num(val, MAX_CONNS, &v) == 0 && v > 0) {
            o->conns = (long)v;
        } else if (strcmp(a, "--bytes") == 0 && parse_num(val, 1ULL << 40, &v) == 0 && v > 0) {
            o->bytes = v;
        } else if (strcmp(a, "--count") == 0 && parse_num(val, MAX_CYCLES, &v) == 0 && v > 0) {
            o->count = (long)v;
        } else if (strcmp(a, "--size") == 0 && parse_num(val, IO_CHUNK, &v) == 0 && v > 0) {
            o->size = (long)v;
        } else if (strcmp(a, "--timeout") == 0 && parse_num(val, 3600, &v) == 0 && v > 0) {
            o->timeout_s = (double)v;
        } else {
            return fail("invalid option or value: %s %s", a, val);
        }
    }
    if (o->mode == MODE_NONE || host == NULL || port == 0) {
        usage(stderr);
        return 1;
    }
    if (o->mode == MODE_STREAM && o->bytes == 0) {
        return fail("stream needs --bytes");
    }
    if ((o->mode == MODE_RATE || o->mode == MODE_PINGPONG) && o->count == 0) {
        return fail("%s needs --count", o->mode == MODE_RATE ? "rate" : "pingpong");
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&o->server;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&o->server;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        o->server_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        o->server_len = sizeof *v6;
    } else {
        return fail("invalid IPv4 or IPv6 address '%s'", host);
    }
    return 0;
}

/* Enough descriptors for every connection: the soft limit (often 1024) is
 * raised as far as the hard one allows, which root may raise too. */
static int raise_fd_limit(long conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conns + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return fail("getrlimit: %s", strerror(errno));
    }
    if (rl.rlim_cur >= want) {
        return 0;
    }
    rl.rlim_cur = want;
    if (rl.rlim_max < want) {
        rl.rlim_max = want;
    }
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return fail("%ld connections need %lu descriptors: setrlimit: %s", conns, (unsigned long)want,
                    strerror(errno));
    }
    return 0;
}

/* Starts a non-blocking connect; returns the socket, or -1. */
static int start_connect(const struct options *o)
{
    int fd = socket(o->server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&o->server, o->server_len) != 0 && errno != EINPROGRESS) {
        fail("connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    return err;
}

static int remaining_ms(double deadline)
{
    double left = deadline - now_s();
    return left <= 0 ? 0 : (int)(left * 1000.0) + 1;
}

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

static int run_stream(const struct options *o)
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

static int run_rate(const struct options *o)
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

static int run_pingpong(const struct options *o)
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

int main(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) != 0) {
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fill_pattern();
    if (o.mode == MODE_STREAM) {
        return raise_fd_limit(o.conns) != 0 ? 1 : run_stream(&o);
    }
    if (o.mode == MODE_PINGPONG) {
        return run_pingpong(&o);
    }
    return run_rate(&o);
}
