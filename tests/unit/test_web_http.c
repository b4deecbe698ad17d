/* The --web request parser (every status it gives, byte by byte or at once,
 * where a head ends) and the subscribers' bounded queues (a subscriber that
 * never reads keeps its queue under WEB_SUB_QUEUE_BYTES, and learns how many
 * events it lost). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "suites.h"
#include "web_events.h"
#include "web_http.h"

static struct web_http_parser parser;

static int feed(const char *text)
{
    size_t used;
    web_http_init(&parser);
    return web_http_feed(&parser, text, strlen(text), &used);
}

START_TEST(routes_and_keep_alive)
{
    ck_assert_int_eq(feed("GET / HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n"), 200);
    ck_assert_int_eq(parser.route, WEB_ROUTE_PAGE);
    ck_assert_int_eq(parser.keep_alive, 1);
    ck_assert_int_eq(feed("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"), 200);
    ck_assert_int_eq(parser.route, WEB_ROUTE_EVENTS);
    ck_assert_int_eq(feed("GET /state?now=1 HTTP/1.1\r\nhost:x\r\nConnection: close\r\n\r\n"), 200);
    ck_assert_int_eq(parser.route, WEB_ROUTE_STATE);
    ck_assert_int_eq(parser.keep_alive, 0);
    /* HTTP/1.0: no Host needed, closes unless asked not to; a lone LF ends lines. */
    ck_assert_int_eq(feed("GET / HTTP/1.0\n\n"), 200);
    ck_assert_int_eq(parser.keep_alive, 0);
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 200);
    ck_assert_int_eq(parser.keep_alive, 1);
    ck_assert_int_eq(feed("\r\nGET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"), 200);
}
END_TEST

START_TEST(each_broken_rule_has_its_status)
{
    const struct {
        const char *request;
        int status;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", 400},                       /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400}, /* two */
        {"GET /\r\nHost: x\r\n\r\n", 400},                     /* no version */
        {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},           /* two spaces */
        {"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400},             /* no colon */
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},           /* space before colon */
        {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400}, /* obs-fold */
        {"GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400},      /* bare CR */
        {"GET / HTTP/1.1\r\nHost: x\x01\r\n\r\n", 400},        /* control byte */
        {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
        {"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400}, /* absolute form */
        {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},         /* not a token */
        {"GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 400},
        {"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404},
        {"GET /eventsx HTTP/1.1\r\nHost: x\r\n\r\n", 404},
        {"POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
        {"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 413},
        {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = feed(cases[i].request);
        ck_assert_msg(status == cases[i].status, "case %zu: %d, expected %d", i, status, cases[i].status);
        ck_assert_ptr_nonnull(parser.problem);
    }
}
END_TEST

START_TEST(a_head_over_4_kib_is_431_however_it_comes)
{
    static char big[WEB_HTTP_MAX_HEAD + 100];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    memset(big + n, 'a', sizeof big - (size_t)n - 1);
    big[sizeof big - 1] = '\0';
    size_t used;
    web_http_init(&parser);
    ck_assert_int_eq(web_http_feed(&parser, big, strlen(big), &used), 431);
    ck_assert_uint_eq(used, WEB_HTTP_MAX_HEAD);
    /* Exactly at the limit, and complete, is fine. */
    memcpy(big + WEB_HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
    web_http_init(&parser);
    ck_assert_int_eq(web_http_feed(&parser, big, WEB_HTTP_MAX_HEAD, &used), 200);
}
END_TEST

START_TEST(byte_by_byte_and_where_the_head_ends)
{
    const char *two = "GET /state HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n";
    size_t len = strlen(two), used = 0, at = 0;
    web_http_init(&parser);
    int status = 0;
    while (status == 0 && at < len) {
        status = web_http_feed(&parser, two + at, 1, &used);
        ck_assert_uint_eq(used, 1);
        at++;
    }
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(parser.route, WEB_ROUTE_STATE);
    ck_assert_uint_eq(at, strlen("GET /state HTTP/1.1\r\nHost: x\r\n\r\n"));
    /* At once: used stops at the end of the first head, the rest is the next request. */
    web_http_init(&parser);
    ck_assert_int_eq(web_http_feed(&parser, two, len, &used), 200);
    ck_assert_uint_eq(used, at);
    web_http_init(&parser);
    ck_assert_int_eq(web_http_feed(&parser, two + used, len - used, &used), 0);
}
END_TEST

/* ---- the subscribers' queues ---- */

static size_t drain(struct web_sub *sub, char *out, size_t cap)
{
    size_t got = 0;
    const char *data;
    size_t n;
    while ((n = web_sub_peek(sub, &data)) > 0) {
        size_t take = n < cap - got ? n : cap - got;
        memcpy(out + got, data, take);
        got += take;
        web_sub_consume(sub, n);
    }
    out[got < cap ? got : cap - 1] = '\0';
    return got;
}

START_TEST(a_subscriber_that_never_reads_stays_bounded_and_learns_the_gap)
{
    struct web_sub *sub = web_sub_open("192.0.2.1:50000");
    ck_assert_ptr_nonnull(sub);
    char json[200];
    const int events = 5000;
    for (int i = 0; i < events; i++) {
        snprintf(json, sizeof json, "{\"n\":%d,\"pad\":\"%080d\"}", i, 0);
        web_publish("test", json);
        ck_assert_uint_le(web_sub_bytes(sub), WEB_SUB_QUEUE_BYTES);
    }
    uint64_t dropped = web_sub_dropped(sub);
    ck_assert_uint_gt(dropped, 0);
    ck_assert_uint_lt(dropped, (uint64_t)events);
    static char out[WEB_SUB_QUEUE_BYTES + 1024];
    drain(sub, out, sizeof out);
    char gap[96];
    snprintf(gap, sizeof gap, "event: gap\ndata: {\"dropped\":%llu,\"total\":%llu}\n\n",
             (unsigned long long)dropped, (unsigned long long)dropped);
    ck_assert_msg(strncmp(out, gap, strlen(gap)) == 0, "the stream starts with %.80s", out);
    /* What is left is the newest events, in order, ending with the last. */
    snprintf(json, sizeof json, "event: test\ndata: {\"n\":%llu,", (unsigned long long)dropped);
    ck_assert_ptr_eq(strstr(out, json), out + strlen(gap));
    snprintf(json, sizeof json, "{\"n\":%d,", events - 1);
    ck_assert_ptr_nonnull(strstr(out, json));
    ck_assert_uint_eq(web_sub_bytes(sub), 0);
    web_sub_close(sub);
}
END_TEST

START_TEST(a_half_sent_event_is_never_dropped)
{
    struct web_sub *sub = web_sub_open("192.0.2.1:50001");
    web_publish("first", "{\"whole\":1}");
    const char *data;
    size_t n = web_sub_peek(sub, &data);
    ck_assert_uint_gt(n, 10);
    web_sub_consume(sub, 5); /* "event" went out */
    char json[1000];
    memset(json, 'x', sizeof json - 1);
    json[0] = '"';
    json[sizeof json - 2] = '"';
    json[sizeof json - 1] = '\0';
    for (int i = 0; i < 200; i++) {
        web_publish("filler", json);
    }
    n = web_sub_peek(sub, &data);
    ck_assert_uint_ge(n, strlen(": first\ndata: {\"whole\":1}\n\n"));
    ck_assert_mem_eq(data, ": first\ndata: {\"whole\":1}\n\n", strlen(": first\ndata: {\"whole\":1}\n\n"));
    web_sub_consume(sub, n);
    ck_assert_uint_eq(web_sub_peek(sub, &data) > 0, 1);
    ck_assert_mem_eq(data, "event: gap\n", strlen("event: gap\n"));
    web_sub_close(sub);
}
END_TEST

START_TEST(at_most_8_subscribers)
{
    struct web_sub *subs[WEB_MAX_SUBSCRIBERS];
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS; i++) {
        char remote[32];
        snprintf(remote, sizeof remote, "192.0.2.1:%d", 50000 + i);
        subs[i] = web_sub_open(remote);
        ck_assert_ptr_nonnull(subs[i]);
    }
    ck_assert_ptr_null(web_sub_open("192.0.2.1:60000"));
    ck_assert_int_eq(web_sub_count(), WEB_MAX_SUBSCRIBERS);
    web_sub_close(subs[3]);
    ck_assert_ptr_nonnull(subs[3] = web_sub_open("192.0.2.1:60000"));
    for (int i = 0; i < WEB_MAX_SUBSCRIBERS; i++) {
        web_sub_close(subs[i]);
    }
    ck_assert_int_eq(web_sub_count(), 0);
}
END_TEST

Suite *web_http_suite(void)
{
    Suite *s = suite_create("web_http");
    fixture_add_test(s, routes_and_keep_alive);
    fixture_add_test(s, each_broken_rule_has_its_status);
    fixture_add_test(s, a_head_over_4_kib_is_431_however_it_comes);
    fixture_add_test(s, byte_by_byte_and_where_the_head_ends);
    fixture_add_test(s, a_subscriber_that_never_reads_stays_bounded_and_learns_the_gap);
    fixture_add_test(s, a_half_sent_event_is_never_dropped);
    fixture_add_test(s, at_most_8_subscribers);
    return s;
}
