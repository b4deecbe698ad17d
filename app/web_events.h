/* What the --web page hears, behind one small interface: from web_events_attach
 * on, the connection model's events (lwiptap/conn_events.h) are kept in a
 * bounded history (web_history.h) and published; each subscriber (an open
 * GET /events) has a bounded queue of Server-Sent Events that the web service
 * drains into its TCP connection.
 *
 * Every event is one SSE message, "event: KIND\ndata: JSON\n\n":
 *   seg    a TCP segment: {"t":ms since attach (lwIP's clock),"c":"LOCAL REMOTE","tx":0|1,"drop":0|1,
 *          "flags":"S.","seq":N,"ack":N,"win":N,"len":N,"labels":"...",
 *          "line":"the --trace line","why":"the --explain sentence"}
 *   state  lwIP's pcb changed state: {"t":ms,"c":"LOCAL REMOTE","from":"LISTEN","to":"SYN_RCVD"}
 *   peer   the host's state, as the model inferred it: {"t":ms,"c":"...","to":"SYN_SENT","why":"..."}
 *   conns  every connection's row (web_snapshot.h), once a second and on subscribe
 *   counters guard drops, fault decisions, memory (web_snapshot.h)
 *   gap    {"dropped":N,"total":T}: this subscriber's queue overflowed and its
 *          N oldest unsent events were dropped (T since it subscribed)
 *   history / live  bracket the recent events replayed to a new subscriber
 *   unseen {"c":"LOCAL REMOTE","events":N}: in the replay, before the first kept
 *          event of a connection whose N first events were not kept
 *
 * Bounds: at most WEB_MAX_SUBSCRIBERS subscribers, each queue at most
 * WEB_SUB_QUEUE_BYTES (messages and their bookkeeping); when an event does not
 * fit, the oldest events not yet begun are dropped and counted.
 *
 * No feedback: the segments of a subscriber's own connection are not
 * published (each event sent on it would make a segment, which would be an
 * event...); its row, counts and state changes still are. */
#ifndef LWIPTAP_WEB_EVENTS_H
#define LWIPTAP_WEB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define WEB_MAX_SUBSCRIBERS 8
#define WEB_SUB_QUEUE_BYTES ((size_t)128 * 1024)
/* An event of any other kind to every subscriber (json is the data line). */
void web_publish(const char *kind, const char *json);

/* own_port is the web service's, whose subscribers are excluded as said
 * above. From attach to detach the events are subscribed to the connection
 * model, with their --trace lines and --explain sentences, and kept. */
void web_events_attach(uint16_t own_port);
/* Whether the connection is a subscriber's own, whose segments are not published. */
int web_events_is_subscriber(const char *local, const char *remote);
void web_events_detach(void);

/* ---- the subscribers' side, for the web service ---- */

struct web_sub;

/* NULL when WEB_MAX_SUBSCRIBERS are subscribed. remote is the subscriber's
 * endpoint (its segments are not published). */
struct web_sub *web_sub_open(const char *remote);
void web_sub_close(struct web_sub *sub);
/* Queues one event for this subscriber only (its snapshot). */
void web_sub_queue(struct web_sub *sub, const char *kind, const char *json);
/* Queues the kept events (web_history.h), between "history" and "live". */
void web_sub_replay(struct web_sub *sub);
/* The next bytes to send: their length (0: nothing queued) and *data. */
size_t web_sub_peek(struct web_sub *sub, const char **data);
void web_sub_consume(struct web_sub *sub, size_t n);
uint64_t web_sub_dropped(const struct web_sub *sub);
/* Bytes this subscriber's queue holds now. */
size_t web_sub_bytes(const struct web_sub *sub);
int web_sub_count(void);
/* Events dropped so far, over every subscriber. */
uint64_t web_events_dropped(void);

/* Called whenever an event was queued for some subscriber. It may be called
 * from inside lwIP's output path (a segment being sent), so it must only
 * schedule the flush, never call into lwIP's TCP. */
void web_events_set_notify(void (*fn)(void));

#endif
