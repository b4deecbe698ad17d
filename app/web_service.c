#include "web_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "web_events.h"
#include "web_http.h"
#include "web_page.h"
#include "web_snapshot.h"

/* lwIP's poll interval is in ticks of its coarse timer (500 ms): every second. */
#define WEB_POLL_TICKS 2

enum web_phase { PHASE_READING, PHASE_RESPONDING, PHASE_STREAMING };

struct web_conn {
    struct web_conn *prev, *next;
    struct web_service *svc;
    struct tcp_pcb *pcb;
    enum web_phase phase;
    struct web_http_parser req;
    struct pbuf *pending; /* received, not yet parsed (the next request) */
    char *resp;           /* head (+ body) of the response being written */
    size_t resp_len, resp_sent;
    const char *body; /* static body after resp (the page), or NULL */
    size_t body_len, body_sent;
    int keep_alive;
    unsigned waited_s; /* for a complete request head */
    struct web_sub *sub;
    char peer[ENDPOINT_STRLEN];
};

struct web_service {
    struct tcp_pcb *listener;
    struct web_conn *conns;
    unsigned count;
    stream_probe_fn probe;
    int flush_pending;
    struct web_service_stats stats;
};

static struct web_service *running; /* the notify and timers have no argument of ours */

static void checkpoint(struct web_service *svc, struct tcp_pcb *pcb)
{
    if (svc->probe != NULL) {
        svc->probe(pcb, PROBE_APP);
    }
}

static void detach_callbacks(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

static void conn_release(struct web_conn *c)
{
    struct web_service *svc = c->svc;
    if (c->sub != NULL) {
        web_sub_close(c->sub);
    }
    if (c->pending != NULL) {
        pbuf_free(c->pending);
    }
    free(c->resp);
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        svc->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    svc->count--;
    free(c);
}

/* Returns ERR_ABRT when the close fell back to tcp_abort: a callback must pass that on. */
static err_t conn_close(struct web_conn *c)
{
    struct tcp_pcb *pcb = c->pcb;
    struct web_service *svc = c->svc;
    svc->probe(pcb, PROBE_APP);
    /* Input left unacknowledged would make tcp_close send RST instead of FIN. */
    if (c->pending != NULL) {
        tcp_recved(pcb, c->pending->tot_len);
    }
    tcp_guard_restore_window(pcb);
    detach_callbacks(pcb);
    conn_release(c);
    err_t err = tcp_close(pcb);
    if (err != ERR_OK) {
        log_warn("web", "tcp_close failed (%s), aborting the connection", lwip_strerr(err));
        tcp_abort(pcb);
        err = ERR_ABRT;
    }
    checkpoint(svc, NULL);
    return err;
}

/* Writes as much of data as lwIP has room for; returns the bytes taken, -1 on a hard error. */
static long write_some(struct tcp_pcb *pcb, const char *data, size_t len, int copy, int more)
{
    size_t room = tcp_sndbuf(pcb);
    size_t n = len < room ? len : room;
    if (n > 0xffffu) {
        n = 0xffffu;
    }
    if (n == 0) {
        return 0;
    }
    u8_t flags = (u8_t)((copy ? TCP_WRITE_FLAG_COPY : 0) | (more || n < len ? TCP_WRITE_FLAG_MORE : 0));
    err_t err = tcp_write(pcb, data, (u16_t)n, flags);
    if (err == ERR_MEM) {
        return 0; /* the send queue is full: sent or poll callbacks retry */
    }
    return err == ERR_OK ? (long)n : -1;
}

static err_t serve_pending(struct web_conn *c);

/* Moves the response, then the subscriber's events, into lwIP's send buffer. */
static err_t conn_flush(struct web_conn *c)
{
    struct tcp_pcb *pcb = c->pcb;
    int wrote = 0;
    long n = 0;
    while (c->resp_sent < c->resp_len &&
           (n = write_some(pcb, c->resp + c->resp_sent, c->resp_len - c->resp_sent, 1, c->body != NULL)) >
               0) {
        c->resp_sent += (size_t)n;
        wrote = 1;
    }
    while (c->resp_sent == c->resp_len && c->body_sent < c->body_len &&
           (n = write_some(pcb, c->body + c->body_sent, c->body_len - c->body_sent, 0, 0)) > 0) {
        c->body_sent += (size_t)n;
        wrote = 1;
    }
    const char *data;
    size_t len;
    int head_out = c->resp_sent == c->resp_len && c->body_sent == c->body_len;
    while (head_out && c->phase == PHASE_STREAMING && (len = web_sub_peek(c->sub, &data)) > 0 &&
           (n = write_some(pcb, data, len, 1, 1)) > 0) {
        web_sub_consume(c->sub, (size_t)n);
        wrote = 1;
    }
    if (n < 0) {
        return conn_close(c);
    }
    if (wrote) {
        tcp_output(pcb);
    }
    if (c->resp_sent < c->resp_len || c->body_sent < c->body_len || c->phase != PHASE_RESPONDING) {
        return ERR_OK;
    }
    if (!c->keep_alive) {
        return conn_close(c);
    }
    /* The response is out: the connection waits for its next request. */
    free(c->resp);
    c->resp = NULL;
    c->resp_len = c->resp_sent = c->body_len = c->body_sent = 0;
    c->body = NULL;
    c->phase = PHASE_READING;
    c->waited_s = 0;
    web_http_init(&c->req);
    return serve_pending(c);
}

/* Starts a response: status line, fields, and body (copied) or static_body. */
static err_t respond(struct web_conn *c, int status, const char *type, const char *extra, const char *body,
                     size_t body_len, const char *static_body, size_t static_len)
{
    int streaming = status == 200 && static_body == NULL && body == NULL;
    size_t length = body_len + static_len;
    size_t cap = 512 + body_len;
    c->resp = malloc(cap);
    if (c->resp == NULL) {
        return conn_close(c);
    }
    int n = snprintf(c->resp, cap, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n%s",
                     status, web_http_reason(status), type, extra);
    if (!streaming) {
        n += snprintf(c->resp + n, cap - (size_t)n, "Content-Length: %zu\r\n", length);
    }
    n += snprintf(c->resp + n, cap - (size_t)n, "Connection: %s\r\n\r\n",
                  c->keep_alive ? "keep-alive" : "close");
    if (body != NULL) {
        memcpy(c->resp + n, body, body_len);
        n += (int)body_len;
    }
    c->resp_len = (size_t)n;
    c->resp_sent = 0;
    c->body = static_body;
    c->body_len = static_len;
    c->body_sent = 0;
    c->svc->stats.responses[status / 100 < 6 ? status / 100 : 5]++;
    log_info("web", "%s %d %s", c->peer, status, web_http_reason(status));
    return conn_flush(c);
}

static err_t respond_error(struct web_conn *c, int status, const char *problem)
{
    char body[256];
    int n = snprintf(body, sizeof body, "%d %s: %s\n", status, web_http_reason(status), problem);
    c->keep_alive = 0;
    c->phase = PHASE_RESPONDING;
    return respond(c, status, "text/plain; charset=utf-8", status == 405 ? "Allow: GET\r\n" : "", body,
                   (size_t)n, NULL, 0);
}

static err_t start_events(struct web_conn *c)
{
    c->sub = web_sub_open(c->peer);
    if (c->sub == NULL) {
        return respond_error(c, 503, "8 pages are already subscribed to /events");
    }
    static char snapshot[WEB_SNAPSHOT_MAX];
    web_snapshot_conns(snapshot, sizeof snapshot);
    web_sub_queue(c->sub, "conns", snapshot);
    web_snapshot_counters(snapshot, sizeof snapshot);
    web_sub_queue(c->sub, "counters", snapshot);
    web_sub_replay(c->sub);
    c->phase = PHASE_STREAMING;
    c->keep_alive = 1;
    return respond(c, 200, "text/event-stream", "X-Accel-Buffering: no\r\n", NULL, 0, NULL, 0);
}

static err_t route(struct web_conn *c)
{
    c->keep_alive = c->req.keep_alive;
    c->phase = PHASE_RESPONDING;
    static char json[WEB_SNAPSHOT_MAX * 2];
    switch (c->req.route) {
    case WEB_ROUTE_PAGE:
        return respond(c, 200, "text/html; charset=utf-8", "", NULL, 0, (const char *)web_page_html,
                       web_page_html_len);
    case WEB_ROUTE_STATE: {
        size_t n = (size_t)snprintf(json, sizeof json, "{\"conns\":");
        n += web_snapshot_conns(json + n, sizeof json - n);
        n += (size_t)snprintf(json + n, sizeof json - n, ",\"counters\":");
        n += web_snapshot_counters(json + n, sizeof json - n);
        n += (size_t)snprintf(json + n, sizeof json - n, "}\n");
        return respond(c, 200, "application/json", "", json, n, NULL, 0);
    }
    case WEB_ROUTE_EVENTS:
        return start_events(c);
    }
    return respond_error(c, 404, "no such page");
}

/* Feeds what was received to the parser while the connection reads a request. */
static err_t serve_pending(struct web_conn *c)
{
    while (c->phase == PHASE_READING && c->pending != NULL) {
        struct pbuf *p = c->pending;
        if (p->len == 0) {
            /* An empty pbuf inside a chain would make no progress below. */
            c->pending = p->next;
            p->next = NULL;
            p->tot_len = 0;
            pbuf_free(p);
            continue;
        }
        size_t used;
        int status = web_http_feed(&c->req, p->payload, p->len, &used);
        tcp_recved(c->pcb, (u16_t)used);
        c->pending = pbuf_free_header(p, (u16_t)used);
        if (status == 200) {
            return route(c);
        }
        if (status != 0) {
            return respond_error(c, status, c->req.problem);
        }
    }
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct web_conn *c = arg;
    LWIP_UNUSED_ARG(err);
    c->svc->probe(NULL, PROBE_CALLBACK);
    LWIP_ASSERT("web on_recv: conn owns pcb", c != NULL && c->pcb == pcb);
    if (p == NULL) {
        /* The peer is done sending: what is queued still goes out, then FIN. */
        c->keep_alive = 0;
        if (c->phase == PHASE_READING || c->phase == PHASE_STREAMING) {
            return conn_close(c);
        }
        return ERR_OK;
    }
    if (c->phase != PHASE_READING && c->phase != PHASE_RESPONDING) {
        /* Streaming or closing: nothing more is read. */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    if (c->pending == NULL) {
        c->pending = p;
    } else {
        pbuf_cat(c->pending, p); /* bounded by our receive window: it is not acknowledged yet */
    }
    return serve_pending(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    LWIP_UNUSED_ARG(pcb);
    LWIP_UNUSED_ARG(len);
    struct web_conn *c = arg;
    c->svc->probe(NULL, PROBE_CALLBACK);
    return conn_flush(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    LWIP_UNUSED_ARG(pcb);
    struct web_conn *c = arg;
    c->svc->probe(NULL, PROBE_CALLBACK);
    /* One poll a second. */
    if (c->phase == PHASE_READING && ++c->waited_s >= WEB_HEADER_TIMEOUT_S) {
        return respond_error(c, 408, "no complete request head within 10 s");
    }
    return conn_flush(c);
}

static void on_error(void *arg, err_t err)
{
    struct web_conn *c = arg;
    c->svc->probe(NULL, PROBE_CALLBACK);
    log_info("web", "%s lost (%s)", c->peer, lwip_strerr(err));
    conn_release(c);
}

static const char busy_response[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: 31\r\nConnection: close\r\n\r\n"
                                    "503: too many web connections\n";

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct web_service *svc = arg;
    svc->probe(NULL, PROBE_CALLBACK);
    if (err != ERR_OK || pcb == NULL) {
        return ERR_VAL;
    }
    svc->stats.accepted++;
    struct web_conn *c = svc->count < WEB_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) {
        /* No state kept: the answer is static, the input is lwIP's to discard. */
        svc->stats.responses[5]++;
        svc->probe(pcb, PROBE_APP);
        tcp_write(pcb, busy_response, sizeof busy_response - 1, 0);
        /* A window the guard opened small reads as unread input: RST, not 503. */
        tcp_guard_restore_window(pcb);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    c->svc = svc;
    c->pcb = pcb;
    web_http_init(&c->req);
    endpoint_format(&pcb->remote_ip, pcb->remote_port, c->peer, sizeof c->peer);
    c->next = svc->conns;
    if (svc->conns != NULL) {
        svc->conns->prev = c;
    }
    svc->conns = c;
    svc->count++;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    tcp_poll(pcb, on_poll, WEB_POLL_TICKS);
    return ERR_OK;
}

static void flush_all(void *arg)
{
    LWIP_UNUSED_ARG(arg);
    struct web_service *svc = running;
    svc->flush_pending = 0;
    svc->probe(NULL, PROBE_APP_BEGIN);
    struct web_conn *c = svc->conns;
    while (c != NULL) {
        struct web_conn *next = c->next;
        if (c->phase == PHASE_STREAMING) {
            conn_flush(c);
        }
        c = next;
    }
    svc->probe(NULL, PROBE_APP_END);
}

/* From inside lwIP's output path too: only schedules. */
static void events_queued(void)
{
    if (running != NULL && !running->flush_pending) {
        running->flush_pending = 1;
        sys_timeout(WEB_FLUSH_DELAY_MS, flush_all, NULL);
    }
}

static void tick(void *arg)
{
    LWIP_UNUSED_ARG(arg);
    if (web_sub_count() > 0) {
        static char json[WEB_SNAPSHOT_MAX];
        web_snapshot_conns(json, sizeof json);
        web_publish("conns", json);
        web_snapshot_counters(json, sizeof json);
        web_publish("counters", json);
    }
    sys_timeout(WEB_TICK_MS, tick, NULL);
}

struct web_service *web_service_start(uint16_t port, stream_probe_fn probe, err_t *err)
{
    LWIP_ASSERT("one web service at a time", running == NULL);
    struct web_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    struct tcp_pcb *listener = stream_listen(port, err);
    if (listener == NULL) {
        free(svc);
        return NULL;
    }
    svc->listener = listener;
    svc->probe = probe;
    tcp_arg(listener, svc);
    tcp_accept(listener, on_accept);
    probe(listener, PROBE_APP);
    probe(NULL, PROBE_APP);
    running = svc;
    web_events_set_notify(events_queued);
    web_events_attach(port);
    sys_timeout(WEB_TICK_MS, tick, NULL);
    log_info("web", "listening on port %u: GET / for the page, /events, /state", port);
    return svc;
}

void web_service_stop(struct web_service *svc)
{
    if (svc == NULL) {
        return;
    }
    sys_untimeout(tick, NULL);
    sys_untimeout(flush_all, NULL);
    web_events_set_notify(NULL);
    tcp_arg(svc->listener, NULL);
    tcp_accept(svc->listener, NULL);
    svc->probe(svc->listener, PROBE_APP);
    tcp_close(svc->listener);
    svc->probe(NULL, PROBE_APP);
    struct web_conn *c = svc->conns;
    while (c != NULL) {
        struct web_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    web_events_detach();
    running = NULL;
    free(svc);
}

const struct web_service_stats *web_service_stats(const struct web_service *svc)
{
    return &svc->stats;
}
