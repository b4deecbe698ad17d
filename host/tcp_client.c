/* tcp-client: sends each line read from standard input to a serial echo
 * server (tcp-server, or the lwIP app) and prints the reply to it. */
#include "bytebuf.h"
#include "net_util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "tcp-client"
#define DEFAULT_TIMEOUT_MS 5000
#define RECV_CHUNK 65536
#define KEEP_GOING (-1)

struct session {
    int fd;
    const char *host;
    int port;
    int timeout_ms;
    bool classic; /* the original TCPClient's prompts */
    struct bytebuf reply;
};

/* When transfer() may stop; every mode first sends all it was given. */
enum until {
    UNTIL_SENT,
    UNTIL_NEWLINE, /* the reply so far ends in '\n' */
    UNTIL_DATA,    /* something arrived after the last byte went out */
    UNTIL_EOF,     /* never done: only the server's close ends it */
};

enum transfer_result { TRANSFER_DONE, TRANSFER_CLOSED, TRANSFER_TIMEOUT, TRANSFER_ERROR };

static void usage(FILE *to)
{
    fprintf(to,
            "usage: " PROG " [--timeout SECONDS] [--classic] HOST PORT\n"
            "       " PROG " --help | --version\n"
            "Connects to HOST (a name, IPv4 or IPv6 address) on TCP PORT, sends each\n"
            "line read from standard input and prints the server's reply to it.\n"
            "A line starting with \"bye\" is sent and ends the session; the end of\n"
            "input (Ctrl-D) ends it without sending anything: a FIN, like nc -N.\n"
            "  --timeout SECONDS  give up after this long without progress, connecting\n"
            "                     or waiting on the server (default %d)\n"
            "  --classic          the original TCPClient's prompts and reply lines:\n"
            "                     'Please input the info:' / 'The info from server is: ...'\n",
            DEFAULT_TIMEOUT_MS / 1000);
}

static bool is_done(const struct session *s, enum until until, bool heard_after_sent)
{
    const struct bytebuf *r = &s->reply;
    switch (until) {
    case UNTIL_SENT:
        return true;
    case UNTIL_NEWLINE:
        return bytebuf_len(r) > 0 && r->data[r->end - 1] == '\n';
    case UNTIL_DATA:
        return heard_after_sent;
    case UNTIL_EOF:
        return false;
    }
    return false;
}

/* Sends and receives at the same time: a reply larger than the socket
 * buffers would otherwise deadlock against our own blocked send. The timeout
 * applies to silence, so long transfers that keep moving never time out. */
static enum transfer_result transfer(struct session *s, const char *out, size_t len, enum until until)
{
    size_t sent = 0;
    bool heard_after_sent = false;
    while (sent < len || !is_done(s, until, heard_after_sent)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        int n = poll(&p, 1, s->timeout_ms);
        if (n == 0)
            return TRANSFER_TIMEOUT;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
            return TRANSFER_ERROR;
        }
        /* Receive first: if the server has closed, that is the news, not
         * the EPIPE a send would get. */
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            if (bytebuf_reserve(&s->reply, RECV_CHUNK) < 0) {
                fprintf(stderr, PROG ": reply too large: %s\n", strerror(errno));
                return TRANSFER_ERROR;
            }
            ssize_t got = recv(s->fd, s->reply.data + s->reply.end, RECV_CHUNK, 0);
            if (got == 0)
                return TRANSFER_CLOSED;
            if (got > 0) {
                s->reply.end += (size_t)got;
                heard_after_sent = sent == len;
            } else if (errno != EAGAIN && errno != EINTR) {
                fprintf(stderr, PROG ": receiving from %s port %d: %s\n", s->host, s->port, strerror(errno));
                return TRANSFER_ERROR;
            }
        }
        if (sent < len && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t put = send(s->fd, out + sent, len - sent, MSG_NOSIGNAL);
            if (put >= 0) {
                sent += (size_t)put;
            } else if (errno != EAGAIN && errno != EINTR) {
                fprintf(stderr, PROG ": sending to %s port %d: %s\n", s->host, s->port, strerror(errno));
                return TRANSFER_ERROR;
            }
        }
    }
    return TRANSFER_DONE;
}

/* Prints what arrived so far, each reply on a line of its own. */
static int print_reply(struct session *s)
{
    struct bytebuf *r = &s->reply;
    size_t len = bytebuf_len(r);
    if (len > 0) {
        if (s->classic)
            fputs("The info from server is: ", stdout);
        fwrite(r->data + r->start, 1, len, stdout);
        if (r->data[r->end - 1] != '\n')
            putchar('\n');
        bytebuf_consume(r, len);
    }
    if (fflush(stdout) == EOF) {
        fprintf(stderr, PROG ": writing standard output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static double timeout_seconds(const struct session *s)
{
    return s->timeout_ms / 1000.0;
}

static int exchange(struct session *s, const char *line, size_t len)
{
    enum until until = line[len - 1] == '\n' ? UNTIL_NEWLINE : UNTIL_DATA;
    enum transfer_result result = transfer(s, line, len, until);
    if (print_reply(s) < 0)
        return 1;
    switch (result) {
    case TRANSFER_DONE:
        return KEEP_GOING;
    case TRANSFER_CLOSED:
        fprintf(stderr, PROG ": connection closed by server\n");
        return 1;
    case TRANSFER_TIMEOUT:
        fprintf(stderr, PROG ": no reply from %s port %d within %g s\n", s->host, s->port,
                timeout_seconds(s));
        return 1;
    case TRANSFER_ERROR:
        return 1;
    }
    return 1;
}

/* Sends line (which may be empty), half-closes and waits for the server's
 * close, so neither side is left
 * with unread data that would turn the close into a reset. At the end of
 * input the client closed first: the server only answered its FIN. */
static int say_bye(struct session *s, const char *line, size_t len, bool end_of_input)
{
    enum transfer_result result = transfer(s, line, len, UNTIL_SENT);
    if (result == TRANSFER_DONE) {
        if (shutdown(s->fd, SHUT_WR) < 0) {
            fprintf(stderr, PROG ": shutdown: %s\n", strerror(errno));
            return 1;
        }
        result = transfer(s, NULL, 0, UNTIL_EOF);
    }
    if (print_reply(s) < 0)
        return 1;
    if (result == TRANSFER_ERROR)
        return 1;
    if (result == TRANSFER_TIMEOUT)
        fprintf(stderr, PROG ": %s port %d did not close within %g s; closing anyway\n", s->host, s->port,
                timeout_seconds(s));
    else if (end_of_input)
        fprintf(stderr, PROG ": end of input: connection closed (ours first, then the server's)\n");
    else
        fprintf(stderr, PROG ": connection closed by server\n");
    return 0;
}

static int run_session(struct session *s, bool interactive)
{
    char *line = NULL;
    size_t cap = 0;
    int status = KEEP_GOING;
    while (status == KEEP_GOING) {
        if (s->classic) {
            fputs("Please input the info:\n", stdout);
            fflush(stdout);
        } else if (interactive) {
            fputs("> ", stdout);
            fflush(stdout);
        }
        ssize_t len = getline(&line, &cap, stdin);
        if (len < 0 && ferror(stdin)) {
            fprintf(stderr, PROG ": reading standard input: %s\n", strerror(errno));
            status = 1;
        } else if (len < 0) {
            /* Nothing is sent: on the echo port "bye" would be data. */
            status = say_bye(s, "", 0, true);
        } else if (len >= 3 && memcmp(line, "bye", 3) == 0) {
            status = say_bye(s, line, (size_t)len, false);
        } else {
            status = exchange(s, line, (size_t)len);
        }
    }
    free(line);
    return status;
}

static int parse_timeout_ms(const char *arg)
{
    char *end;
    errno = 0;
    double seconds = strtod(arg, &end);
    /* The comparison also rejects NaN. */
    if (errno != 0 || end == arg || *end != '\0' || !(seconds > 0 && seconds * 1000 <= INT_MAX))
        return -1;
    int ms = (int)(seconds * 1000);
    return ms > 0 ? ms : 1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"timeout", required_argument, NULL, 't'},
        {"classic", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    struct session s = {.fd = -1, .timeout_ms = DEFAULT_TIMEOUT_MS};
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
        case 'c':
            s.classic = true;
            break;
        case 't':
            s.timeout_ms = parse_timeout_ms(optarg);
            if (s.timeout_ms < 0) {
                fprintf(stderr, PROG ": invalid timeout '%s'\n", optarg);
                usage(stderr);
                return 2;
            }
            break;
        default:
            fprintf(stderr, PROG ": unknown option or missing value: '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, PROG ": expected HOST and PORT\n");
        usage(stderr);
        return 2;
    }
    s.host = argv[optind];
    s.port = net_parse_port(argv[optind + 1], false);
    if (s.port < 0) {
        fprintf(stderr, PROG ": invalid port '%s' (expected 1-65535)\n", argv[optind + 1]);
        usage(stderr);
        return 2;
    }

    char err[NET_ERR_LEN];
    s.fd = net_tcp_connect(err, s.host, s.port, s.timeout_ms);
    if (s.fd < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    int status = run_session(&s, isatty(STDIN_FILENO));
    close(s.fd);
    bytebuf_free(&s.reply);
    return status;
}
