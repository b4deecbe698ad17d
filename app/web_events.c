#include "web_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwiptap/conn_events.h"
#include "lwiptap/frame_info.h"
#include "web_history.h"
#include "web_json.h"
#include "web_snapshot.h"

/* One SSE message, counted against its queue with its bookkeeping. */
struct web_msg {
    struct web_msg *next;
    size_t len;
    size_t sent;
    char data[];
};

struct msg_queue {
    struct web_msg *head, *tail;
    size_t bytes;
    size_t cap;
    uint64_t dropped;
};

struct web_sub {
    int in_use;
    char remote[ENDPOINT_STRLEN];
    struct msg_queue q;
    uint64_t unsaid; /* dropped since the last gap message */
    char gap[96];
    size_t gap_len, gap_sent;
};

/* What an SSE message costs in a queue: its bookkeeping, its framing, its data. */
#define SSE_COST(kind_len, json_len)                                                                         \
    (sizeof(struct web_msg) + sizeof "event: \ndata: \n\n" - 1 + (kind_len) + (json_len))
/* A new subscriber's queue takes its snapshot (web_service.c: conns and
 * counters, each at most WEB_SNAPSHOT_MAX) and the whole replay (the
 * brackets, an "unseen" per connection, the kept events) without dropping
 * any of it: a page opened late is given all the history there is. */
_Static_assert(SSE_COST(sizeof "counters" - 1, WEB_SNAPSHOT_MAX) * 2 + SSE_COST(sizeof "history" - 1, 2) * 2 +
                       SSE_COST(sizeof "unseen" - 1, WEB_HISTORY_UNSEEN_MAX) * WEB_HISTORY_CONNS +
                       WEB_HISTORY_BYTES <=
                   WEB_SUB_QUEUE_BYTES,
               "a replay must fit in a new subscriber's queue");
_Static_assert(SSE_COST(WEB_HISTORY_KIND_LEN, 0) <= WEB_HISTORY_EVENT_OVERHEAD,
               "a replayed event costs more in a queue than the history counts it");

static struct web_sub subs[WEB_MAX_SUBSCRIBERS];
static int sub_count;
static uint64_t dropped_all; /* over every subscriber, closed ones too */
static void (*notify)(void);
static uint16_t own_port;
static uint32_t start_ms;

void web_events_set_notify(void (*fn)(void))
{
    notify = fn;
}

static size_t msg_cost(size_t len)
{
    return sizeof(struct web_msg) + len;
}

static void pop_head(struct msg_queue *q)
{
    struct web_msg *m = q->head;
    q->head = m->next;
    if (q->head == NULL) {
        q->tail = NULL;
    }
    q->bytes -= msg_cost(m->len);
    free(m);
}

static void queue_clear(struct msg_queue *q)
{
    while (q->head != NULL) {
        pop_head(q);
    }
}

/* Makes room for cost bytes by dropping the oldest messages not yet begun;
 * 1 when there is room. */
static int make_room(struct msg_queue *q, size_t cost, uint64_t *dropped_now)
{
    while (q->bytes + cost > q->cap) {
        struct web_msg **victim = &q->head;
        if (*victim != NULL && (*victim)->sent > 0) {
            victim = &(*victim)->next; /* half sent: it must go out whole */
        }
        struct web_msg *m = *victim;
        if (m == NULL) {
            return 0;
        }
        *victim = m->next;
        if (q->tail == m) {
            q->tail = victim == &q->head ? NULL : q->head;
        }
        q->bytes -= msg_cost(m->len);
        free(m);
        q->dropped++;
        (*dropped_now)++;
    }
    return 1;
}

/* Appends an SSE message; returns how many older ones it dropped (-1: it was dropped itself). */
static long queue_push(struct msg_queue *q, const char *kind, const char *json, size_t json_len)
{
    size_t len = strlen("event: ") + strlen(kind) + strlen("\ndata: ") + json_len + 2;
    uint64_t dropped = 0;
    struct web_msg *m = NULL;
    if (msg_cost(len) <= q->cap && make_room(q, msg_cost(len), &dropped)) {
        m = malloc(msg_cost(len) + 1);
    }
    if (m == NULL) {
        q->dropped++;
        return -1;
    }
    m->next = NULL;
    m->sent = 0;
    m->len = (size_t)snprintf(m->data, len + 1, "event: %s\ndata: %.*s\n\n", kind, (int)json_len, json);
    if (q->tail != NULL) {
        q->tail->next = m;
    } else {
        q->head = m;
    }
    q->tail = m;
    q->bytes += msg_cost(m->len);
    return (long)dropped;
}

static void sub_push(struct web_sub *sub, const char *kind, const char *json, size_t json_len)
{
    long dropped = queue_push(&sub->q, kind, json, json_len);
    uint64_t n = dropped < 0 ? 1u : (uint64_t)dropped;
    sub->unsaid += n;
    dropped_all += n;
}

/* To every subscriber but one whose own connection this is (exclude, or NULL). */
static void broadcast(const char *kind, const char *json, size_t json_len, const char *exclude)
{
    int queued = 0;
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS && sub_count > 0; i++) {
        if (subs[i].in_use && (exclude == NULL || strcmp(subs[i].remote, exclude) != 0)) {
            sub_push(&subs[i], kind, json, json_len);
            queued = 1;
        }
    }
    if (queued && notify != NULL) {
        notify();
    }
}

void web_publish(const char *kind, const char *json)
{
    broadcast(kind, json, strlen(json), NULL);
}

/* The remote end of the subscriber this segment belongs to, or NULL. */
static const char *subscriber_of(const char *local, const char *remote)
{
    const char *colon = strrchr(local, ':');
    if (colon == NULL || (unsigned)atoi(colon + 1) != own_port) {
        return NULL;
    }
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS; i++) {
        if (subs[i].in_use && strcmp(subs[i].remote, remote) == 0) {
            return subs[i].remote;
        }
    }
    return NULL;
}

int web_events_is_subscriber(const char *local, const char *remote)
{
    return subscriber_of(local, remote) != NULL;
}

/* Kept for later pages, and sent to the pages open now. */
static void publish_recorded(uint64_t serial, const char *conn, const char *kind, const struct jbuf *b,
                             const char *lwip_state)
{
    if (b->overflow) {
        return;
    }
    web_history_record(serial, conn, kind, b->p, b->len, lwip_state);
    broadcast(kind, b->p, b->len, NULL);
}

static void publish_segment(uint64_t serial, const char *conn, const struct conn_segment *g)
{
    char text[2048], flags[8];
    struct jbuf b;
    jb_init(&b, text, sizeof text);
    frame_format_tcp_flags(g->flags, flags, sizeof flags);
    jb_printf(&b, "{\"t\":%u", (unsigned)(sys_now() - start_ms));
    jb_printf(&b, ",\"c\":\"%s\"", conn);
    jb_printf(&b, ",\"tx\":%d,\"drop\":%d", g->tx ? 1 : 0, g->dropped ? 1 : 0);
    jb_field_str(&b, "flags", flags);
    jb_printf(&b, ",\"seq\":%u,\"ack\":%u,\"win\":%u,\"len\":%zu", (unsigned)g->seq, (unsigned)g->ack,
              (unsigned)g->window, g->len);
    jb_field_str(&b, "labels", g->label_text);
    jb_field_str(&b, "line", g->line);
    jb_field_str(&b, "why", g->why);
    jb_printf(&b, "}");
    publish_recorded(serial, conn, "seg", &b, NULL);
}

static void publish_state(uint64_t serial, const char *conn, const char *from, const char *to)
{
    char text[256];
    struct jbuf b;
    jb_init(&b, text, sizeof text);
    jb_printf(&b, "{\"t\":%u,\"c\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}", (unsigned)(sys_now() - start_ms),
              conn, from, to);
    publish_recorded(serial, conn, "state", &b, to);
}

static void publish_peer(uint64_t serial, const char *conn, const char *to, const char *why)
{
    char text[512];
    struct jbuf b;
    jb_init(&b, text, sizeof text);
    jb_printf(&b, "{\"t\":%u,\"c\":\"%s\",\"to\":\"%s\"", (unsigned)(sys_now() - start_ms), conn, to);
    jb_field_str(&b, "why", why != NULL ? why : "");
    jb_printf(&b, "}");
    publish_recorded(serial, conn, "peer", &b, NULL);
}

/* ---- the sources ---- */

/* One model of every connection (lwiptap/conn_events.h): the page draws
 * lwIP's states, the host's states the model inferred and the segments from
 * the same events as --diagram. */
static void on_conn_event(const struct conn_event *e, void *ctx)
{
    (void)ctx;
    if (e->kind == CONN_EVENT_CLOSED) {
        return;
    }
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN], conn[2 * ENDPOINT_STRLEN + 2];
    endpoint_format_raw(e->family, e->local, e->local_port, local, sizeof local);
    endpoint_format_raw(e->family, e->remote, e->remote_port, remote, sizeof remote);
    snprintf(conn, sizeof conn, "%s %s", local, remote);
    if (e->kind == CONN_EVENT_SEGMENT) {
        if (subscriber_of(local, remote) == NULL) {
            publish_segment(e->serial, conn, &e->u.seg);
        }
    } else if (e->kind == CONN_EVENT_LWIP_STATE) {
        publish_state(e->serial, conn, conn_state_name(e->u.state.from), conn_state_name(e->u.state.to));
    } else {
        publish_peer(e->serial, conn, conn_state_name(e->u.state.to), e->u.state.cause);
    }
}

/* From the start of --web, page or no page: a page opened later must see the
 * connections that came before it (web_history.h). */
void web_events_attach(uint16_t port)
{
    own_port = port;
    start_ms = sys_now();
    conn_events_subscribe(on_conn_event, NULL);
    conn_events_want_text(1);
}

void web_events_detach(void)
{
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS; i++) {
        if (subs[i].in_use) {
            web_sub_close(&subs[i]);
        }
    }
    conn_events_unsubscribe(on_conn_event, NULL);
    conn_events_want_text(0);
    web_history_clear();
}

/* ---- subscribers ---- */

struct web_sub *web_sub_open(const char *remote)
{
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS; i++) {
        struct web_sub *sub = &subs[i];
        if (!sub->in_use) {
            memset(sub, 0, sizeof *sub);
            sub->in_use = 1;
            sub->q.cap = WEB_SUB_QUEUE_BYTES;
            snprintf(sub->remote, sizeof sub->remote, "%s", remote);
            sub_count++;
            return sub;
        }
    }
    return NULL;
}

void web_sub_close(struct web_sub *sub)
{
    queue_clear(&sub->q);
    sub->in_use = 0;
    sub_count--;
}

void web_sub_queue(struct web_sub *sub, const char *kind, const char *json)
{
    sub_push(sub, kind, json, strlen(json));
}

static void replay_one(const char *kind, const char *json, size_t len, void *ctx)
{
    sub_push(ctx, kind, json, len);
}

void web_sub_replay(struct web_sub *sub)
{
    web_sub_queue(sub, "history", "{}");
    web_history_replay(replay_one, sub);
    web_sub_queue(sub, "live", "{}");
}

size_t web_sub_peek(struct web_sub *sub, const char **data)
{
    if (sub->gap_sent == sub->gap_len && sub->unsaid > 0 && (sub->q.head == NULL || sub->q.head->sent == 0)) {
        int n = snprintf(sub->gap, sizeof sub->gap, "event: gap\ndata: {\"dropped\":%llu,\"total\":%llu}\n\n",
                         (unsigned long long)sub->unsaid, (unsigned long long)sub->q.dropped);
        sub->gap_len = (size_t)n;
        sub->gap_sent = 0;
        sub->unsaid = 0;
    }
    if (sub->gap_sent < sub->gap_len) {
        *data = sub->gap + sub->gap_sent;
        return sub->gap_len - sub->gap_sent;
    }
    if (sub->q.head == NULL) {
        return 0;
    }
    *data = sub->q.head->data + sub->q.head->sent;
    return sub->q.head->len - sub->q.head->sent;
}

void web_sub_consume(struct web_sub *sub, size_t n)
{
    if (sub->gap_sent < sub->gap_len) {
        sub->gap_sent += n;
        return;
    }
    struct web_msg *m = sub->q.head;
    m->sent += n;
    if (m->sent == m->len) {
        pop_head(&sub->q);
    }
}

uint64_t web_sub_dropped(const struct web_sub *sub)
{
    return sub->q.dropped;
}

size_t web_sub_bytes(const struct web_sub *sub)
{
    return sub->q.bytes;
}

uint64_t web_events_dropped(void)
{
    return dropped_all;
}

int web_sub_count(void)
{
    return sub_count;
}
