/* Socket helpers in the style of Redis' anet.c: each returns -1 on failure
 * and describes the problem in err (NET_ERR_LEN bytes); none of them exits. */
#ifndef LWIPTAP_HOST_NET_UTIL_H
#define LWIPTAP_HOST_NET_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define NET_ERR_LEN 256
/* Enough for an IPv6 literal with a scope id. */
#define NET_ADDR_LEN 64

/* Returns the port, or -1 if s is not a decimal number in range
 * (1..65535, or 0..65535 when allow_zero). */
int net_parse_port(const char *s, bool allow_zero);

/* Resolves host (name or literal, IPv4 or IPv6) and connects to the first
 * address that accepts within timeout_ms. The socket is non-blocking. */
int net_tcp_connect(char *err, const char *host, int port, int timeout_ms);

/* Non-blocking listening socket on the numeric address bindaddr. NULL means
 * dual-stack "::", or 0.0.0.0 where the host has no IPv6. */
int net_tcp_listen(char *err, const char *bindaddr, int port, int backlog);

/* Accepts a non-blocking connection and names its peer. On failure errno is
 * that of accept4(), so callers can tell EAGAIN from real trouble. */
int net_accept(char *err, int listen_fd, char *ip, size_t ip_len, int *port);

/* Numeric address and port the socket is bound to. */
int net_local_name(char *err, int fd, char *ip, size_t ip_len, int *port);

#endif
