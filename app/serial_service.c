#include <stdio.h>
#include <stdlib.h>

#include "services.h"

/* A chunk with no newline, from a peer that has sent none yet, is one message
 * when the peer pushed it (PSH: the end of one of its writes) and it is no
 * longer than this: the original client writes bare words and waits. Anything
 * else without a newline is the start of a line, answered as it arrives under
 * one serial number. */
#define SERIAL_WORD_MAX 4096
#define NOT_FOUND 0xffffu

static int starts_with_bye(struct pbuf *chunk, u16_t offset, u16_t end)
{
    return end - offset >= 3 && pbuf_memcmp(chunk, offset, "bye", 3) == 0;
}

static size_t count_newlines(struct pbuf *chunk)
{
    size_t n = 0;
    for (u16_t off = 0; (off = pbuf_memfind(chunk, "\n", 1, off)) != NOT_FOUND; off++) {
        n++;
    }
    return n;
}

/* Cuts chunk into messages. A message ends at a newline or, for bare words,
 * at the end of the chunk; only the first piece of a message gets the serial
 * number, so a line that spans chunks is answered in pieces under one number.
 * Returns the pieces' count; *bye tells that a message starting "bye" ended
 * the session (it and what follows are not answered). */
static size_t plan(struct pbuf *chunk, struct stream_line_state *st, struct stream_piece *pieces, int *bye)
{
    size_t n = 0;
    *bye = 0;
    for (u16_t off = 0; off < chunk->tot_len;) {
        u16_t nl = pbuf_memfind(chunk, "\n", 1, off);
        u16_t end = nl == NOT_FOUND ? chunk->tot_len : (u16_t)(nl + 1);
        int starts_message = !st->in_line;
        if (starts_message && starts_with_bye(chunk, off, end)) {
            *bye = 1;
            break;
        }
        struct stream_piece *pc = &pieces[n++];
        pc->offset = off;
        pc->len = (u16_t)(end - off);
        pc->prefix_len = 0;
        if (starts_message) {
            pc->prefix_len =
                (uint8_t)snprintf(pc->prefix, sizeof pc->prefix, "%lu", (unsigned long)st->messages);
            st->messages++;
        }
        if (nl != NOT_FOUND) {
            st->in_line = 0;
            st->seen_newline = 1;
        } else {
            int bare_word = starts_message && !st->seen_newline && pc->len <= SERIAL_WORD_MAX &&
                            (chunk->flags & PBUF_FLAG_PUSH) != 0;
            st->in_line = !bare_word;
        }
        off = end;
    }
    return n;
}

static err_t serial_on_chunk(struct stream_conn *conn, struct pbuf *chunk)
{
    struct stream_line_state *st = stream_conn_lines(conn);
    struct stream_piece *pieces = calloc(count_newlines(chunk) + 1, sizeof *pieces);
    if (pieces == NULL) {
        return ERR_MEM;
    }
    struct stream_line_state next = *st;
    int bye;
    size_t n = plan(chunk, &next, pieces, &bye);
    err_t err = stream_conn_queue_pieces(conn, chunk, pieces, n);
    free(pieces);
    if (err == ERR_OK) {
        *st = next;
        if (bye) {
            stream_conn_finish(conn);
        }
    }
    return err;
}

const struct stream_service_ops serial_service_ops = {"serial", serial_on_chunk};
