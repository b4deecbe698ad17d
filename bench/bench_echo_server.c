/* bench-echo-server: the kernel baseline for scripts/bench.sh. An RFC 862
 * echo server on ordinary kernel sockets, built like lwip-tap's own loop:
 * one thread, one poll() over non-blocking descriptors, no per-connection
 * threads. Every byte read is written back; when the peer half-closes, the
 * rest is flushed and the connection closed. SIGINT or SIGTERM stop it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#define PROG "bench-echo-server"
#define CONN_BUF 65536
#define MAX_CONNS 16384
#define LISTEN_BACKLOG 4096

struct conn {
    int fd;
    int eof;    /* the peer half-closed: flush, then close */
    size_t off; /* buf[off..len) is read and not yet written back */
    size_t len;
    unsigned char *buf;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: " PROG " [--bind ADDR] [--port PORT]\n"
                "Single-threaded poll() RFC 862 echo server on kernel sockets (IPv4).\n"
                "  --bind ADDR  IPv4 address to listen on (default 0.0.0.0)\n"
                "  --port PORT  TCP port (default 7)\n"
                "Prints 'listening ADDR:PORT' on stdout once it accepts connections.\n");
}

static int open_listener(const char *addr, unsigned port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, PROG ": invalid IPv4 address '%s'\n", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        fprintf(stderr, PROG ": cannot listen on %s:%u: %s\n", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    c->fd = -1;
    c->buf = NULL;
}

/* Writes back what is buffered; returns -1 if the connection is gone. */
static int conn_flush(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    return 0;
}

/* Reads what fits; returns -1 if the connection is gone. */
static int conn_read(struct conn *c)
{
    if (c->off > 0 && c->len - c->off < CONN_BUF / 4) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, CONN_BUF - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            return 0;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

static void accept_all(int listen_fd, struct conn *conns, size_t *n_conns)
{
    while (*n_conns < MAX_CONNS) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
                fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
            }
            return;
        }
        unsigned char *buf = malloc(CONN_BUF);
        if (buf == NULL) {
            close(fd);
            return;
        }
        conns[(*n_conns)++] = (struct conn){fd, 0, 0, 0, buf};
    }
}

static int parse_port(const char *text, unsigned *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || v > 65535) {
        return -1;
    }
    *port = (unsigned)v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *bind_addr = "0.0.0.0";
    unsigned port = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 < argc && strcmp(argv[i], "--bind") == 0) {
            bind_addr = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
            if (parse_port(argv[++i], &port) != 0) {
                fprintf(stderr, PROG ": invalid port '%s'\n", argv[i]);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }

    /* One descriptor per connection: lift the soft limit (often 1024). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_CONNS + 64) {
        rl.rlim_cur = MAX_CONNS + 64;
        if (rl.rlim_max < rl.rlim_cur) {
            rl.rlim_max = rl.rlim_cur;
        }
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            fprintf(stderr, PROG ": warning: cannot raise the descriptor limit: %s\n", strerror(errno));
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int listen_fd = open_listener(bind_addr, port);
    if (listen_fd < 0) {
        return 1;
    }
    static struct conn conns[MAX_CONNS];
    static struct pollfd pfds[MAX_CONNS + 1];
    size_t n_conns = 0;
    printf("listening %s:%u\n", bind_addr, port);
    fflush(stdout);

    while (!stop_signal) {
        pfds[0] = (struct pollfd){.fd = listen_fd, .events = n_conns < MAX_CONNS ? POLLIN : 0};
        for (size_t i = 0; i < n_conns; i++) {
            const struct conn *c = &conns[i];
            short ev = 0;
            if (c->off < c->len) {
                ev |= POLLOUT;
            }
            if (!c->eof && c->len < CONN_BUF) {
                ev |= POLLIN;
            }
            pfds[i + 1] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        if (poll(pfds, n_conns + 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
            break;
        }
        size_t polled = n_conns;
        for (size_t i = 0; i < polled; i++) {
            struct conn *c = &conns[i];
            short rev = pfds[i + 1].revents;
            int gone = 0;
            if (rev & (POLLIN | POLLHUP | POLLERR)) {
                gone = conn_read(c) != 0;
            }
            if (!gone && (rev != 0)) {
                gone = conn_flush(c) != 0;
            }
            if (gone || (c->eof && c->off == c->len)) {
                conn_close(c);
            }
        }
        /* Compact: closed slots are taken by the last live connections. */
        size_t kept = 0;
        for (size_t i = 0; i < polled; i++) {
            if (conns[i].fd >= 0) {
                conns[kept++] = conns[i];
            }
        }
        n_conns = kept;
        if (pfds[0].revents & POLLIN) {
            accept_all(listen_fd, conns, &n_conns);
        }
    }
    for (size_t i = 0; i < n_conns; i++) {
        conn_close(&conns[i]);
    }
    close(listen_fd);
    return 0;
}
