/* bench-client: the load generator of scripts/bench.sh, the same binary for
 * every target so that only the server's stack differs.
 *
 *   stream: K connections at once, each sends B bytes and reads them back
 *           concurrently (one poll() loop, non-blocking sockets), then
 *           half-closes and waits for the server's FIN. Every byte received
 *           is compared with what was sent.
 *   rate:   M sequential cycles of connect, send one S-byte message, read the
 *           echo, half-close, wait for the server's FIN, close.
 *   burst:  like stream, but all K connects are issued before any is looked
 *           at (no ramp), each connection has its own deadline, and failed
 *           connections are counted instead of ending the run (bench_burst.c).
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

#include "bench_client.h"

static unsigned char pattern[PATTERN_LEN + IO_CHUNK];

double now_s(void)
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

const unsigned char *pattern_at(size_t start, unsigned long long pos)
{
    return pattern + (size_t)((start + pos) % PATTERN_LEN);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: " PROG " --host ADDR --port PORT stream --conns K --bytes B [--timeout S]\n"
                "       " PROG " --host ADDR --port PORT burst --conns K --bytes B [--conn-timeout S]\n"
                "       " PROG " --host ADDR --port PORT rate --count M [--size S] [--timeout S]\n"
                "       " PROG " --host ADDR --port PORT pingpong --count M [--size S] [--timeout S]\n"
                "Echo load client (ADDR is IPv4 or IPv6). stream: K parallel connections each\n"
                "echo B bytes. rate: M sequential connect/send/receive/close cycles with an\n"
                "S-byte message (default 32). pingpong: M round trips of one S-byte message on\n"
                "one connection. burst: K connects at once, no ramp, each connection echoing B\n"
                "bytes within --conn-timeout S seconds (default 20); failures are counted.\n"
                "--timeout: give up after S seconds in all (default 60).\n"
                "Prints one line: 'bench mode=... key=value ...'. Exit 0 only if every byte\n"
                "came back intact and every connection was closed by the server.\n");
}

int fail(const char *fmt, ...)
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
    o->conn_timeout_s = 20.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "stream") == 0 || strcmp(a, "rate") == 0 || strcmp(a, "pingpong") == 0 ||
                   strcmp(a, "burst") == 0) {
            o->mode = a[0] == 's'   ? MODE_STREAM
                      : a[0] == 'r' ? MODE_RATE
                      : a[0] == 'b' ? MODE_BURST
                                    : MODE_PINGPONG;
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
        } else if (strcmp(a, "--conn-timeout") == 0 && parse_num(val, 3600, &v) == 0 && v > 0) {
            o->conn_timeout_s = (double)v;
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
    if ((o->mode == MODE_STREAM || o->mode == MODE_BURST) && o->bytes == 0) {
        return fail("%s needs --bytes", o->mode == MODE_STREAM ? "stream" : "burst");
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
int raise_fd_limit(long conns)
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
int start_connect(const struct options *o)
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

int connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    return err;
}

int remaining_ms(double deadline)
{
    double left = deadline - now_s();
    return left <= 0 ? 0 : (int)(left * 1000.0) + 1;
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
    if (o.mode == MODE_BURST) {
        return raise_fd_limit(o.conns) != 0 ? 1 : run_burst(&o);
    }
    if (o.mode == MODE_PINGPONG) {
        return run_pingpong(&o);
    }
    return run_rate(&o);
}
