/* The --web history (web_history.h): per connection its last events, in the
 * order they were recorded over every connection, within its bounds; an
 * "unseen" mark before a connection whose first events were not kept; the
 * least recently heard from connection forgotten first; the closed ones
 * listed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "suites.h"
#include "web_history.h"

struct replayed {
    char kind[WEB_HISTORY_CONNS * WEB_HISTORY_EVENTS * 2][16];
    char json[WEB_HISTORY_CONNS * WEB_HISTORY_EVENTS * 2][128];
    int n;
};

static struct replayed got;

static void collect(const char *kind, const char *json, size_t len, void *ctx)
{
    struct replayed *r = ctx;
    ck_assert_int_lt(r->n, (int)(sizeof r->kind / sizeof r->kind[0]));
    snprintf(r->kind[r->n], sizeof r->kind[0], "%s", kind);
    snprintf(r->json[r->n], sizeof r->json[0], "%.*s", (int)len, json);
    r->n++;
}

static void replay(void)
{
    memset(&got, 0, sizeof got);
    web_history_replay(collect, &got);
}

static void record(uint64_t serial, int i, const char *state)
{
    char conn[64], json[96];
    snprintf(conn, sizeof conn, "192.0.2.2:7 192.0.2.1:%u", (unsigned)(40000 + serial));
    int n = snprintf(json, sizeof json, "{\"c\":\"%s\",\"i\":%d}", conn, i);
    web_history_record(serial, conn, state != NULL ? "state" : "seg", json, (size_t)n, state);
}

START_TEST(keeps_every_event_in_order_over_connections)
{
    /* Interleaved, as a timeline of two connections is. */
    record(1, 0, "SYN_RCVD");
    record(2, 1, NULL);
    record(1, 2, NULL);
    record(2, 3, "SYN_RCVD");
    record(1, 4, NULL);
    replay();
    ck_assert_int_eq(got.n, 5);
    for (int i = 0; i < 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "\"i\":%d}", i);
        ck_assert_msg(strstr(got.json[i], want) != NULL, "event %d is %s", i, got.json[i]);
    }
    ck_assert_str_eq(got.kind[0], "state");
    ck_assert_str_eq(got.kind[1], "seg");
    ck_assert_int_eq(web_history_conns(), 2);
    web_history_clear();
    ck_assert_uint_eq(web_history_bytes(), 0);
    ck_assert_int_eq(web_history_conns(), 0);
}
END_TEST

START_TEST(a_long_connection_keeps_its_last_events_and_says_the_start_was_not_seen)
{
    int total = WEB_HISTORY_EVENTS + 10;
    for (int i = 0; i < total; i++) {
        record(7, i, NULL);
    }
    replay();
    ck_assert_int_eq(got.n, WEB_HISTORY_EVENTS + 1);
    ck_assert_str_eq(got.kind[0], "unseen");
    ck_assert_str_eq(got.json[0], "{\"c\":\"192.0.2.2:7 192.0.2.1:40007\",\"events\":10}");
    ck_assert_ptr_nonnull(strstr(got.json[1], "\"i\":10}"));
    ck_assert_ptr_nonnull(strstr(got.json[WEB_HISTORY_EVENTS], "\"i\":73}"));
    ck_assert_uint_le(web_history_bytes(), WEB_HISTORY_CONN_BYTES);
    web_history_clear();
}
END_TEST

START_TEST(a_connection_is_bounded_in_bytes_too)
{
    static char big[4096];
    memset(big, 'x', sizeof big - 1);
    for (int i = 0; i < 20; i++) {
        web_history_record(3, "192.0.2.2:7 192.0.2.1:40003", "seg", big, sizeof big - 1, NULL);
        ck_assert_uint_le(web_history_bytes(), WEB_HISTORY_CONN_BYTES);
    }
    memset(&got, 0, sizeof got);
    web_history_replay(collect, &got);
    ck_assert_str_eq(got.kind[0], "unseen");
    int kept = got.n - 1;
    ck_assert_int_ge(kept, 3); /* 16 KiB holds three 4 KiB events and their bookkeeping */
    char want[64];
    snprintf(want, sizeof want, "\"events\":%d}", 20 - kept);
    ck_assert_msg(strstr(got.json[0], want) != NULL, "%s, %d kept", got.json[0], kept);
    web_history_clear();
}
END_TEST

START_TEST(the_least_recently_heard_from_connection_is_forgotten_first)
{
    for (uint64_t c = 1; c <= WEB_HISTORY_CONNS; c++) {
        record(c, (int)c, NULL);
    }
    record(1, 100, NULL); /* connection 1 is heard from again: 2 is now the least recent */
    record(WEB_HISTORY_CONNS + 1, 101, NULL);
    ck_assert_int_eq(web_history_conns(), WEB_HISTORY_CONNS);
    replay();
    ck_assert_int_eq(got.n, WEB_HISTORY_CONNS + 1);
    for (int i = 0; i < got.n; i++) {
        ck_assert_msg(strstr(got.json[i], ":40002\"") == NULL, "connection 2 kept: %s", got.json[i]);
        ck_assert_str_ne(got.kind[i], "unseen"); /* forgotten whole, never half */
    }
    ck_assert_ptr_nonnull(strstr(got.json[0], ":40001\",\"i\":1}"));
    web_history_clear();
}
END_TEST

START_TEST(the_total_stays_bounded)
{
    static char big[2000];
    memset(big, 'y', sizeof big - 1);
    for (uint64_t c = 1; c <= 200; c++) {
        char conn[64];
        snprintf(conn, sizeof conn, "192.0.2.2:7 192.0.2.1:%u", (unsigned)(40000 + c));
        for (int i = 0; i < 8; i++) {
            web_history_record(c, conn, "seg", big, sizeof big - 1, NULL);
            ck_assert_uint_le(web_history_bytes(), WEB_HISTORY_BYTES);
        }
    }
    ck_assert_int_le(web_history_conns(), WEB_HISTORY_CONNS);
    ck_assert_uint_gt(web_history_bytes(), WEB_HISTORY_BYTES / 2);
    web_history_clear();
    ck_assert_uint_eq(web_history_bytes(), 0);
}
END_TEST

#define CLOSED_LIST_LEN 256

static void list_closed(const char *conn, void *ctx)
{
    char *out = ctx;
    size_t used = strlen(out);
    snprintf(out + used, CLOSED_LIST_LEN - used, "%s;", conn);
}

START_TEST(closed_connections_are_listed)
{
    record(1, 0, "ESTABLISHED");
    record(2, 1, "CLOSE_WAIT");
    record(1, 2, "CLOSED");
    record(2, 3, NULL); /* a segment says nothing of lwIP's state */
    char out[CLOSED_LIST_LEN] = "";
    web_history_closed(list_closed, out);
    ck_assert_str_eq(out, "192.0.2.2:7 192.0.2.1:40001;");
    web_history_clear();
    out[0] = '\0';
    web_history_closed(list_closed, out);
    ck_assert_str_eq(out, "");
}
END_TEST

Suite *web_history_suite(void)
{
    Suite *s = suite_create("web_history");
    fixture_add_test(s, keeps_every_event_in_order_over_connections);
    fixture_add_test(s, a_long_connection_keeps_its_last_events_and_says_the_start_was_not_seen);
    fixture_add_test(s, a_connection_is_bounded_in_bytes_too);
    fixture_add_test(s, the_least_recently_heard_from_connection_is_forgotten_first);
    fixture_add_test(s, the_total_stays_bounded);
    fixture_add_test(s, closed_connections_are_listed);
    return s;
}
