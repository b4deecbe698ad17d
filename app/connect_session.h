/* --connect: lwIP opens the connection itself (the [S] on the wire comes from
 * user space) and speaks the original TCPClient's protocol: each line of
 * input goes out as one message, and its reply is awaited and printed before
 * the next line goes out. "bye", or the end of input, makes lwIP close first.
 *
 * The session reads its input through the event loop and never blocks. It is
 * over once the connection is closed (or, when TIME_WAIT would outlast
 * wait_time_wait_ms, once it enters TIME_WAIT); then on_done gets the exit
 * status: 0, or 1 for a refused, unreachable, reset or silent peer. */
#ifndef LWIPTAP_CONNECT_SESSION_H
#define LWIPTAP_CONNECT_SESSION_H

#include <stdint.h>
#include <stdio.h>

#include "event_loop.h"
#include "lwip/ip_addr.h"
#include "stream_service.h"
#include "tcp_options.h"

struct connect_session_config {
    ip_addr_t ip;
    uint16_t port;
    uint32_t timeout_ms;        /* for the SYN-ACK and for each reply */
    uint32_t wait_time_wait_ms; /* wait for TIME_WAIT to end if it is no longer */
    struct keepalive_config keepalive;
    int input_fd; /* the lines to send */
    FILE *output; /* where replies are printed */
    stream_probe_fn probe;
    void (*on_done)(void *ctx, int status);
    void *ctx;
};

struct connect_session;

/* Sends the SYN. Returns NULL with err filled (e.g. no route) on failure. */
struct connect_session *connect_session_start(struct event_loop *loop,
                                              const struct connect_session_config *cfg, char *err,
                                              size_t errlen);
/* Aborts the connection if it is still open; frees the session. */
void connect_session_free(struct connect_session *s);

#endif
