#include "services.h"

static err_t echo_on_chunk(struct stream_conn *conn, struct pbuf *chunk)
{
    return stream_conn_queue(conn, NULL, 0, chunk);
}

const struct stream_service_ops echo_service_ops = {"echo", echo_on_chunk};
