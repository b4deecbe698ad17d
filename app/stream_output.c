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
err_t stream_flush(struct stream_conn *conn)
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
                stream_credit(conn, credit_now);
                return stream_conn_abort(conn, "aborted: tcp_write failed");
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
