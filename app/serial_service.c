#include <stdio.h>

#include "services.h"

struct pbuf *serial_frame(uint32_t serial, struct pbuf *chunk, uint16_t *prefix_len)
{
    char digits[12];
    int n = snprintf(digits, sizeof digits, "%lu", (unsigned long)serial);
    struct pbuf *prefix = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
    if (prefix == NULL) {
        return NULL;
    }
    pbuf_take(prefix, digits, (u16_t)n);
    /* Chaining, not copying: a chunk of any size keeps its own pbufs. */
    pbuf_cat(prefix, chunk);
    *prefix_len = (uint16_t)n;
    return prefix;
}

static err_t serial_on_chunk(struct stream_conn *conn, struct pbuf *chunk)
{
    if (chunk->tot_len >= 3 && pbuf_memcmp(chunk, 0, "bye", 3) == 0) {
        stream_conn_consume(conn, chunk);
        stream_conn_finish(conn);
        return ERR_OK;
    }
    uint16_t prefix_len;
    struct pbuf *reply = serial_frame(stream_conn_chunks_answered(conn), chunk, &prefix_len);
    if (reply == NULL) {
        return ERR_MEM;
    }
    err_t err = stream_conn_queue(conn, reply, prefix_len);
    if (err != ERR_OK) {
        /* Hand the chunk back untouched so lwIP can deliver it again: pbuf_cat
         * took over our reference, and dechaining drops the chain's. */
        pbuf_ref(chunk);
        pbuf_dechain(reply);
        pbuf_free(reply);
    }
    return err;
}

const struct stream_service_ops serial_service_ops = {"serial", serial_on_chunk};
