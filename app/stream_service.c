#include "stream_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lwip/tcp.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "stream_conn.h"

/* Poll interval in units of lwIP's coarse timer (500 ms): retries a stalled flush or close. */
#define STREAM_POLL_INTERVAL 2

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

static void conn_release(struct stream_conn *conn, const char *how)
{
    struct stream_service *svc = conn->svc;
    log_info(svc->ops->name, "%s %s after %llu bytes in, %llu out", conn->peer, how,
             (unsigned long long)conn->bytes_in, (unsigned long long)conn->bytes_out);
    stream_free_queue(conn);
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
err_t stream_conn_close(struct stream_conn *conn, const char *how)
{
    struct tcp_pcb *pcb = conn->pcb;
    about_to_act_on(pcb);
    /* Unacknowledged input would make tcp_close send RST instead of FIN. */
    stream_credit(conn, conn->uncredited);
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

err_t stream_conn_abort(struct stream_conn *conn, const char *why)
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
err_t stream_conn_half_close(struct stream_conn *conn)
{
    struct tcp_pcb *pcb = conn->pcb;
    about_to_act_on(pcb);
    err_t err = tcp_shutdown(pcb, 0, 1);
    if (err != ERR_OK) {
        return stream_conn_abort(conn, "aborted: tcp_shutdown failed");
    }
    conn->tx_shut = 1;
    tcp_output(pcb);
    probe(PROBE_APP);
    log_info(conn->svc->ops->name, "%s half-closed: our FIN is sent, still receiving (--half-close)",
             conn->peer);
    return ERR_OK;
}

struct stream_line_state *stream_conn_lines(struct stream_conn *conn)
{
    return &conn->lines;
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
        return stream_flush(conn);
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
        return stream_conn_abort(conn, why);
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
    return stream_flush(conn);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    LWIP_UNUSED_ARG(pcb);
    LWIP_UNUSED_ARG(len);
    probe(PROBE_CALLBACK);
    return stream_flush(arg);
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
    return stream_flush(conn);
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

struct tcp_pcb *stream_listen(uint16_t port, err_t *err)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    *err = tcp_bind(pcb, IP_ANY_TYPE, port);
    struct tcp_pcb *listener =
        *err == ERR_OK ? tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG, err) : NULL;
    if (listener == NULL) {
        tcp_abort(pcb);
    }
    return listener;
}

struct stream_service *stream_service_start(const struct stream_service_ops *ops, uint16_t port, err_t *err)
{
    struct stream_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    struct tcp_pcb *listener = stream_listen(port, err);
    if (listener == NULL) {
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
        stream_free_queue(conn);
        stream_conn_close(conn, "closed at shutdown");
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
