#include <stdio.h>

#include "services.h"

static err_t serial_on_chunk(struct stream_conn *conn, struct pbuf *chunk)
{
    if (chunk->tot_len >= 3 && pbuf_memcmp(chunk, 0, "bye", 3) == 0) {
        stream_conn_consume(conn, chunk);
        stream_conn_finish(conn);
        return ERR_OK;
    }
    char serial[STREAM_PREFIX_MAX];
    int len = snprintf(serial, sizeof serial, "%lu", (unsigned long)stream_conn_chunks_answered(conn));
    return stream_conn_queue(conn, serial, (size_t)len, chunk);
}

const struct stream_service_ops serial_service_ops = {"serial", serial_on_chunk};
