#include "web_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    uint64_t order; /* over every connection: the replay keeps the timeline's order */
    size_t len;
    char kind[WEB_HISTORY_KIND_LEN + 1];
    char json[];
};

struct slot {
    uint64_t serial; /* 0: free */
    uint64_t last;   /* order of its latest event: the least recent slot goes first */
    char conn[2 * ENDPOINT_STRLEN + 2];
    char lwip_state[16];
    struct rec *ring[WEB_HISTORY_EVENTS];
    unsigned head, count;
    size_t bytes;
    uint64_t lost; /* its first events, not kept */
};

static struct slot slots[WEB_HISTORY_CONNS];
static struct slot *recent; /* the slot last recorded into: most events go there */
static uint64_t orders;
static size_t total_bytes;
static int used;

_Static_assert(sizeof(struct rec) + 1 <= WEB_HISTORY_EVENT_OVERHEAD,
               "an event costs more than it is counted");
_Static_assert(WEB_HISTORY_CONN_BYTES <= WEB_HISTORY_BYTES, "one connection must fit in the total");

static size_t rec_cost(const struct rec *r)
{
    return r->len + WEB_HISTORY_EVENT_OVERHEAD;
}

static void drop_oldest(struct slot *s)
{
    struct rec *r = s->ring[s->head];
    s->ring[s->head] = NULL;
    s->head = (s->head + 1) % WEB_HISTORY_EVENTS;
    s->count--;
    s->bytes -= rec_cost(r);
    total_bytes -= rec_cost(r);
    s->lost++;
    free(r);
}

static void slot_free(struct slot *s)
{
    while (s->count > 0) {
        drop_oldest(s);
    }
    memset(s, 0, sizeof *s);
    used--;
    if (recent == s) {
        recent = NULL;
    }
}

/* The slot of serial, or a new one: a free slot, else the least recent one's. */
static struct slot *slot_of(uint64_t serial, const char *conn)
{
    if (recent != NULL && recent->serial == serial) {
        return recent;
    }
    struct slot *oldest = NULL, *free_slot = NULL;
    for (int i = 0; i < WEB_HISTORY_CONNS; i++) {
        struct slot *s = &slots[i];
        if (s->serial == serial) {
            return s;
        }
        if (s->serial == 0) {
            free_slot = free_slot != NULL ? free_slot : s;
        } else if (oldest == NULL || s->last < oldest->last) {
            oldest = s;
        }
    }
    struct slot *s = free_slot;
    if (s == NULL) {
        slot_free(oldest);
        s = oldest;
    }
    s->serial = serial;
    snprintf(s->conn, sizeof s->conn, "%s", conn);
    used++;
    return s;
}

/* Over the total: the least recent connections other than keep go whole. */
static void fit_total(const struct slot *keep)
{
    while (total_bytes > WEB_HISTORY_BYTES) {
        struct slot *oldest = NULL;
        for (int i = 0; i < WEB_HISTORY_CONNS; i++) {
            struct slot *s = &slots[i];
            if (s->serial != 0 && s != keep && (oldest == NULL || s->last < oldest->last)) {
                oldest = s;
            }
        }
        if (oldest == NULL) {
            return; /* keep alone is within WEB_HISTORY_CONN_BYTES < WEB_HISTORY_BYTES */
        }
        slot_free(oldest);
    }
}

void web_history_record(uint64_t serial, const char *conn, const char *kind, const char *json, size_t len,
                        const char *lwip_state)
{
    struct rec *r = malloc(sizeof *r + len + 1);
    if (r == NULL) {
        return;
    }
    struct slot *s = slot_of(serial, conn);
    r->order = ++orders;
    r->len = len;
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    memcpy(r->json, json, len);
    r->json[len] = '\0';
    while (s->count > 0 &&
           (s->count == WEB_HISTORY_EVENTS || s->bytes + rec_cost(r) > WEB_HISTORY_CONN_BYTES)) {
        drop_oldest(s);
    }
    s->ring[(s->head + s->count) % WEB_HISTORY_EVENTS] = r;
    s->count++;
    s->bytes += rec_cost(r);
    total_bytes += rec_cost(r);
    s->last = r->order;
    if (lwip_state != NULL) {
        snprintf(s->lwip_state, sizeof s->lwip_state, "%s", lwip_state);
    }
    recent = s;
    fit_total(s);
}

void web_history_replay(web_history_fn fn, void *ctx)
{
    unsigned next[WEB_HISTORY_CONNS] = {0};
    for (;;) {
        int pick = -1;
        uint64_t best = 0;
        for (int i = 0; i < WEB_HISTORY_CONNS; i++) {
            const struct slot *s = &slots[i];
            if (s->serial != 0 && next[i] < s->count) {
                uint64_t o = s->ring[(s->head + next[i]) % WEB_HISTORY_EVENTS]->order;
                if (pick < 0 || o < best) {
                    pick = i;
                    best = o;
                }
            }
        }
        if (pick < 0) {
            return;
        }
        const struct slot *s = &slots[pick];
        if (next[pick] == 0 && s->lost > 0) {
            char unseen[WEB_HISTORY_UNSEEN_MAX];
            int n = snprintf(unseen, sizeof unseen, "{\"c\":\"%s\",\"events\":%llu}", s->conn,
                             (unsigned long long)s->lost);
            fn("unseen", unseen, (size_t)n, ctx);
        }
        const struct rec *r = s->ring[(s->head + next[pick]) % WEB_HISTORY_EVENTS];
        next[pick]++;
        fn(r->kind, r->json, r->len, ctx);
    }
}

void web_history_closed(web_history_conn_fn fn, void *ctx)
{
    for (int i = 0; i < WEB_HISTORY_CONNS; i++) {
        if (slots[i].serial != 0 && strcmp(slots[i].lwip_state, "CLOSED") == 0) {
            fn(slots[i].conn, ctx);
        }
    }
}

size_t web_history_bytes(void)
{
    return total_bytes;
}

int web_history_conns(void)
{
    return used;
}

void web_history_clear(void)
{
    for (int i = 0; i < WEB_HISTORY_CONNS; i++) {
        if (slots[i].serial != 0) {
            slot_free(&slots[i]);
        }
    }
    orders = 0;
}
