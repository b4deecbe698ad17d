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

/* The TCP state log hangs here. Called with pcb NULL at every callback from
 * lwIP (app_action 0) and after each of our own pcb calls (app_action 1), and
 * with the pcb right before a call that may change or free it. */
struct tcp_pcb;
typedef void (*stream_probe_fn)(struct tcp_pcb *pcb, int app_action);
void stream_service_set_probe(stream_probe_fn probe);

/* Listens on port (IPv4 and IPv6). Returns NULL with *err set on failure. */
struct stream_service *stream_service_start(const struct stream_service_ops *ops, uint16_t port, err_t *err);
/* Closes the listener and every connection (FIN; RST where a FIN cannot be queued). */
void stream_service_stop(struct stream_service *svc);
const struct stream_service_stats *stream_service_stats(const struct stream_service *svc);

/* Longest made-up prefix a chunk's answer can have. */
#define STREAM_PREFIX_MAX 16

/* For on_chunk: queues prefix_len made-up bytes (may be 0) followed by data,
 * the received chunk. Takes ownership of data on ERR_OK only. */
err_t stream_conn_queue(struct stream_conn *conn, const char *prefix, size_t prefix_len, struct pbuf *data);
/* For on_chunk: the chunk needs no answer; frees it and acknowledges it. */
void stream_conn_consume(struct stream_conn *conn, struct pbuf *chunk);
/* For on_chunk: close once queued output is sent; later input is discarded. */
void stream_conn_finish(struct stream_conn *conn);
/* How many chunks this connection has queued output for so far. */
uint32_t stream_conn_chunks_answered(const struct stream_conn *conn);

#endif
