/* What a page opened late still gets: a small, bounded history of the
 * connection model's events, per connection, recorded from the moment --web
 * starts (whether or not a page is open), replayed to each new subscriber
 * before its live events. Without --web nothing of it exists.
 *
 * Bounds: the WEB_HISTORY_CONNS connections most recently heard from; of each,
 * its last WEB_HISTORY_EVENTS events and at most WEB_HISTORY_CONN_BYTES; in
 * all at most WEB_HISTORY_BYTES. A connection that loses its first events to
 * these bounds is replayed after an "unseen" event that says how many were
 * not kept (the page marks its ladder "(start not seen)"); one that loses
 * them all (the least recently heard from, when the total is over) is
 * forgotten whole. Each event costs O(1): a look among at most
 * WEB_HISTORY_CONNS slots, one allocation, and as many frees as the bounds
 * ask for. */
#ifndef LWIPTAP_WEB_HISTORY_H
#define LWIPTAP_WEB_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define WEB_HISTORY_CONNS 16
#define WEB_HISTORY_EVENTS 64
#define WEB_HISTORY_CONN_BYTES ((size_t)16 * 1024)
/* With a snapshot (WEB_SNAPSHOT_MAX) it fits in one subscriber's queue
 * (WEB_SUB_QUEUE_BYTES), so that a replay never overflows it (web_events.c
 * checks it at compile time). */
#define WEB_HISTORY_BYTES ((size_t)80 * 1024)
/* Each event counts as its JSON and this much: no less than its bookkeeping
 * here or in a subscriber's queue (both checked at compile time), so that
 * the bounds hold for both. */
#define WEB_HISTORY_EVENT_OVERHEAD 64
/* The longest kind an event has ("state"), and the longest "unseen" event's JSON. */
#define WEB_HISTORY_KIND_LEN 11
#define WEB_HISTORY_UNSEEN_MAX (2 * ENDPOINT_STRLEN + 64)

/* One event of the connection numbered serial (the model's), named conn
 * ("LOCAL REMOTE"): kind and json as the SSE message carries them.
 * lwip_state is lwIP's new state for a "state" event, else NULL. */
void web_history_record(uint64_t serial, const char *conn, const char *kind, const char *json, size_t len,
                        const char *lwip_state);

/* Called for each event in the order they were recorded, with an "unseen"
 * event ({"c":"LOCAL REMOTE","events":N}) before the first kept event of a
 * connection whose N first events were not kept. */
typedef void (*web_history_fn)(const char *kind, const char *json, size_t len, void *ctx);
void web_history_replay(web_history_fn fn, void *ctx);

/* Each kept connection whose lwIP state went to CLOSED: fn(conn). */
typedef void (*web_history_conn_fn)(const char *conn, void *ctx);
void web_history_closed(web_history_conn_fn fn, void *ctx);

/* The bytes held, as counted (WEB_HISTORY_EVENT_OVERHEAD), and how many connections. */
size_t web_history_bytes(void);
int web_history_conns(void);
void web_history_clear(void);

#endif
