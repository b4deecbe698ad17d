#include "diagram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "lwiptap/conn_events.h"
#include "lwiptap/frame_info.h"
#include "lwiptap/log.h"

#include "diagram_svg.h"

static char *base_path;
static struct diagram_conn *conns;
static unsigned files_started;
static int said_full;

/* At most DIAGRAM_MAX_FILES connections are followed: the search is bounded. */
static struct diagram_conn *find(const struct conn_event *ev)
{
    for (struct diagram_conn *c = conns; c != NULL; c = c->next) {
        if (c->serial == ev->serial) {
            return c;
        }
    }
    if (ev->kind != CONN_EVENT_SEGMENT) {
        return NULL; /* a connection is drawn from its first segment on */
    }
    if (files_started >= DIAGRAM_MAX_FILES) {
        if (!said_full) {
            log_warn("diagram", "only the first %u connections are drawn", DIAGRAM_MAX_FILES);
            said_full = 1;
        }
        return NULL;
    }
    struct diagram_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->serial = ev->serial;
    c->index = ++files_started;
    endpoint_format_raw(ev->family, ev->local, ev->local_port, c->local, sizeof c->local);
    endpoint_format_raw(ev->family, ev->remote, ev->remote_port, c->remote, sizeof c->remote);
    c->lwip_first_state = CONN_STATE_UNKNOWN;
    c->host_first_state = CONN_STATE_UNKNOWN;
    c->next = conns;
    conns = c;
    return c;
}

static struct diagram_event *add_event(struct diagram_conn *c, const struct conn_event *ev,
                                       enum diagram_event_kind kind, enum diagram_side from)
{
    if (c->count == DIAGRAM_MAX_EVENTS) {
        c->truncated = 1;
        return NULL;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct diagram_event *grown = realloc(c->events, cap * sizeof *grown);
        if (grown == NULL) {
            c->truncated = 1;
            return NULL;
        }
        c->events = grown;
        c->cap = cap;
    }
    struct diagram_event *e = &c->events[c->count++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->from = (uint8_t)from;
    e->t_us = ev->t_us;
    e->segment = ev->segment;
    return e;
}

/* The arrow's words: the timeline's numbers in a shorter notation. */
static void segment_text(const struct conn_segment *s, struct diagram_event *e)
{
    char flags[8];
    frame_format_tcp_flags(s->flags, flags, sizeof flags);
    int n = snprintf(e->text, sizeof e->text, "[%s]", flags);
    /* A seq where the timeline prints one (not on a plain ACK). */
    int shows_seq = s->len > 0 || (s->flags & (FRAME_TCP_SYN | FRAME_TCP_FIN | FRAME_TCP_RST)) ||
                    !(s->flags & FRAME_TCP_ACK) || (s->labels & SEG_KEEPALIVE);
    if (shows_seq && n > 0 && (size_t)n < sizeof e->text) {
        n += snprintf(e->text + n, sizeof e->text - (size_t)n, " seq %u", s->seq);
    }
    if (s->len > 0 && n > 0 && (size_t)n < sizeof e->text) {
        n += snprintf(e->text + n, sizeof e->text - (size_t)n, ":%u", s->seq + (uint32_t)s->len);
    }
    if ((s->flags & FRAME_TCP_ACK) && n > 0 && (size_t)n < sizeof e->text) {
        n += snprintf(e->text + n, sizeof e->text - (size_t)n, " ack %u", s->ack);
    }
    if (n > 0 && (size_t)n < sizeof e->text) {
        snprintf(e->text + n, sizeof e->text - (size_t)n, " win %u len %zu", s->window, s->len);
    }
    const char *labels = s->label_text[0] == ' ' ? s->label_text + 1 : s->label_text;
    if ((s->flags & FRAME_TCP_SYN) && s->options[0] != '\0') {
        snprintf(e->detail, sizeof e->detail, "<%s>%s%s", s->options, labels[0] ? " " : "", labels);
    } else {
        snprintf(e->detail, sizeof e->detail, "%s", labels);
    }
}

static void finish_conn(struct diagram_conn *c)
{
    char path[4200];
    const char *dot = strrchr(base_path, '.');
    const char *slash = strrchr(base_path, '/');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        dot = base_path + strlen(base_path);
    }
    snprintf(path, sizeof path, "%.*s-%u%s", (int)(dot - base_path), base_path, c->index, dot);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
    } else {
        diagram_write_svg(c, out);
        if (fclose(out) != 0) {
            log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
        } else {
            log_info("diagram", "wrote %s: %s -> %s", path, c->remote, c->local);
        }
    }
    struct diagram_conn **link = &conns;
    while (*link != c) {
        link = &(*link)->next;
    }
    *link = c->next;
    free(c->events);
    free(c);
}

static void add_state(struct diagram_conn *c, const struct conn_event *ev)
{
    int lwip = ev->kind == CONN_EVENT_LWIP_STATE;
    int *first = lwip ? &c->lwip_first_state : &c->host_first_state;
    if (*first == CONN_STATE_UNKNOWN) {
        *first = ev->u.state.from;
    }
    struct diagram_event *e =
        add_event(c, ev, lwip ? EVENT_LWIP_STATE : EVENT_PEER_STATE, lwip ? LWIP : HOST);
    if (e != NULL) {
        e->state = ev->u.state.to;
        e->at_send = (uint8_t)ev->u.state.at_send;
        e->certainty = (uint8_t)ev->u.state.certainty;
        snprintf(e->text, sizeof e->text, "%s", conn_state_name(ev->u.state.to));
        snprintf(e->detail, sizeof e->detail, "%s", ev->u.state.cause != NULL ? ev->u.state.cause : "");
    }
}

static void on_event(const struct conn_event *ev, void *ctx)
{
    (void)ctx;
    struct diagram_conn *c = find(ev);
    if (c == NULL) {
        return;
    }
    struct diagram_event *e;
    switch (ev->kind) {
    case CONN_EVENT_SEGMENT:
        e = add_event(c, ev, EVENT_SEGMENT, ev->u.seg.tx ? LWIP : HOST);
        if (e != NULL) {
            segment_text(&ev->u.seg, e);
            e->dropped = (uint8_t)ev->u.seg.dropped;
            e->retransmission = (ev->u.seg.labels & (SEG_RETRANSMISSION | SEG_FAST_RETRANSMISSION)) != 0;
            e->fin = (ev->u.seg.flags & FRAME_TCP_FIN) != 0;
            e->peer_saw_before = ev->u.seg.peer_saw_before;
            c->segments = ev->segment;
        }
        break;
    case CONN_EVENT_LWIP_STATE:
    case CONN_EVENT_PEER_STATE:
        add_state(c, ev);
        break;
    case CONN_EVENT_CLOSED:
        finish_conn(c);
        break;
    }
}

int diagram_start(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash == NULL ? 1 : (int)(slash - path), slash == NULL ? "." : path);
    if (slash == path) {
        snprintf(dir, sizeof dir, "/");
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "cannot write diagrams in %s: %s", dir, strerror(errno));
        return -1;
    }
    free(base_path);
    base_path = strdup(path);
    if (base_path == NULL || conn_events_subscribe(on_event, NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void diagram_finish(void)
{
    if (base_path == NULL) {
        return;
    }
    /* The connections still open end here, in the order they opened. */
    conn_events_finish();
    conn_events_unsubscribe(on_event, NULL);
    while (conns != NULL) {
        finish_conn(conns);
    }
    free(base_path);
    base_path = NULL;
}
