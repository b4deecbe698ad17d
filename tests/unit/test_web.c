/* The --web service on lwIP: the page and /state with keep-alive, an error
 * status closes, a slowloris gets 408 after WEB_HEADER_TIMEOUT_S, /events
 * sends the snapshot first and then the segments and state changes of another
 * connection as they happen, but never its own segments; a page opened after
 * a connection closed gets its events and its end (or is told its start was
 * not kept); a 9th subscriber gets 503. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "peer.h"
#include "suites.h"
#include "tcp_statelog.h"
#include "web_events.h"
#include "web_history.h"
#include "web_page.h"
#include "web_service.h"

#define WEB_PORT 80
#define STREAM_CAP ((size_t)256 * 1024)

static struct web_service *web;

static void start_web(void)
{
    err_t err;
    web = web_service_start(WEB_PORT, tcp_statelog_probe, &err);
    ck_assert_ptr_nonnull(web);
}

static void stop_web(void)
{
    web_service_stop(web);
    web = NULL;
}

static void web_peer(struct peer *p, uint16_t port)
{
    peer_init(p, port, WEB_PORT, 7000u + port);
    p->stream = calloc(1, STREAM_CAP + 1);
    p->stream_cap = STREAM_CAP;
    peer_connect(p);
}

/* Reads and acknowledges what lwIP sends until it stops; 1 if a FIN came. */
static int read_all(struct peer *p)
{
    struct segment s;
    int fin = 0;
    uint32_t acked = p->rcv_nxt;
    for (int rounds = 0; rounds < 1000; rounds++) {
        int got = 0;
        while (peer_recv(p, &s)) {
            got = 1;
            fin |= (s.flags & TCPF_FIN) != 0;
        }
        if (!peer_ack_new_data(p, &acked) && !got) {
            break;
        }
    }
    if (fin) {
        peer_send(p, TCPF_ACK, NULL, 0);
    }
    p->stream[p->stream_len] = '\0';
    return fin;
}

static void request(struct peer *p, const char *text)
{
    peer_send(p, TCPF_ACK | TCPF_PSH, text, strlen(text));
}

START_TEST(serves_the_page_and_keeps_the_connection)
{
    start_web();
    struct peer p;
    web_peer(&p, 41000);
    request(&p, "GET / HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n");
    ck_assert_int_eq(read_all(&p), 0);
    char head[160];
    snprintf(head, sizeof head, "Content-Length: %zu\r\n", web_page_html_len);
    ck_assert_msg(strncmp((char *)p.stream, "HTTP/1.1 200 OK\r\n", 17) == 0, "got %.40s", p.stream);
    ck_assert_ptr_nonnull(strstr((char *)p.stream, head));
    ck_assert_ptr_nonnull(strstr((char *)p.stream, "Connection: keep-alive\r\n"));
    const char *body = strstr((char *)p.stream, "\r\n\r\n") + 4;
    ck_assert_uint_eq(p.stream_len - (size_t)(body - (char *)p.stream), web_page_html_len);
    ck_assert_mem_eq(body, web_page_html, web_page_html_len);
    /* The same connection takes the next request; "close" ends it after the answer. */
    p.stream_len = 0;
    request(&p, "GET /state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(read_all(&p), 1);
    ck_assert_ptr_nonnull(strstr((char *)p.stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json"));
    ck_assert_ptr_nonnull(strstr((char *)p.stream, "\"c\":\"*:80 *\",\"state\":\"LISTEN\""));
    ck_assert_ptr_nonnull(
        strstr((char *)p.stream, "\"c\":\"192.0.2.2:80 192.0.2.1:41000\",\"state\":\"ESTABLISHED\""));
    free(p.stream);
    stop_web();
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
    start_web();
    struct peer p;
    web_peer(&p, 41004);
    request(&p, "GET /state HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(read_all(&p), 1);
    const char *first = strstr((char *)p.stream, "HTTP/1.1 200 OK\r\n");
    const char *second = strstr((char *)p.stream, "HTTP/1.1 404 Not Found\r\n");
    ck_assert_ptr_eq(first, (char *)p.stream);
    ck_assert_ptr_nonnull(second);
    ck_assert_ptr_nonnull(strstr(second, "404 Not Found: there is /, /events and /state, nothing else\n"));
    free(p.stream);
    stop_web();
}
END_TEST

START_TEST(an_error_status_closes_the_connection)
{
    start_web();
    struct peer p;
    web_peer(&p, 41001);
    request(&p, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(read_all(&p), 1);
    ck_assert_msg(strncmp((char *)p.stream, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0, "got %.60s",
                  p.stream);
    ck_assert_ptr_nonnull(strstr((char *)p.stream, "Allow: GET\r\n"));
    ck_assert_ptr_nonnull(strstr((char *)p.stream, "Connection: close\r\n"));
    ck_assert_ptr_null(strstr((char *)p.stream, "200 OK")); /* the pipelined GET is not answered */
    free(p.stream);
    stop_web();
}
END_TEST

START_TEST(a_slowloris_gets_408)
{
    start_web();
    struct peer p;
    web_peer(&p, 41002);
    const char *trickle = "GET / HTTP/1.1\r\nHost: x\r\nX-a: b\r\n";
    for (int second = 0; second < WEB_HEADER_TIMEOUT_S - 1; second++) {
        request(&p, trickle);
        fake_clock_advance(1000);
        ck_assert_int_eq(read_all(&p), 0);
        ck_assert_uint_eq(p.stream_len, 0);
    }
    fake_clock_advance(2000);
    ck_assert_int_eq(read_all(&p), 1);
    ck_assert_msg(strncmp((char *)p.stream, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0, "got %.60s",
                  p.stream);
    free(p.stream);
    stop_web();
}
END_TEST

START_TEST(events_snapshot_first_then_another_connection_live)
{
    start_web();
    struct peer sub;
    web_peer(&sub, 41003);
    request(&sub, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    fake_clock_advance(WEB_FLUSH_DELAY_MS);
    read_all(&sub);
    const char *s = (const char *)sub.stream;
    ck_assert_msg(strncmp(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", 50) == 0, "got %.60s",
                  s);
    const char *first = strstr(s, "\r\n\r\n") + 4;
    ck_assert_msg(strncmp(first, "event: conns\ndata: {\"rows\":[", 28) == 0, "first event %.60s", first);
    ck_assert_ptr_nonnull(
        strstr(first, "\"c\":\"192.0.2.2:80 192.0.2.1:41003\",\"state\":\"ESTABLISHED\",\"sub\":1"));
    ck_assert_ptr_nonnull(strstr(first, "event: live\n"));
    size_t before = sub.stream_len;

    /* An echo connection: its handshake, data and states reach the subscriber. */
    struct peer echo;
    peer_init(&echo, 42000, ECHO_PORT, 9000);
    peer_connect(&echo);
    peer_send(&echo, TCPF_ACK | TCPF_PSH, "hi", 2);
    struct segment seg;
    while (peer_recv(&echo, &seg)) {
    }
    fake_clock_advance(WEB_FLUSH_DELAY_MS);
    read_all(&sub);
    s = (const char *)sub.stream + before;
    const char *syn = strstr(s, "event: seg\ndata: {\"t\":");
    ck_assert_ptr_nonnull(syn);
    ck_assert_ptr_nonnull(
        strstr(s, "\"c\":\"192.0.2.2:7 192.0.2.1:42000\",\"tx\":0,\"drop\":0,\"flags\":\"S\",\"seq\":0"));
    ck_assert_ptr_nonnull(strstr(s, "\"flags\":\"S.\",\"seq\":0,\"ack\":1"));
    ck_assert_ptr_nonnull(
        strstr(s, "\"c\":\"192.0.2.2:7 192.0.2.1:42000\",\"from\":\"LISTEN\",\"to\":\"SYN_RCVD\""));
    ck_assert_ptr_nonnull(strstr(s, "\"from\":\"SYN_RCVD\",\"to\":\"ESTABLISHED\""));
    ck_assert_ptr_nonnull(strstr(s, "\"flags\":\"P.\",\"seq\":1,\"ack\":1,\"win\":"));
    ck_assert_ptr_nonnull(strstr(s, "\"why\":\"SYN: the host asks to open a connection."));
    /* Never a segment of the subscriber's own connection, though it carried all this. */
    ck_assert_ptr_null(strstr(s, "\"c\":\"192.0.2.2:80 192.0.2.1:41003\",\"tx\""));

    /* Once a second: every row, with the timeline's counts. */
    before = sub.stream_len;
    fake_clock_advance(WEB_TICK_MS + WEB_FLUSH_DELAY_MS);
    read_all(&sub);
    s = (const char *)sub.stream + before;
    ck_assert_ptr_nonnull(strstr(s, "event: conns\n"));
    ck_assert_ptr_nonnull(strstr(
        s, "\"c\":\"192.0.2.2:7 192.0.2.1:42000\",\"state\":\"ESTABLISHED\",\"sent\":{\"seg\":2,\"bytes\":2,"
           "\"rtx\":0},\"recv\":{\"seg\":3,\"bytes\":2,\"rtx\":0}"));
    ck_assert_ptr_nonnull(strstr(s, "event: counters\ndata: {\"guard\":{"));
    free(sub.stream);
    stop_web();
}
END_TEST

/* An echo session from handshake to CLOSED, with lines of data. */
static void echo_session(uint16_t port, int lines)
{
    struct peer echo;
    struct segment seg;
    peer_init(&echo, port, ECHO_PORT, 9000);
    peer_connect(&echo);
    for (int i = 0; i < lines; i++) {
        peer_send(&echo, TCPF_ACK | TCPF_PSH, "hi", 2);
        while (peer_recv(&echo, &seg)) {
        }
    }
    peer_send(&echo, TCPF_ACK | TCPF_FIN, NULL, 0);
    int fin = 0;
    while (peer_recv(&echo, &seg)) {
        fin |= (seg.flags & TCPF_FIN) != 0;
    }
    ck_assert_msg(fin, "lwIP did not close the echo connection");
    peer_send(&echo, TCPF_ACK, NULL, 0);
}

/* What a subscriber gets up to its "live" event. */
static const char *subscribe(struct peer *sub, uint16_t port)
{
    web_peer(sub, port);
    request(sub, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    fake_clock_advance(WEB_FLUSH_DELAY_MS);
    read_all(sub);
    const char *s = (const char *)sub->stream;
    ck_assert_ptr_nonnull(strstr(s, "event: live\n"));
    return s;
}

START_TEST(a_page_opened_later_sees_a_connection_that_closed_before)
{
    start_web();
    echo_session(42100, 1); /* no page is open */
    struct peer sub;
    const char *s = subscribe(&sub, 41010);
    const char *history = strstr(s, "event: history\n");
    ck_assert_ptr_nonnull(history);
    /* The snapshot, before the history: gone, and said to be closed. */
    ck_assert_ptr_nonnull(strstr(s, "\"closed\":[\"192.0.2.2:7 192.0.2.1:42100\"]"));
    ck_assert_ptr_null(strstr(s, "\"c\":\"192.0.2.2:7 192.0.2.1:42100\",\"state\""));
    /* Its ladder, from the SYN on, and its states to the last. */
    ck_assert_ptr_nonnull(strstr(
        history, "\"c\":\"192.0.2.2:7 192.0.2.1:42100\",\"tx\":0,\"drop\":0,\"flags\":\"S\",\"seq\":0"));
    ck_assert_ptr_nonnull(strstr(history, "\"why\":\"SYN: the host asks to open a connection."));
    ck_assert_ptr_nonnull(strstr(history, "\"flags\":\"P.\",\"seq\":1,\"ack\":1,\"win\":"));
    const char *first =
        strstr(history, "\"c\":\"192.0.2.2:7 192.0.2.1:42100\",\"from\":\"LISTEN\",\"to\":\"SYN_RCVD\"");
    const char *last =
        strstr(history, "\"c\":\"192.0.2.2:7 192.0.2.1:42100\",\"from\":\"LAST_ACK\",\"to\":\"CLOSED\"");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(last);
    ck_assert(first < last);
    ck_assert_ptr_null(strstr(s, "event: unseen\n")); /* all of it was kept */
    /* GET /state says the same. */
    struct peer st;
    web_peer(&st, 41011);
    request(&st, "GET /state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    read_all(&st);
    ck_assert_ptr_nonnull(strstr((char *)st.stream, "\"closed\":[\"192.0.2.2:7 192.0.2.1:42100\"]"));
    free(st.stream);
    free(sub.stream);
    stop_web();
}
END_TEST

START_TEST(a_page_opened_later_is_told_the_start_was_not_kept)
{
    start_web();
    echo_session(42200, WEB_HISTORY_EVENTS); /* more events than one connection keeps */
    struct peer sub;
    const char *s = subscribe(&sub, 41012);
    const char *mark = strstr(s, "event: unseen\ndata: {\"c\":\"192.0.2.2:7 192.0.2.1:42200\",\"events\":");
    ck_assert_ptr_nonnull(mark);
    ck_assert_ptr_nonnull(strstr(s, "event: history\n"));
    ck_assert(strstr(s, "event: history\n") < mark);
    /* Its last events are kept, its SYN is not, and the mark comes before them. */
    const char *closed =
        strstr(s, "\"c\":\"192.0.2.2:7 192.0.2.1:42200\",\"from\":\"LAST_ACK\",\"to\":\"CLOSED\"");
    ck_assert_ptr_nonnull(closed);
    ck_assert(mark < closed);
    ck_assert_ptr_null(
        strstr(s, "\"c\":\"192.0.2.2:7 192.0.2.1:42200\",\"tx\":0,\"drop\":0,\"flags\":\"S\""));
    free(sub.stream);
    stop_web();
}
END_TEST

START_TEST(a_ninth_subscriber_gets_503)
{
    start_web();
    struct peer subs[WEB_MAX_SUBSCRIBERS + 1];
    for (int i = 0; i <= WEB_MAX_SUBSCRIBERS; i++) {
        web_peer(&subs[i], (uint16_t)(43000 + i));
        request(&subs[i], "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        int fin = read_all(&subs[i]);
        const char *want =
            i < WEB_MAX_SUBSCRIBERS ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
        ck_assert_msg(strncmp((char *)subs[i].stream, want, strlen(want)) == 0, "subscriber %d: %.40s", i,
                      subs[i].stream);
        ck_assert_int_eq(fin, i == WEB_MAX_SUBSCRIBERS);
    }
    ck_assert_int_eq(web_sub_count(), WEB_MAX_SUBSCRIBERS);
    for (int i = 0; i <= WEB_MAX_SUBSCRIBERS; i++) {
        free(subs[i].stream);
    }
    stop_web();
    ck_assert_int_eq(web_sub_count(), 0);
}
END_TEST

Suite *web_suite(void)
{
    Suite *s = suite_create("web");
    fixture_add_test(s, serves_the_page_and_keeps_the_connection);
    fixture_add_test(s, pipelined_requests_are_answered_in_order);
    fixture_add_test(s, an_error_status_closes_the_connection);
    fixture_add_test(s, a_slowloris_gets_408);
    fixture_add_test(s, events_snapshot_first_then_another_connection_live);
    fixture_add_test(s, a_page_opened_later_sees_a_connection_that_closed_before);
    fixture_add_test(s, a_page_opened_later_is_told_the_start_was_not_kept);
    fixture_add_test(s, a_ninth_subscriber_gets_503);
    return s;
}
