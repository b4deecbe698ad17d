#include "net_util.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void set_error(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, NET_ERR_LEN, fmt, ap);
    va_end(ap);
}

int net_parse_port(const char *s, bool allow_zero)
{
    size_t len = strlen(s);
    /* Digits only: strtol would also take signs, spaces and "0x". */
    if (len == 0 || len > 5 || strspn(s, "0123456789") != len)
        return -1;
    int port = 0;
    for (size_t i = 0; i < len; i++)
        port = port * 10 + (s[i] - '0');
    if (port > 65535 || (port == 0 && !allow_zero))
        return -1;
    return port;
}

/* Waits for a non-blocking connect() to finish; returns 0 or an errno. */
static int finish_connect(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno;
    if (n == 0)
        return ETIMEDOUT;
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
        return errno;
    return so_error;
}

int net_tcp_connect(char *err, const char *host, int port, int timeout_ms)
{
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list;
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) {
        set_error(err, "cannot resolve %s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int last_error = 0;
    for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        int e = 0;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
            e = errno == EINPROGRESS ? finish_connect(fd, timeout_ms) : errno;
        if (e != 0) {
            last_error = e;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd < 0)
        set_error(err, "cannot connect to %s port %d: %s", host, port, strerror(last_error));
    return fd;
}

/* Returns the socket, or -1 with errno set and *what naming the failed call
 * (empty for bind, whose errors speak for themselves). */
static int open_listener(const struct addrinfo *ai, int backlog, const char **what)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *what = "socket: ";
        return -1;
    }
    int on = 1;
    int off = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0))
        *what = "setsockopt: ";
    else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        *what = "";
    else if (listen(fd, backlog) < 0)
        *what = "listen: ";
    else
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int listen_numeric(char *err, const char *addr, int port, int backlog)
{
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
    };
    struct addrinfo *ai;
    int rc = getaddrinfo(addr, service, &hints, &ai);
    if (rc != 0) {
        set_error(err, "invalid bind address '%s': %s", addr,
                  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        errno = EINVAL;
        return -1;
    }
    const char *what = "";
    int fd = open_listener(ai, backlog, &what);
    int saved = errno;
    freeaddrinfo(ai);
    if (fd < 0) {
        set_error(err, "cannot listen on %s port %d: %s%s", addr, port, what, strerror(saved));
        errno = saved; /* net_tcp_listen() picks its fallback by it */
    }
    return fd;
}

int net_tcp_listen(char *err, const char *bindaddr, int port, int backlog)
{
    if (bindaddr)
        return listen_numeric(err, bindaddr, port, backlog);
    int fd = listen_numeric(err, "::", port, backlog);
    /* Only a missing IPv6 stack justifies the fallback; a busy port must be
     * reported, not papered over by binding IPv4 alone. */
    if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
        fd = listen_numeric(err, "0.0.0.0", port, backlog);
    return fd;
}

static void format_addr(const struct sockaddr *sa, socklen_t sa_len, char *ip, size_t ip_len, int *port)
{
    char service[8];
    if (getnameinfo(sa, sa_len, ip, (socklen_t)ip_len, service, sizeof(service),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(ip, ip_len, "?");
        *port = 0;
        return;
    }
    *port = net_parse_port(service, true);
}

int net_accept(char *err, int listen_fd, char *ip, size_t ip_len, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        set_error(err, "accept: %s", strerror(saved));
        errno = saved;
        return -1;
    }
    format_addr((struct sockaddr *)&ss, len, ip, ip_len, port);
    return fd;
}

int net_local_name(char *err, int fd, char *ip, size_t ip_len, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        set_error(err, "getsockname: %s", strerror(errno));
        return -1;
    }
    format_addr((struct sockaddr *)&ss, len, ip, ip_len, port);
    return 0;
}
