#include "stream_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lwip/tcp.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"

/* Poll interval in units of lwIP's coarse timer (500 ms): retries a stalled flush or close. */
#define STREAM_POLL_INTERVAL 2

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

static stream_probe_fn probe_hook;

void stream_service_set_probe(stream_probe_fn probe)
{
    probe_hook = probe;
}

static void probe(int app_action)
{
    if (probe_hook != NULL) {
        probe_hook(NULL, app_action);
    }
}

static void about_to_act_on(struct tcp_pcb *pcb)
{
    if (probe_hook != NULL) {
        probe_hook(pcb, PROBE_APP);
    }
}

static void credit(struct stream_conn *conn, uint32_t bytes)
{
    LWIP_ASSERT("credit: never more than was received", bytes <= conn->uncredited);
    conn->uncredited -= bytes;
    while (bytes > 0) {
        u16_t piece = (u16_t)LWIP_MIN(bytes, 0xffffu);
        tcp_recved(conn->pcb, piece);
        bytes -= piece;
    }
}

static void free_queue(struct stream_conn *conn)
{
    while (conn->head != NULL) {
        struct out_chunk *c = conn->head;
        conn->head = c->next;
        pbuf_free(c->data);
        free(c);
    }
    conn->tail = NULL;
}

static void conn_release(struct stream_conn *conn, const char *how)
{
    struct stream_service *svc = conn->svc;
    log_info(svc->ops->name, "%s %s after %llu bytes in, %llu out", conn->peer, how,
             (unsigned long long)conn->bytes_in, (unsigned long long)conn->bytes_out);
    free_queue(conn);
    if (conn->prev != NULL) {
        conn->prev->next = conn->next;
    } else {
        svc->conns = conn->next;
    }
    if (conn->next != NULL) {
        conn->next->prev = conn->prev;
    }
    svc->stats.active--;
    free(conn);
}

static void detach_callbacks(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

/* Returns ERR_ABRT when the close fell back to tcp_abort: a callback must pass that on. */
static err_t conn_close(struct stream_conn *conn, const char *how)
{
    struct tcp_pcb *pcb = conn->pcb;
    about_to_act_on(pcb);
    /* Unacknowledged input would make tcp_close send RST instead of FIN. */
    credit(conn, conn->uncredited);
    tcp_guard_restore_window(pcb);
    detach_callbacks(pcb);
    conn_release(conn, how);
    err_t err = tcp_close(pcb);
    if (err != ERR_OK) {
        log_warn("tcp", "tcp_close failed (%s), aborting the connection", lwip_strerr(err));
        tcp_abort(pcb);
        err = ERR_ABRT;
    }
    probe(PROBE_APP);
    return err;
}

static err_t conn_abort(struct stream_conn *conn, const char *why)
{
    struct tcp_pcb *pcb = conn->pcb;
    about_to_act_on(pcb);
    /* The RST is our decision, whatever frame is being handled. */
    probe(PROBE_APP_BEGIN);
    detach_callbacks(pcb);
    conn_release(conn, why);
    tcp_abort(pcb);
    probe(PROBE_APP_END);
    return ERR_ABRT;
}

/* Our FIN goes out behind the answer; what the peer sends from now on is
 * still received (and counted), until its own FIN ends the connection. */
static err_t conn_half_close(struct stream_conn *conn)
{
    struct tcp_pcb *pcb = conn->pcb;
    about_to_act_on(pcb);
    err_t err = tcp_shutdown(pcb, 0, 1);
    if (err != ERR_OK) {
        return conn_abort(conn, "aborted: tcp_shutdown failed");
    }
    conn->tx_shut = 1;
    tcp_output(pcb);
    probe(PROBE_APP);
    log_info(conn->svc->ops->name, "%s half-closed: our FIN is sent, still receiving (--half-close)",
             conn->peer);
    return ERR_OK;
}

/* Writes up to room bytes of c to lwIP; returns how many, or -1 on ERR_MEM
 * (send queue full) and -2 on any other tcp_write failure. *credited counts the
 * received bytes among them. */
static int write_chunk_piece(struct tcp_pcb *pcb, struct out_chunk *c, u16_t room, uint32_t *credited)
{
    const void *from;
    u16_t n;
    int from_data = c->prefix_sent == c->prefix_len;
    if (!from_data) {
        from = c->prefix + c->prefix_sent;
        n = (u16_t)LWIP_MIN(room, (u16_t)(c->prefix_len - c->prefix_sent));
    } else {
        from = c->data->payload;
        n = LWIP_MIN(c->data->len, room);
    }
    u8_t flags = TCP_WRITE_FLAG_COPY;
    if (!from_data || n < c->data->tot_len || c->next != NULL) {
        flags |= TCP_WRITE_FLAG_MORE;
    }
    err_t err = tcp_write(pcb, from, n, flags);
    if (err != ERR_OK) {
        return err == ERR_MEM ? -1 : -2;
    }
    if (from_data) {
        c->data = pbuf_free_header(c->data, n);
        *credited += n;
    } else {
        c->prefix_sent = (uint8_t)(c->prefix_sent + n);
    }
    return n;
}

/* Moves queued output into lwIP's send buffer as far as it has room,
 * acknowledging received bytes as they go. */
static err_t conn_flush(struct stream_conn *conn)
{
    struct tcp_pcb *pcb = conn->pcb;
    uint32_t credit_now = 0;
    int wrote = 0;
    while (conn->head != NULL) {
        struct out_chunk *c = conn->head;
        if (c->data != NULL && c->data->len == 0) {
            /* Empty pbufs inside a chain would make no progress below. */
            struct pbuf *empty = c->data;
            c->data = empty->next;
            empty->next = NULL;
            pbuf_free(empty);
        } else if (c->prefix_sent < c->prefix_len || c->data != NULL) {
            u16_t room = tcp_sndbuf(pcb);
            if (room == 0) {
                break;
            }
            int n = write_chunk_piece(pcb, c, room, &credit_now);
            if (n == -1) {
                break; /* send queue full: sent or poll callbacks retry */
            }
            if (n == -2) {
                credit(conn, credit_now);
                return conn_abort(conn, "aborted: tcp_write failed");
            }
            wrote = 1;
            conn->bytes_out += (uint64_t)n;
            conn->svc->stats.bytes_out += (uint64_t)n;
        }
        if (c->prefix_sent == c->prefix_len && c->data == NULL) {
            conn->head = c->next;
            if (conn->head == NULL) {
                conn->tail = NULL;
            }
            free(c);
        }
    }
    credit(conn, credit_now);
    if (conn->head == NULL && conn->svc->opts.half_close && !conn->tx_shut && !conn->finishing &&
        conn->bytes_out > 0) {
        return conn_half_close(conn);
    }
    if (wrote) {
        tcp_output(pcb);
    }
    /* Close only once lwIP holds nothing unacknowledged: after our FIN lwIP
     * gives a connection in LAST_ACK 2 MSL (120 s) in all, however much data
     * still waits for a lossy link, and then drops it with the data. */
    if (conn->head == NULL && conn->finishing && tcp_sndqueuelen(pcb) == 0) {
        return conn_close(conn, "closed");
    }
    return ERR_OK;
}

err_t stream_conn_queue(struct stream_conn *conn, const char *prefix, size_t prefix_len, struct pbuf *data)
{
    LWIP_ASSERT("stream_conn_queue: prefix fits", prefix_len <= STREAM_PREFIX_MAX);
    struct out_chunk *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return ERR_MEM;
    }
    c->data = data;
    if (prefix_len > 0) {
        memcpy(c->prefix, prefix, prefix_len);
    }
    c->prefix_len = (uint8_t)prefix_len;
    if (conn->tail != NULL) {
        conn->tail->next = c;
    } else {
        conn->head = c;
    }
    conn->tail = c;
    return ERR_OK;
}

static void free_out_chunks(struct out_chunk *c)
{
    while (c != NULL) {
        struct out_chunk *next = c->next;
        pbuf_free(c->data);
        free(c);
        c = next;
    }
}

/* A copy of one piece, or NULL when memory is short. */
static struct out_chunk *copy_piece(struct pbuf *chunk, const struct stream_piece *piece)
{
    struct out_chunk *c = calloc(1, sizeof *c);
    struct pbuf *data = c != NULL ? pbuf_alloc(PBUF_RAW, piece->len, PBUF_RAM) : NULL;
    if (data == NULL) {
        free(c);
        return NULL;
    }
    pbuf_copy_partial(chunk, data->payload, piece->len, piece->offset);
    c->data = data;
    memcpy(c->prefix, piece->prefix, piece->prefix_len);
    c->prefix_len = piece->prefix_len;
    return c;
}

err_t stream_conn_queue_pieces(struct stream_conn *conn, struct pbuf *chunk,
                               const struct stream_piece *pieces, size_t count)
{
    if (count == 1 && pieces[0].offset == 0 && pieces[0].len == chunk->tot_len) {
        return stream_conn_queue(conn, pieces[0].prefix, pieces[0].prefix_len, chunk);
    }
    struct out_chunk *head = NULL, **link = &head, *last = NULL;
    uint32_t queued = 0;
    for (size_t i = 0; i < count; i++) {
        LWIP_ASSERT("stream_conn_queue_pieces: inside the chunk",
                    (uint32_t)pieces[i].offset + pieces[i].len <= chunk->tot_len);
        struct out_chunk *c = copy_piece(chunk, &pieces[i]);
        if (c == NULL) {
            free_out_chunks(head);
            return ERR_MEM;
        }
        *link = last = c;
        link = &c->next;
        queued += pieces[i].len;
    }
    if (head != NULL) {
        if (conn->tail != NULL) {
            conn->tail->next = head;
        } else {
            conn->head = head;
        }
        conn->tail = last;
    }
    uint32_t dropped = chunk->tot_len - queued;
    pbuf_free(chunk);
    credit(conn, dropped);
    return ERR_OK;
}

struct stream_line_state *stream_conn_lines(struct stream_conn *conn)
{
    return &conn->lines;
}

void stream_conn_consume(struct stream_conn *conn, struct pbuf *chunk)
{
    uint32_t len = chunk->tot_len;
    pbuf_free(chunk);
    credit(conn, len);
}

void stream_conn_finish(struct stream_conn *conn)
{
    conn->finishing = 1;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct stream_conn *conn = arg;
    probe(PROBE_CALLBACK);
    LWIP_ASSERT("on_recv: conn owns pcb", conn != NULL && conn->pcb == pcb);
    if (p == NULL) {
        /* The peer sent FIN: answer what it sent, then close our side too. */
        conn->finishing = 1;
        return conn_flush(conn);
    }
    /* lwIP 2.1 always passes ERR_OK with data; any other return would make it
     * keep p as refused data, so the argument is deliberately not propagated. */
    LWIP_UNUSED_ARG(err);
    uint32_t len = p->tot_len;
    conn->uncredited += len;
    uint64_t limit = conn->svc->opts.abort_after;
    if (limit != 0 && conn->bytes_in + len >= limit) {
        pbuf_free(p);
        conn->uncredited -= len;
        conn->bytes_in += len;
        conn->svc->stats.bytes_in += len;
        char why[64];
        snprintf(why, sizeof why, "reset: --abort-after %llu reached", (unsigned long long)limit);
        return conn_abort(conn, why);
    }
    if (conn->finishing || conn->tx_shut) {
        conn->bytes_in += conn->tx_shut ? len : 0;
        stream_conn_consume(conn, p);
        return ERR_OK;
    }
    err_t handled = conn->svc->ops->on_chunk(conn, p);
    if (handled != ERR_OK) {
        conn->uncredited -= len;
        return handled;
    }
    conn->bytes_in += len;
    conn->svc->stats.bytes_in += len;
    return conn_flush(conn);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    LWIP_UNUSED_ARG(pcb);
    LWIP_UNUSED_ARG(len);
    probe(PROBE_CALLBACK);
    return conn_flush(arg);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct stream_conn *conn = arg;
    probe(PROBE_CALLBACK);
    if (pcb->keep_cnt_sent != conn->keepalive_probes_seen) {
        conn->keepalive_probes_seen = pcb->keep_cnt_sent;
        if (pcb->keep_cnt_sent > 0) {
            log_info(conn->svc->ops->name, "%s idle: keepalive probe %u of %u sent", conn->peer,
                     (unsigned)pcb->keep_cnt_sent, (unsigned)pcb->keep_cnt);
        }
    }
    return conn_flush(conn);
}

static void on_error(void *arg, err_t err)
{
    struct stream_conn *conn = arg;
    probe(PROBE_CALLBACK);
    /* lwIP has already freed the pcb. */
    char how[96];
    if (err == ERR_ABRT && conn->keepalive_probes_seen > 0) {
        snprintf(how, sizeof how, "lost: the peer answered none of %u keepalive probes (lwIP sent RST)",
                 (unsigned)conn->keepalive_probes_seen);
    } else {
        snprintf(how, sizeof how, "lost (%s)", lwip_strerr(err));
    }
    conn_release(conn, how);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct stream_service *svc = arg;
    probe(PROBE_CALLBACK);
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    struct stream_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) {
        log_warn(svc->ops->name, "out of memory, refusing a connection");
        return ERR_MEM;
    }
    conn->svc = svc;
    conn->pcb = pcb;
    endpoint_format(&pcb->remote_ip, pcb->remote_port, conn->peer, sizeof conn->peer);
    conn->next = svc->conns;
    if (svc->conns != NULL) {
        svc->conns->prev = conn;
    }
    svc->conns = conn;
    svc->stats.accepted++;
    svc->stats.active++;

    tcp_arg(pcb, conn);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    tcp_poll(pcb, on_poll, STREAM_POLL_INTERVAL);
    keepalive_apply(pcb, &svc->opts.keepalive);
    log_info(svc->ops->name, "%s connected", conn->peer);
    return ERR_OK;
}

struct stream_service *stream_service_start(const struct stream_service_ops *ops, uint16_t port, err_t *err)
{
    struct stream_service *svc = calloc(1, sizeof *svc);
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (svc == NULL || pcb == NULL) {
        free(svc);
        if (pcb != NULL) {
            tcp_abort(pcb);
        }
        *err = ERR_MEM;
        return NULL;
    }
    *err = tcp_bind(pcb, IP_ANY_TYPE, port);
    if (*err != ERR_OK) {
        tcp_abort(pcb);
        free(svc);
        return NULL;
    }
    struct tcp_pcb *listener = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG, err);
    if (listener == NULL) {
        tcp_abort(pcb);
        free(svc);
        return NULL;
    }
    svc->ops = ops;
    svc->listener = listener;
    tcp_arg(listener, svc);
    tcp_accept(listener, on_accept);
    about_to_act_on(listener);
    probe(PROBE_APP);
    log_info(ops->name, "listening on port %u", port);
    return svc;
}

void stream_service_stop(struct stream_service *svc)
{
    if (svc == NULL) {
        return;
    }
    tcp_arg(svc->listener, NULL);
    tcp_accept(svc->listener, NULL);
    about_to_act_on(svc->listener);
    tcp_close(svc->listener);
    probe(PROBE_APP);
    struct stream_conn *conn = svc->conns;
    while (conn != NULL) {
        struct stream_conn *next = conn->next;
        free_queue(conn);
        conn_close(conn, "closed at shutdown");
        conn = next;
    }
    free(svc);
}

const struct stream_service_stats *stream_service_stats(const struct stream_service *svc)
{
    return &svc->stats;
}

void stream_service_set_options(struct stream_service *svc, const struct stream_service_options *opts)
{
    svc->opts = *opts;
}
