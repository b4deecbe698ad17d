/* The request side of lwip-tap's HTTP/1.1 service (--web): a strict, bounded
 * parser for the request head (request line and header fields, RFC 9112),
 * fed the bytes of a connection as they arrive. It never allocates: the head
 * is at most WEB_HTTP_MAX_HEAD bytes, and a request that breaks a rule gets
 * the status that names the rule:
 *   400 malformed (request line, header field, obs-fold, control bytes,
 *       HTTP/1.1 without exactly one Host, Transfer-Encoding);
 *   404 a path the service does not have (only /, /events and /state);
 *   405 any method but GET;
 *   413 a request with a body (Content-Length above 0): the service is read-only;
 *   431 a head longer than WEB_HTTP_MAX_HEAD;
 *   505 an HTTP version other than 1.0 and 1.1.
 * A lone LF ends a line as CRLF does (RFC 9112 2.2 allows it; nc users type it). */
#ifndef LWIPTAP_WEB_HTTP_H
#define LWIPTAP_WEB_HTTP_H

#include <stddef.h>

#define WEB_HTTP_MAX_HEAD 4096

enum web_route { WEB_ROUTE_PAGE, WEB_ROUTE_EVENTS, WEB_ROUTE_STATE };

struct web_http_parser {
    char head[WEB_HTTP_MAX_HEAD];
    size_t len;          /* bytes of head held so far */
    int status;          /* 0 until the head is complete or broken */
    const char *problem; /* with an error status: what was wrong, for the response body */
    enum web_route route;
    int keep_alive; /* HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive" */
};

void web_http_init(struct web_http_parser *p);

/* Takes bytes of the connection; *used says how many belong to this request's
 * head (the rest start the next request, or are to be ignored). Returns 0 while
 * the head is incomplete, 200 when it is complete and acceptable (route and
 * keep_alive filled in), or the error status (problem filled in). Once it
 * returned non-zero, the parser must be re-initialised before it takes more. */
int web_http_feed(struct web_http_parser *p, const char *data, size_t len, size_t *used);

/* "OK", "Bad Request", ... */
const char *web_http_reason(int status);

#endif
