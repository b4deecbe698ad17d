/* tcp-server: serial echo server on kernel sockets. Every chunk a
 * connection delivers is answered with that connection's reply count
 * followed by the chunk itself; a chunk starting with "bye" ends it. */
#include "bytebuf.h"
#include "net_util.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG "tcp-server"
#define RECV_CHUNK 65536
/* A connection whose unsent replies exceed this is not read from until its
 * peer catches up, so one slow reader cannot make the server hoard memory. */
#define OUTPUT_LIMIT ((size_t)1 << 20)
#define ACCEPT_PAUSE_MS 100
#define PEER_LEN (NET_ADDR_LEN + 16)

struct conn {
    int fd;
    unsigned long long replies;
    struct bytebuf out;
    const char *ending;    /* why input stopped; NULL while still reading */
    int error;             /* errno that ended it: drop without flushing */
    long long close_at_ms; /* with --close-delay: when the flushed connection closes */
    char peer[PEER_LEN];
};

struct server {
    int listen_fd;
    int close_delay_ms;         /* how long a finished connection stays open */
    long long accept_resume_ms; /* nonzero while accepting is paused */
    struct conn *conns;
    size_t n_conns;
    size_t cap_conns;
    struct pollfd *pfds; /* listener first, then one per connection */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: " PROG " [--bind ADDR] [--close-delay MS] PORT\n"
                "       " PROG " --help | --version\n"
                "Serial echo server: answers every chunk received on a connection with\n"
                "the connection's reply count (from 0) followed by the chunk; a chunk\n"
                "starting with \"bye\" closes the connection. PORT 0 picks a free port.\n"
                "  --close-delay MS  keep a finished connection (bye, or the client's FIN)\n"
                "                    open this long before closing it: a client that\n"
                "                    closed first then sits in FIN_WAIT_2 meanwhile\n"
                "  --bind ADDR  IPv4 or IPv6 address to listen on (default: :: dual-stack)\n");
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool wants_input(const struct conn *c)
{
    return !c->ending && bytebuf_len(&c->out) < OUTPUT_LIMIT;
}

static void end_input(struct conn *c, const char *why, int error)
{
    c->ending = why;
    c->error = error;
}

static void read_chunk(struct conn *c, char *chunk)
{
    ssize_t n = recv(c->fd, chunk, RECV_CHUNK, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            end_input(c, "receive", errno);
        return;
    }
    if (n == 0) {
        end_input(c, "end of input", 0);
        return;
    }
    if (n >= 3 && memcmp(chunk, "bye", 3) == 0) {
        end_input(c, "bye", 0);
        return;
    }
    char prefix[24];
    int prefix_len = snprintf(prefix, sizeof(prefix), "%llu", c->replies);
    if (bytebuf_reserve(&c->out, (size_t)prefix_len + (size_t)n) < 0) {
        end_input(c, "queueing reply", errno);
        return;
    }
    bytebuf_append(&c->out, prefix, (size_t)prefix_len);
    bytebuf_append(&c->out, chunk, (size_t)n);
    c->replies++;
}

static void flush_output(struct conn *c)
{
    while (bytebuf_len(&c->out) > 0) {
        ssize_t n = send(c->fd, c->out.data + c->out.start, bytebuf_len(&c->out), MSG_NOSIGNAL);
        if (n >= 0) {
            bytebuf_consume(&c->out, (size_t)n);
        } else if (errno == EAGAIN) {
            return;
        } else if (errno != EINTR) {
            end_input(c, "send", errno);
            return;
        }
    }
    /* Give back what a burst made the queue grow to. */
    if (c->out.cap > 2 * (size_t)RECV_CHUNK)
        bytebuf_free(&c->out);
}

static void drop_conn(struct server *srv, size_t i)
{
    struct conn *c = &srv->conns[i];
    fprintf(stderr, PROG ": closed %s after %llu %s: %s%s%s\n", c->peer, c->replies,
            c->replies == 1 ? "reply" : "replies", c->ending, c->error ? ": " : "",
            c->error ? strerror(c->error) : "");
    close(c->fd);
    bytebuf_free(&c->out);
    srv->conns[i] = srv->conns[--srv->n_conns];
}

static void service_conn(struct server *srv, size_t i, short revents, char *chunk)
{
    struct conn *c = &srv->conns[i];
    if ((revents & (POLLIN | POLLERR | POLLHUP)) && wants_input(c))
        read_chunk(c, chunk);
    /* Errors and hang-ups also surface here, as failed sends. */
    if (!c->error)
        flush_output(c);
    if (!c->ending || (!c->error && bytebuf_len(&c->out) > 0))
        return;
    if (!c->error && srv->close_delay_ms > 0 && c->close_at_ms == 0)
        c->close_at_ms = monotonic_ms() + srv->close_delay_ms;
    if (c->error || c->close_at_ms == 0 || monotonic_ms() >= c->close_at_ms)
        drop_conn(srv, i);
}

static int add_conn(struct server *srv, int fd, const char *ip, int port)
{
    if (srv->n_conns == srv->cap_conns) {
        size_t cap = srv->cap_conns ? 2 * srv->cap_conns : 16;
        struct conn *conns = realloc(srv->conns, cap * sizeof(*conns));
        if (!conns)
            return -1;
        srv->conns = conns;
        struct pollfd *pfds = realloc(srv->pfds, (cap + 1) * sizeof(*pfds));
        if (!pfds)
            return -1;
        srv->pfds = pfds;
        srv->cap_conns = cap;
    }
    struct conn *c = &srv->conns[srv->n_conns++];
    *c = (struct conn){.fd = fd};
    snprintf(c->peer, sizeof(c->peer), "%s port %d", ip, port);
    fprintf(stderr, PROG ": connection from %s\n", c->peer);
    return 0;
}

static void accept_all(struct server *srv)
{
    for (;;) {
        char err[NET_ERR_LEN];
        char ip[NET_ADDR_LEN];
        int port;
        int fd = net_accept(err, srv->listen_fd, ip, sizeof(ip), &port);
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (fd < 0) {
            /* Out of descriptors or memory the listener stays readable, so
             * retrying at once would spin; give closing connections time. */
            bool exhausted = errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
            fprintf(stderr, PROG ": %s%s\n", err, exhausted ? "; pausing accepts" : "");
            if (exhausted)
                srv->accept_resume_ms = monotonic_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (add_conn(srv, fd, ip, port) < 0) {
            fprintf(stderr, PROG ": dropping %s port %d: out of memory\n", ip, port);
            close(fd);
            return;
        }
    }
}

/* Fills pfds and returns the ppoll timeout (NULL: none). */
static struct timespec *prepare_poll(struct server *srv, struct timespec *timeout)
{
    long long wait_ms = -1;
    if (srv->accept_resume_ms) {
        wait_ms = srv->accept_resume_ms - monotonic_ms();
        if (wait_ms <= 0) {
            srv->accept_resume_ms = 0;
            wait_ms = -1;
        }
    }
    srv->pfds[0] = (struct pollfd){
        .fd = srv->accept_resume_ms ? -1 : srv->listen_fd,
        .events = POLLIN,
    };
    for (size_t i = 0; i < srv->n_conns; i++) {
        const struct conn *c = &srv->conns[i];
        if (c->close_at_ms) {
            long long left = c->close_at_ms - monotonic_ms();
            left = left < 0 ? 0 : left;
            wait_ms = wait_ms < 0 || left < wait_ms ? left : wait_ms;
        }
        srv->pfds[i + 1] = (struct pollfd){
            .fd = c->close_at_ms ? -1 : c->fd,
            .events = (short)((wants_input(c) ? POLLIN : 0) | (bytebuf_len(&c->out) > 0 ? POLLOUT : 0)),
        };
    }
    if (wait_ms < 0)
        return NULL;
    timeout->tv_sec = wait_ms / 1000;
    timeout->tv_nsec = wait_ms % 1000 * 1000000;
    return timeout;
}

/* run_mask lets SIGINT/SIGTERM in only while waiting in ppoll(), so a stop
 * request can never slip in between checking the flag and going to sleep. */
static int serve(struct server *srv, const sigset_t *run_mask)
{
    static char chunk[RECV_CHUNK];
    while (!stop_signal) {
        struct timespec timeout;
        struct timespec *timeout_p = prepare_poll(srv, &timeout);
        size_t polled = srv->n_conns;
        if (ppoll(srv->pfds, polled + 1, timeout_p, run_mask) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
            return 1;
        }
        /* Backwards, so that drop_conn() only moves already serviced
         * connections into the freed slot. */
        for (size_t i = polled; i-- > 0;)
            service_conn(srv, i, srv->pfds[i + 1].revents, chunk);
        if (srv->pfds[0].revents)
            accept_all(srv);
    }
    fprintf(stderr, PROG ": %s, shutting down\n",
            stop_signal == SIGINT   ? "SIGINT"
            : stop_signal == SIGHUP ? "SIGHUP"
                                    : "SIGTERM");
    return 0;
}

static int install_signals(sigset_t *run_mask)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    /* A closed terminal (SIGHUP) stops the server as cleanly as SIGTERM. */
    sigaddset(&stop_set, SIGHUP);
    /* Sends use MSG_NOSIGNAL; this covers a log reader going away. */
    if (sigaction(SIGPIPE, &ignore, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
        sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0 ||
        sigprocmask(SIG_BLOCK, &stop_set, run_mask) < 0)
        return -1;
    sigdelset(run_mask, SIGINT);
    sigdelset(run_mask, SIGTERM);
    sigdelset(run_mask, SIGHUP);
    return 0;
}

static int start_listening(struct server *srv, const char *bindaddr, int port)
{
    char err[NET_ERR_LEN];
    srv->listen_fd = net_tcp_listen(err, bindaddr, port, SOMAXCONN);
    char ip[NET_ADDR_LEN];
    if (srv->listen_fd < 0 || net_local_name(err, srv->listen_fd, ip, sizeof(ip), &port) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return -1;
    }
    srv->pfds = malloc(sizeof(*srv->pfds));
    if (!srv->pfds) {
        fprintf(stderr, PROG ": out of memory\n");
        return -1;
    }
    fprintf(stderr, PROG ": listening on %s port %d\n", ip, port);
    fflush(stderr);
    return 0;
}

static void stop_server(struct server *srv)
{
    while (srv->n_conns > 0) {
        struct conn *c = &srv->conns[srv->n_conns - 1];
        if (!c->ending)
            end_input(c, "server shutting down", 0);
        drop_conn(srv, srv->n_conns - 1);
    }
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    free(srv->conns);
    free(srv->pfds);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"bind", required_argument, NULL, 'b'},
        {"close-delay", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    const char *bindaddr = NULL;
    int close_delay_ms = 0;
    int opt;
    opterr = 0; /* getopt would name the program by its full path */
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf(PROG " (lwip-tap) " LWIPTAP_VERSION "\n");
            return 0;
        case 'b':
            bindaddr = optarg;
            break;
        case 'd': {
            char *end;
            errno = 0;
            long ms = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || ms < 0 || ms > 600000) {
                fprintf(stderr, PROG ": invalid --close-delay '%s' (expected 0-600000 ms)\n", optarg);
                usage(stderr);
                return 2;
            }
            close_delay_ms = (int)ms;
            break;
        }
        default:
            fprintf(stderr, PROG ": unknown option or missing value: '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, PROG ": expected exactly one PORT\n");
        usage(stderr);
        return 2;
    }
    int port = net_parse_port(argv[optind], true);
    if (port < 0) {
        fprintf(stderr, PROG ": invalid port '%s' (expected 0-65535)\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    sigset_t run_mask;
    if (install_signals(&run_mask) < 0) {
        fprintf(stderr, PROG ": signals: %s\n", strerror(errno));
        return 1;
    }
    struct server srv = {.listen_fd = -1, .close_delay_ms = close_delay_ms};
    int status = start_listening(&srv, bindaddr, port) < 0 ? 1 : serve(&srv, &run_mask);
    stop_server(&srv);
    return status;
}
