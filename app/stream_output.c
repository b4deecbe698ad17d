/* The output side of a stream connection: each chunk's answer waits in a
 * queue and moves into lwIP's send buffer as far as it has room, and the
 * received bytes are acknowledged (tcp_recved) only as their answer gets
 * there: the backpressure of stream_service.h. */
#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"
#include "stream_conn.h"

void stream_credit(struct stream_conn *conn, uint32_t bytes)
{
    LWIP_ASSERT("credit: never more than was received", bytes <= conn->uncredited);
    conn->uncredited -= bytes;
    while (bytes > 0) {
        u16_t piece = (u16_t)LWIP_MIN(bytes, 0xffffu);
        tcp_recved(conn->pcb, piece);
        bytes -= piece;
    }
}

void stream_free_queue(struct stream_conn *conn)
{
    while (conn->head != NULL) {
        struct out_chunk *c = conn->head;
        conn->head = c->next;
        pbuf_free(c->data);
        free(c);
    }
    conn->tail = NULL;
}

/* lwIP's tcp_write() walks the whole unsent queue to its tail on every call,
 * so writing a received chain one pbuf at a time costs O(n^2) in the queue's
 * length: the answer is gathered here and written in few calls. */
static uint8_t gather_buf[16384];

/* Frees the empty pbufs at the head of c's data, which the gathering below
 * would never get past. */
static void skip_empty_pbufs(struct out_chunk *c)
{
    while (c->data != NULL && c->data->len == 0) {
        struct pbuf *empty = c->data;
        c->data = empty->next;
        empty->next = NULL;
        pbuf_free(empty);
    }
}

static int chunk_done(const struct out_chunk *c)
{
    return c->prefix_sent == c->prefix_len && c->data == NULL;
}

/* Copies up to room bytes from the head of the queue (prefixes and data in
 * order) into gather_buf, consuming nothing: the write may still fail.
 * *more: bytes are left behind them. */
static u16_t gather(const struct stream_conn *conn, u16_t room, int *more)
{
    u16_t n = 0;
    *more = 0;
    for (const struct out_chunk *c = conn->head; c != NULL; c = c->next) {
        if (n == room) {
            *more = 1;
            return n;
        }
        u16_t prefix_left = (u16_t)(c->prefix_len - c->prefix_sent);
        u16_t take = (u16_t)LWIP_MIN((u16_t)(room - n), prefix_left);
        memcpy(gather_buf + n, c->prefix + c->prefix_sent, take);
        n = (u16_t)(n + take);
        if (take < prefix_left) {
            *more = 1;
            return n;
        }
        for (const struct pbuf *q = c->data; q != NULL; q = q->next) {
            take = (u16_t)LWIP_MIN((u16_t)(room - n), q->len);
            memcpy(gather_buf + n, q->payload, take);
            n = (u16_t)(n + take);
            if (take < q->len) {
                *more = 1;
                return n;
            }
        }
    }
    return n;
}

/* Takes n written bytes off the head of the queue (the chunks left done are
 * dropped by drop_done_chunks); returns how many of them were received data
 * (to credit). */
static uint32_t consume(struct stream_conn *conn, u16_t n)
{
    uint32_t data_bytes = 0;
    for (struct out_chunk *c = conn->head; n > 0; c = c->next) {
        LWIP_ASSERT("consume: no more than was gathered", c != NULL);
        u16_t take = (u16_t)LWIP_MIN(n, (u16_t)(c->prefix_len - c->prefix_sent));
        c->prefix_sent = (uint8_t)(c->prefix_sent + take);
        n = (u16_t)(n - take);
        while (n > 0 && c->data != NULL) {
            take = LWIP_MIN(n, c->data->len);
            c->data = pbuf_free_header(c->data, take);
            skip_empty_pbufs(c);
            data_bytes += take;
            n = (u16_t)(n - take);
        }
    }
    return data_bytes;
}

/* Drops the chunks at the head that have nothing left to write. */
static void drop_done_chunks(struct stream_conn *conn)
{
    while (conn->head != NULL) {
        skip_empty_pbufs(conn->head);
        if (!chunk_done(conn->head)) {
            return;
        }
        struct out_chunk *c = conn->head;
        conn->head = c->next;
        free(c);
    }
    conn->tail = NULL;
}

/* Moves queued output into lwIP's send buffer as far as it has room,
 * acknowledging received bytes as they go. */
err_t stream_flush(struct stream_conn *conn)
{
    struct tcp_pcb *pcb = conn->pcb;
    uint32_t credit_now = 0;
    int wrote = 0;
    for (drop_done_chunks(conn); conn->head != NULL; drop_done_chunks(conn)) {
        u16_t room = (u16_t)LWIP_MIN(tcp_sndbuf(pcb), sizeof gather_buf);
        if (room == 0) {
            break;
        }
        int more;
        u16_t n = gather(conn, room, &more);
        LWIP_ASSERT("stream_flush: a chunk not done has bytes", n > 0);
        /* PSH goes on the last byte queued. */
        err_t err =
            tcp_write(pcb, gather_buf, n, (u8_t)(TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0)));
        if (err == ERR_MEM) {
            break; /* send queue full: sent or poll callbacks retry */
        }
        if (err != ERR_OK) {
            stream_credit(conn, credit_now);
            return stream_conn_abort(conn, "aborted: tcp_write failed");
        }
        credit_now += consume(conn, n);
        wrote = 1;
        conn->bytes_out += n;
        conn->svc->stats.bytes_out += n;
    }
    stream_credit(conn, credit_now);
    if (conn->head == NULL && conn->svc->opts.half_close && !conn->tx_shut && !conn->finishing &&
        conn->bytes_out > 0) {
        return stream_conn_half_close(conn);
    }
    if (wrote) {
        tcp_output(pcb);
    }
    /* Close only once lwIP holds nothing unacknowledged: after our FIN lwIP
     * gives a connection in LAST_ACK 2 MSL (120 s) in all, however much data
     * still waits for a lossy link, and then drops it with the data. */
    if (conn->head == NULL && conn->finishing && tcp_sndqueuelen(pcb) == 0) {
        return stream_conn_close(conn, "closed");
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
    stream_credit(conn, dropped);
    return ERR_OK;
}

void stream_conn_consume(struct stream_conn *conn, struct pbuf *chunk)
{
    uint32_t len = chunk->tot_len;
    pbuf_free(chunk);
    stream_credit(conn, len);
}
