#include "connect_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect_reply.h"
#include "endpoint.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "lwiptap/log.h"
#include "lwiptap/tcp_msl.h"
#include "lwiptap/timeline.h"
#include "route.h"

#define TAG "connect"
/* The longest message: a longer line goes out in pieces of this size. */
#define MESSAGE_MAX 65536
#define CLOSE_POLL_MS 100

enum phase {
    PHASE_CONNECTING,  /* SYN sent, waiting for the SYN-ACK */
    PHASE_IDLE,        /* waiting for a line of input */
    PHASE_SENDING,     /* a message is partly in lwIP's send buffer */
    PHASE_AWAIT_REPLY, /* the message is out, its reply not yet in */
    PHASE_CLOSING,     /* our tcp_close is done; waiting for lwIP to free the pcb */
    PHASE_OVER,
};

struct connect_session {
    struct connect_session_config cfg;
    struct event_loop *loop;
    struct tcp_pcb *pcb; /* NULL once lwIP has freed it */
    enum phase phase;
    int watching_input;
    int input_eof;
    int close_after_message; /* the message is "bye", or the last of the input */
    int status;
    int reported;
    size_t in_len;
    size_t msg_len, msg_sent;
    uint64_t messages;
    char peer[ENDPOINT_STRLEN];
    char in[MESSAGE_MAX];
    char msg[MESSAGE_MAX];
};

static u8_t ext_id;
static int ext_id_allocated;

static void process_input(struct connect_session *s);
static void start_close(struct connect_session *s);

static void about_to_act(struct connect_session *s)
{
    if (s->cfg.probe != NULL && s->pcb != NULL) {
        s->cfg.probe(s->pcb, PROBE_APP);
    }
}

static void acted(struct connect_session *s, int app_action)
{
    if (s->cfg.probe != NULL) {
        s->cfg.probe(NULL, app_action);
    }
}

/* Our own timers run among lwIP's: what they change is the app's doing. */
static void app_begin(struct connect_session *s)
{
    if (s->cfg.probe != NULL) {
        s->cfg.probe(NULL, PROBE_APP_BEGIN);
    }
}

static void app_end(struct connect_session *s)
{
    if (s->cfg.probe != NULL) {
        s->cfg.probe(NULL, PROBE_APP_END);
    }
}

/* What a pcb callback returns: ERR_ABRT tells lwIP the pcb is gone. */
static err_t still_ours(const struct connect_session *s)
{
    return s->pcb == NULL ? ERR_ABRT : ERR_OK;
}

static void on_timeout(void *arg);
static void poll_close(void *arg);
static void resume_input(void *arg);

/* Nothing of the session's is waited for any more: no input, no timer. */
static void stop_waiting(struct connect_session *s)
{
    if (s->watching_input) {
        event_loop_unwatch(s->loop, s->cfg.input_fd);
        s->watching_input = 0;
    }
    sys_untimeout(on_timeout, s);
    sys_untimeout(poll_close, s);
    sys_untimeout(resume_input, s);
}

static void finish(struct connect_session *s, int status)
{
    if (s->reported) {
        return;
    }
    s->reported = 1;
    s->phase = PHASE_OVER;
    stop_waiting(s);
    log_info(TAG, "session with %s over after %llu message%s: exit status %d", s->peer,
             (unsigned long long)s->messages, s->messages == 1 ? "" : "s", status);
    s->cfg.on_done(s->cfg.ctx, status);
}

static void detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

/* Gives up on the connection (RST) with exit status 1. */
static void abort_session(struct connect_session *s)
{
    struct tcp_pcb *pcb = s->pcb;
    if (pcb != NULL) {
        about_to_act(s);
        app_begin(s);
        detach(pcb);
        tcp_abort(pcb); /* the destroy callback clears s->pcb */
        app_end(s);
    }
    s->status = 1;
    finish(s, 1);
}

static void on_pcb_freed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    struct connect_session *s = data;
    s->pcb = NULL;
    if (s->phase == PHASE_CLOSING) {
        finish(s, s->status);
    }
}

static const struct tcp_ext_arg_callbacks pcb_callbacks = {on_pcb_freed, NULL};
static const struct tcp_ext_arg_callbacks no_callbacks = {NULL, NULL};

/* Whether the wire saw the SYN: lwIP holds it back while the peer's
 * address does not answer ARP (or Neighbor Discovery), and the timeline
 * knows only what left. */
static int syn_left(const struct connect_session *s)
{
    const struct tcp_pcb *pcb = s->pcb;
    if (pcb == NULL) {
        return 1;
    }
    int v6 = IP_IS_V6(&pcb->remote_ip);
    const uint8_t *local = v6 ? (const uint8_t *)ip_2_ip6(&pcb->local_ip)->addr
                              : (const uint8_t *)&ip_2_ip4(&pcb->local_ip)->addr;
    const uint8_t *remote = v6 ? (const uint8_t *)ip_2_ip6(&pcb->remote_ip)->addr
                               : (const uint8_t *)&ip_2_ip4(&pcb->remote_ip)->addr;
    struct timeline_counts counts;
    return timeline_counts(v6 ? AF_INET6 : AF_INET, local, pcb->local_port, remote, pcb->remote_port,
                           &counts) == 0 &&
           counts.sent.segments > 0;
}

static void on_timeout(void *arg)
{
    struct connect_session *s = arg;
    app_begin(s);
    double seconds = s->cfg.timeout_ms / 1000.0;
    if (s->phase == PHASE_CONNECTING && !syn_left(s)) {
        log_error(TAG,
                  "no answer from %s within %g s: nothing answered %s for its address, so lwIP's SYN never "
                  "left (is a host with that address on the link?): giving up",
                  s->peer, seconds, IP_IS_V6(&s->cfg.ip) ? "Neighbor Discovery" : "ARP");
    } else if (s->phase == PHASE_CONNECTING) {
        log_error(TAG, "no answer from %s within %g s (lwIP kept sending its SYN): giving up", s->peer,
                  seconds);
    } else {
        log_error(TAG, "no reply from %s within %g s: giving up", s->peer, seconds);
    }
    abort_session(s);
    app_end(s);
}

static void arm_timeout(struct connect_session *s)
{
    sys_untimeout(on_timeout, s);
    if (s->cfg.timeout_ms > 0) {
        sys_timeout(s->cfg.timeout_ms, on_timeout, s);
    }
}

/* Once TIME_WAIT is reached the connection is closed for the application;
 * whether to wait for its end depends on how long 2 MSL is. */
static void poll_close(void *arg)
{
    struct connect_session *s = arg;
    if (s->pcb == NULL) {
        return;
    }
    if (s->pcb->state == TIME_WAIT && 2 * lwiptap_tcp_msl_ms > s->cfg.wait_time_wait_ms) {
        log_info(TAG, "in TIME_WAIT, which lasts 2 MSL = %lu s; not waiting for it (--msl shortens it)",
                 2 * lwiptap_tcp_msl_ms / 1000);
        finish(s, s->status);
        return;
    }
    sys_timeout(CLOSE_POLL_MS, poll_close, s);
}

static void start_close(struct connect_session *s)
{
    struct tcp_pcb *pcb = s->pcb;
    s->phase = PHASE_CLOSING;
    sys_untimeout(on_timeout, s);
    if (pcb == NULL) {
        finish(s, s->status);
        return;
    }
    about_to_act(s);
    detach(pcb);
    err_t err = tcp_close(pcb);
    if (err != ERR_OK) {
        log_warn(TAG, "tcp_close failed (%s), aborting the connection", lwip_strerr(err));
        tcp_abort(pcb);
        s->status = 1;
    }
    acted(s, PROBE_APP);
    if (s->pcb != NULL) {
        sys_timeout(CLOSE_POLL_MS, poll_close, s);
    } else {
        finish(s, s->status);
    }
}

static void push_message(struct connect_session *s)
{
    struct tcp_pcb *pcb = s->pcb;
    while (s->msg_sent < s->msg_len) {
        u16_t room = tcp_sndbuf(pcb);
        if (room == 0) {
            break;
        }
        u16_t n = (u16_t)LWIP_MIN((size_t)room, s->msg_len - s->msg_sent);
        err_t err = tcp_write(pcb, s->msg + s->msg_sent, n, TCP_WRITE_FLAG_COPY);
        if (err == ERR_MEM) {
            break; /* the sent callback tries again */
        }
        if (err != ERR_OK) {
            log_error(TAG, "tcp_write failed: %s", lwip_strerr(err));
            abort_session(s);
            return;
        }
        s->msg_sent += n;
    }
    about_to_act(s);
    tcp_output(pcb);
    acted(s, PROBE_APP);
    if (s->msg_sent < s->msg_len) {
        return;
    }
    s->messages++;
    if (s->close_after_message) {
        start_close(s);
    } else {
        s->phase = PHASE_AWAIT_REPLY;
        arm_timeout(s);
    }
}

static void send_message(struct connect_session *s, size_t len, int close_after)
{
    memcpy(s->msg, s->in, len);
    s->msg_len = len;
    s->msg_sent = 0;
    s->in_len -= len;
    memmove(s->in, s->in + len, s->in_len);
    s->close_after_message = close_after;
    s->phase = PHASE_SENDING;
    push_message(s);
}

static void on_input(struct event_loop *loop, int fd, void *ctx)
{
    LWIP_UNUSED_ARG(loop);
    struct connect_session *s = ctx;
    ssize_t n = read(fd, s->in + s->in_len, sizeof s->in - s->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n < 0) {
        log_error(TAG, "reading the input: %s; closing", strerror(errno));
    }
    if (n <= 0) {
        s->input_eof = 1;
    } else {
        s->in_len += (size_t)n;
    }
    process_input(s);
}

static void watch_input(struct connect_session *s, int want)
{
    if (want == s->watching_input) {
        return;
    }
    if (want) {
        char err[EVENT_LOOP_ERR_LEN];
        if (event_loop_watch(s->loop, s->cfg.input_fd, on_input, s, err) != 0) {
            log_error(TAG, "%s", err);
            s->input_eof = 1;
            return;
        }
    } else {
        event_loop_unwatch(s->loop, s->cfg.input_fd);
    }
    s->watching_input = want;
}

/* Sends the next complete line, or closes at the end of input. */
static void process_input(struct connect_session *s)
{
    while (s->phase == PHASE_IDLE) {
        const char *nl = memchr(s->in, '\n', s->in_len);
        size_t len = nl != NULL ? (size_t)(nl - s->in) + 1 : 0;
        if (len == 0 && (s->in_len == sizeof s->in || (s->input_eof && s->in_len > 0))) {
            len = s->in_len; /* a piece of a long line, or a last line without newline */
        }
        if (len > 0) {
            send_message(s, len, len >= 3 && memcmp(s->in, "bye", 3) == 0);
        } else if (s->input_eof) {
            log_info(TAG, "end of input: closing the connection");
            start_close(s);
        } else {
            break;
        }
    }
    watch_input(s, s->phase == PHASE_IDLE && !s->input_eof);
}

static void resume_input(void *arg)
{
    struct connect_session *s = arg;
    app_begin(s);
    process_input(s);
    app_end(s);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct connect_session *s = arg;
    LWIP_UNUSED_ARG(err);
    acted(s, PROBE_CALLBACK);
    if (p == NULL) {
        int awaited = s->phase == PHASE_AWAIT_REPLY || s->phase == PHASE_SENDING;
        log_info(TAG, "%s closed the connection%s", s->peer, awaited ? " without replying" : "");
        s->status = awaited ? 1 : 0;
        start_close(s);
        return still_ours(s);
    }
    uint8_t chunk[1024];
    for (u16_t off = 0; off < p->tot_len;) {
        u16_t n = pbuf_copy_partial(p, chunk, sizeof chunk, off);
        off = (u16_t)(off + n);
        /* A reply split over pbufs is still one reply: the newline only at its end. */
        if (off < p->tot_len) {
            fwrite(chunk, 1, n, s->cfg.output);
        } else {
            connect_print_reply(s->cfg.output, chunk, n);
        }
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (s->phase == PHASE_AWAIT_REPLY) {
        sys_untimeout(on_timeout, s);
        s->phase = PHASE_IDLE;
        /* lwIP holds back output while it delivers input (tcp_input_pcb), so
         * the next message would leave with whatever follows it, FIN included:
         * it goes out from the next pass of the loop instead. */
        sys_timeout(0, resume_input, s);
    }
    return still_ours(s);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    LWIP_UNUSED_ARG(pcb);
    LWIP_UNUSED_ARG(len);
    struct connect_session *s = arg;
    acted(s, PROBE_CALLBACK);
    if (s->phase == PHASE_SENDING) {
        push_message(s);
    }
    return still_ours(s);
}

static void on_error(void *arg, err_t err)
{
    struct connect_session *s = arg;
    acted(s, PROBE_CALLBACK);
    if (err == ERR_RST && s->phase == PHASE_CONNECTING) {
        log_error(TAG, "connection refused by %s (it answered our SYN with a RST)", s->peer);
    } else if (err == ERR_RST) {
        log_error(TAG, "connection reset by %s", s->peer);
    } else {
        log_error(TAG, "connection to %s lost: %s (lwIP gave up on it)", s->peer, lwip_strerr(err));
    }
    s->pcb = NULL;
    s->status = 1;
    finish(s, 1);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct connect_session *s = arg;
    LWIP_UNUSED_ARG(err); /* lwIP 2.2 calls this only on success */
    acted(s, PROBE_CALLBACK);
    sys_untimeout(on_timeout, s);
    log_info(TAG, "connected to %s from port %u", s->peer, pcb->local_port);
    s->phase = PHASE_IDLE;
    sys_timeout(0, resume_input, s); /* see on_recv */
    return ERR_OK;
}

struct connect_session *connect_session_start(struct event_loop *loop,
                                              const struct connect_session_config *cfg, char *err,
                                              size_t errlen)
{
    char peer[ENDPOINT_STRLEN];
    endpoint_format(&cfg->ip, cfg->port, peer, sizeof peer);
    if (!route_reachable(&cfg->ip, peer, err, errlen)) {
        return NULL;
    }
    struct connect_session *s = calloc(1, sizeof *s);
    struct tcp_pcb *pcb = s != NULL ? tcp_new_ip_type(IP_GET_TYPE(&cfg->ip)) : NULL;
    if (pcb == NULL) {
        free(s);
        snprintf(err, errlen, "out of memory for the --connect session");
        return NULL;
    }
    if (!ext_id_allocated) {
        ext_id = tcp_ext_arg_alloc_id();
        ext_id_allocated = 1;
    }
    s->cfg = *cfg;
    s->loop = loop;
    s->pcb = pcb;
    memcpy(s->peer, peer, sizeof peer);
    tcp_ext_arg_set(pcb, ext_id, s);
    tcp_ext_arg_set_callbacks(pcb, ext_id, &pcb_callbacks);
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    keepalive_apply(pcb, &cfg->keepalive);
    about_to_act(s);
    err_t e = tcp_connect(pcb, &cfg->ip, cfg->port, on_connected);
    acted(s, PROBE_APP);
    if (e != ERR_OK) {
        snprintf(err, errlen, "cannot connect to %s: %s", peer, lwip_strerr(e));
        detach(pcb);
        tcp_abort(pcb);
        free(s);
        return NULL;
    }
    log_info(TAG, "connecting to %s", peer);
    arm_timeout(s);
    return s;
}

void connect_session_free(struct connect_session *s)
{
    if (s == NULL) {
        return;
    }
    stop_waiting(s);
    if (s->pcb != NULL) {
        /* The pcb outlives the session (TIME_WAIT, or shutdown's grace): it must not call back. */
        tcp_ext_arg_set_callbacks(s->pcb, ext_id, &no_callbacks);
        tcp_ext_arg_set(s->pcb, ext_id, NULL);
        detach(s->pcb);
    }
    free(s);
}
