/* A TCP service on lwIP's raw API that turns each received chunk into output.
 * It owns the parts every such service needs and gets subtly wrong:
 *  - backpressure: received bytes are acknowledged to the peer (tcp_recved)
 *    only once their output is queued in the send buffer, so a slow reader
 *    closes our receive window instead of growing our memory;
 *  - ordering: output leaves in the order chunks arrived, never truncated;
 *  - closing: flush, clear every callback, tcp_close, fall back to tcp_abort.
 * A service supplies only on_chunk (echo, serial echo). */
#ifndef LWIPTAP_STREAM_SERVICE_H
#define LWIPTAP_STREAM_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/pbuf.h"
#include "tcp_options.h"

struct stream_conn;
struct stream_service;

struct stream_service_ops {
    const char *name; /* log tag */
    /* Handles the data of one recv callback. On ERR_OK it has taken ownership
     * of chunk (queued it, or discarded it); on ERR_MEM it has not, and lwIP
     * delivers the chunk again later. */
    err_t (*on_chunk)(struct stream_conn *conn, struct pbuf *chunk);
};

struct stream_service_stats {
    uint32_t accepted;
    uint32_t active;
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* What every connection of a service does besides answering. */
struct stream_service_options {
    /* After the first answer, shut our sending side (FIN) and keep receiving:
     * a half-close. The connection ends when the peer closes too. */
    int half_close;
    /* Reset the connection (RST) once this many bytes came in: an abortive
     * close. 0: never. */
    uint64_t abort_after;
    struct keepalive_config keepalive;
};

/* The TCP state log hangs here. Called with pcb NULL at every callback from
 * lwIP (app_action 0) and after each of our own pcb calls (app_action 1), and
 * with the pcb right before a call that may change or free it. An action of
 * ours that runs from one of lwIP's timers is bracketed by APP_BEGIN and
 * APP_END, so that what it changes is not blamed on lwIP's timers. */
struct tcp_pcb;
enum { PROBE_CALLBACK = 0, PROBE_APP = 1, PROBE_APP_BEGIN = 2, PROBE_APP_END = 3 };
typedef void (*stream_probe_fn)(struct tcp_pcb *pcb, int app_action);
void stream_service_set_probe(stream_probe_fn probe);

/* Listens on port (IPv4 and IPv6). Returns NULL with *err set on failure. */
struct stream_service *stream_service_start(const struct stream_service_ops *ops, uint16_t port, err_t *err);

/* A listening pcb on port, for IPv4 and IPv6, or NULL with *err set: what
 * every service on lwIP starts from. */
struct tcp_pcb *stream_listen(uint16_t port, err_t *err);
/* Closes the listener and every connection (FIN; RST where a FIN cannot be queued). */
void stream_service_stop(struct stream_service *svc);
const struct stream_service_stats *stream_service_stats(const struct stream_service *svc);
/* Applies to connections accepted from now on. */
void stream_service_set_options(struct stream_service *svc, const struct stream_service_options *opts);

/* Longest made-up prefix a chunk's answer can have. */
#define STREAM_PREFIX_MAX 16

/* For on_chunk: queues prefix_len made-up bytes (may be 0) followed by data,
 * the received chunk. Takes ownership of data on ERR_OK only. */
err_t stream_conn_queue(struct stream_conn *conn, const char *prefix, size_t prefix_len, struct pbuf *data);
/* For on_chunk: the chunk needs no answer; frees it and acknowledges it. */
void stream_conn_consume(struct stream_conn *conn, struct pbuf *chunk);
/* For on_chunk: close once queued output is sent; later input is discarded. */
void stream_conn_finish(struct stream_conn *conn);

/* One message of an answer: bytes [offset, offset + len) of the received
 * chunk, preceded by prefix_len made-up bytes. */
struct stream_piece {
    uint16_t offset;
    uint16_t len;
    uint8_t prefix_len;
    char prefix[STREAM_PREFIX_MAX];
};
/* For on_chunk: answers chunk with these pieces, in order; bytes of chunk in
 * no piece are dropped (and acknowledged). All or nothing: on ERR_MEM nothing
 * is queued and chunk is still lwIP's. */
err_t stream_conn_queue_pieces(struct stream_conn *conn, struct pbuf *chunk,
                               const struct stream_piece *pieces, size_t count);

/* Where a line-oriented service keeps its framing state between chunks. */
struct stream_line_state {
    uint32_t messages;    /* messages answered so far */
    uint8_t in_line;      /* a line was started and its newline has not come yet */
    uint8_t seen_newline; /* the peer sends lines, not bare words */
};
struct stream_line_state *stream_conn_lines(struct stream_conn *conn);

#endif
