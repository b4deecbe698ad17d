/* Inside a stream service (stream_service.c: the listener and each
 * connection's life; stream_output.c: its output queue and backpressure):
 * the state both halves share. Nothing outside them includes this. */
#ifndef LWIPTAP_STREAM_CONN_H
#define LWIPTAP_STREAM_CONN_H

#include <stdint.h>

#include "endpoint.h"
#include "lwip/tcp.h"
#include "stream_service.h"

/* One chunk's answer: made-up bytes (the serial number) go out first, then the
 * received data. They are kept apart because a chunk can be 0xffff bytes, and
 * a pbuf chain cannot be longer than that. */
struct out_chunk {
    struct out_chunk *next;
    struct pbuf *data; /* received bytes still to be written */
    uint8_t prefix_len;
    uint8_t prefix_sent;
    char prefix[STREAM_PREFIX_MAX];
};

struct stream_conn {
    struct stream_conn *prev;
    struct stream_conn *next;
    struct stream_service *svc;
    struct tcp_pcb *pcb;
    struct out_chunk *head;
    struct out_chunk *tail;
    uint32_t uncredited; /* received, not yet acknowledged with tcp_recved() */
    struct stream_line_state lines;
    int finishing;
    int tx_shut; /* half-closed: our FIN is queued, input is still taken */
    u8_t keepalive_probes_seen;
    uint64_t bytes_in;
    uint64_t bytes_out;
    char peer[ENDPOINT_STRLEN];
};

struct stream_service {
    const struct stream_service_ops *ops;
    struct tcp_pcb *listener;
    struct stream_conn *conns;
    struct stream_service_stats stats;
    struct stream_service_options opts;
};

/* ---- stream_output.c ---- */

/* Acknowledges bytes of received input to the peer (tcp_recved). */
void stream_credit(struct stream_conn *conn, uint32_t bytes);
/* Drops every queued answer. */
void stream_free_queue(struct stream_conn *conn);
/* Moves queued output into lwIP's send buffer as far as it has room, and
 * closes, half-closes or aborts when that is due: ERR_ABRT when the pcb is
 * gone, which a callback must pass on. */
err_t stream_flush(struct stream_conn *conn);

/* ---- stream_service.c ---- */

/* FIN (ERR_ABRT when it fell back to tcp_abort); frees conn. */
err_t stream_conn_close(struct stream_conn *conn, const char *how);
/* RST; frees conn; always ERR_ABRT. */
err_t stream_conn_abort(struct stream_conn *conn, const char *why);
/* Our FIN behind the answer, input still taken (--half-close). */
err_t stream_conn_half_close(struct stream_conn *conn);

#endif
