/* --web [PORT]: lwIP serves a page about itself, on lwIP's raw TCP API.
 *   GET /        the page (app/web/, embedded at build time)
 *   GET /state   a JSON snapshot: every connection's row and the counters
 *   GET /events  Server-Sent Events (web_events.h): snapshot, recent history, then live
 * Requests are parsed by web_http.h. Keep-alive: / and /state answer and wait
 * for the next request on the same connection (HTTP/1.1 unless "Connection:
 * close"; HTTP/1.0 only with "Connection: keep-alive"); an error status always
 * closes, since the rest of the stream cannot be trusted. A connection has
 * WEB_HEADER_TIMEOUT_S to send a complete request head (counted from accept,
 * or from the end of the previous response), else it gets 408 and is closed:
 * a slowloris cannot hold a connection. At most WEB_MAX_CONNS connections:
 * beyond, a connection gets 503 at once and is closed; at most
 * WEB_MAX_SUBSCRIBERS of them on /events, beyond that /events answers 503. */
#ifndef LWIPTAP_WEB_SERVICE_H
#define LWIPTAP_WEB_SERVICE_H

#include <stdint.h>

#include "lwip/err.h"
#include "stream_service.h"

#define WEB_DEFAULT_PORT 80
#define WEB_HEADER_TIMEOUT_S 10
#define WEB_MAX_CONNS 32
/* Events are written out this long after the first is queued, in one batch. */
#define WEB_FLUSH_DELAY_MS 5
#define WEB_TICK_MS 1000

struct web_service;

/* Listens on port (IPv4 and IPv6) and hooks the events to the timeline and the
 * state log; probe is the state log's (stream_service.h). NULL with *err set. */
struct web_service *web_service_start(uint16_t port, stream_probe_fn probe, err_t *err);
void web_service_stop(struct web_service *svc);

struct web_service_stats {
    uint32_t accepted;
    uint32_t responses[6]; /* by status class, responses[2] = 2xx ... */
};
const struct web_service_stats *web_service_stats(const struct web_service *svc);

#endif
