/* The TCP state log (app/tcp_statelog.h): one line per transition, in the
 * documented format, blaming the right cause. */
#include <check.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwiptap/mem_budget.h"
#include "lwip/priv/tcp_priv.h"
#include "peer.h"
#include "suites.h"
#include "stream_service.h"
#include "tcp_statelog.h"

#define PEER_ISS 7000u
#define MAX_LINES 64
#define MAX_LINE 256

/* The documented line: "<UTC time with ms> INFO tcp-state: <message>". */
#define LINE_PATTERN                                                                                         \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z INFO tcp-state: (.+)$"

struct transitions {
    int count;
    char line[MAX_LINES][MAX_LINE];
};

/* The messages of every tcp-state line logged so far, each checked against the format. */
static void read_transitions(struct transitions *t)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, LINE_PATTERN, REG_EXTENDED), 0);
    char *log = strdup(fixture_log());
    ck_assert_ptr_nonnull(log);
    t->count = 0;
    char *save = NULL;
    for (char *line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, " tcp-state: ") == NULL) {
            continue;
        }
        regmatch_t m[2];
        ck_assert_msg(regexec(&re, line, 2, m, 0) == 0, "badly formatted state log line: %s", line);
        ck_assert_int_lt(t->count, MAX_LINES);
        snprintf(t->line[t->count++], MAX_LINE, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
    }
    free(log);
    regfree(&re);
}

static void expect_transitions(const char *const *expected, int n)
{
    struct transitions t;
    read_transitions(&t);
    for (int i = 0; i < n && i < t.count; i++) {
        ck_assert_msg(strcmp(t.line[i], expected[i]) == 0, "transition %d: got \"%s\", expected \"%s\"", i,
                      t.line[i], expected[i]);
    }
    ck_assert_msg(t.count == n, "%d transitions logged, expected %d; last: \"%s\"", t.count, n,
                  t.count > 0 ? t.line[t.count - 1] : "");
}

#define LISTENERS "*:7 *:* CLOSED -> LISTEN via app", "*:1234 *:* CLOSED -> LISTEN via app"

START_TEST(passive_close)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hi", 2);
    while (peer_recv(&p, &s)) {
    }
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    int fin = 0;
    while (peer_recv(&p, &s)) {
        fin |= s.flags & TCPF_FIN;
    }
    ck_assert_msg(fin, "lwIP did not close its side after the peer's FIN");
    peer_send(&p, TCPF_ACK, NULL, 0);

    static const char *const expected[] = {
        LISTENERS,
        "192.0.2.2:7 192.0.2.1:40000 LISTEN -> SYN_RCVD via rx [S]",
        "192.0.2.2:7 192.0.2.1:40000 SYN_RCVD -> ESTABLISHED via rx [.]",
        "192.0.2.2:7 192.0.2.1:40000 ESTABLISHED -> CLOSE_WAIT via rx [F.]",
        "192.0.2.2:7 192.0.2.1:40000 CLOSE_WAIT -> LAST_ACK via app",
        "192.0.2.2:7 192.0.2.1:40000 LAST_ACK -> CLOSED via rx [.]",
    };
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

START_TEST(active_close_after_bye_ends_in_time_wait)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    int fin = 0;
    while (peer_recv(&p, &s)) {
        fin |= s.flags & TCPF_FIN;
    }
    ck_assert_msg(fin, "lwIP did not close after bye");
    peer_send(&p, TCPF_ACK, NULL, 0);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    while (peer_recv(&p, &s)) {
    }
    ck_assert_ptr_nonnull(tcp_tw_pcbs);

    /* TIME_WAIT lasts 2 MSL, counted in lwIP's 500 ms slow-timer ticks. */
    fake_clock_advance(2 * TCP_MSL - 1000);
    ck_assert_ptr_nonnull(tcp_tw_pcbs);
    fake_clock_advance(2000);
    ck_assert_ptr_null(tcp_tw_pcbs);

    static const char *const expected[] = {
        LISTENERS,
        "192.0.2.2:1234 192.0.2.1:40000 LISTEN -> SYN_RCVD via rx [S]",
        "192.0.2.2:1234 192.0.2.1:40000 SYN_RCVD -> ESTABLISHED via rx [.]",
        "192.0.2.2:1234 192.0.2.1:40000 ESTABLISHED -> FIN_WAIT_1 via app",
        "192.0.2.2:1234 192.0.2.1:40000 FIN_WAIT_1 -> FIN_WAIT_2 via rx [.]",
        "192.0.2.2:1234 192.0.2.1:40000 FIN_WAIT_2 -> TIME_WAIT via rx [F.]",
        "192.0.2.2:1234 192.0.2.1:40000 TIME_WAIT -> CLOSED via timer",
    };
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

/* A TIME_WAIT that lwip-tap's shutdown ends was not over: --explain says so. */
START_TEST(a_time_wait_cut_short_by_the_shutdown_is_not_over)
{
    tcp_statelog_set_explain(1);
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    while (peer_recv(&p, &s)) {
    }
    peer_send(&p, TCPF_ACK, NULL, 0);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    while (peer_recv(&p, &s)) {
    }
    ck_assert_ptr_nonnull(tcp_tw_pcbs);
    tcp_statelog_set_context(STATELOG_CAUSE_SHUTDOWN);
    tcp_abort(tcp_tw_pcbs);
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
    ck_assert(fixture_log_has("192.0.2.2:1234 192.0.2.1:40000 TIME_WAIT -> CLOSED via shutdown"));
    ck_assert(fixture_log_has("explain: lwip-tap is stopping: it cuts the TIME_WAIT short"));
    ck_assert(!fixture_log_has("TIME_WAIT is over"));
}
END_TEST

START_TEST(reset_by_peer)
{
    struct peer p;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_RST, NULL, 0);
    ck_assert_ptr_null(tcp_active_pcbs);

    static const char *const expected[] = {
        LISTENERS,
        "192.0.2.2:7 192.0.2.1:40000 LISTEN -> SYN_RCVD via rx [S]",
        "192.0.2.2:7 192.0.2.1:40000 SYN_RCVD -> ESTABLISHED via rx [.]",
        "192.0.2.2:7 192.0.2.1:40000 ESTABLISHED -> CLOSED via rx [R]",
    };
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

START_TEST(stopping_a_service_closes_its_listener)
{
    stream_service_stop(fx.echo);
    fx.echo = NULL;
    static const char *const expected[] = {LISTENERS, "*:7 *:* LISTEN -> CLOSED via app"};
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

/* A RST that lwIP sends from a timer (keepalive gave up) closes its own pcb,
 * not a listener closed after it: found after a --connect that timed out,
 * when both listeners logged "LISTEN -> CLOSED via app, tx [R.]". */
START_TEST(a_rst_names_only_the_connection_it_closed)
{
    struct peer p;
    struct segment s;
    struct stream_service_options opts = {0, 0, {2000, 1000, 2}};
    stream_service_set_options(fx.echo, &opts);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    int rst = 0;
    for (int i = 0; i < 20 && !rst; i++) {
        fake_clock_advance(500); /* the probes go unanswered */
        while (peer_recv(&p, &s)) {
            rst |= (s.flags & TCPF_RST) != 0;
        }
    }
    ck_assert_int_eq(rst, 1);
    stream_service_stop(fx.echo);
    fx.echo = NULL;
    static const char *const expected[] = {
        LISTENERS, "192.0.2.2:7 192.0.2.1:40000 LISTEN -> SYN_RCVD via rx [S]",
        "192.0.2.2:7 192.0.2.1:40000 SYN_RCVD -> ESTABLISHED via rx [.]",
        "192.0.2.2:7 192.0.2.1:40000 ESTABLISHED -> CLOSED via timer, tx [R.]",
        "*:7 *:* LISTEN -> CLOSED via app"};
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

START_TEST(disabled_log_stays_silent)
{
    struct peer p;
    tcp_statelog_set_enabled(0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    static const char *const expected[] = {LISTENERS};
    expect_transitions(expected, sizeof expected / sizeof expected[0]);
}
END_TEST

/* A segment on one connection costs the log the same with 1 or 200 open:
 * it compares the pcbs that frame may have changed, not every pcb. */
START_TEST(a_frame_costs_the_same_with_many_connections)
{
    enum { OPEN = 200 };
    static struct peer peers[OPEN];
    /* Memory for every window (none waits for one): the log is what is tested. */
    size_t saved = mem_budget_limit();
    mem_budget_set_limit((size_t)512 << 20);
    for (int i = 0; i < OPEN; i++) {
        peer_init(&peers[i], (uint16_t)(41000 + i), ECHO_PORT, PEER_ISS + (uint32_t)i * 100000u);
        peer_connect(&peers[i]);
    }
    struct segment s;
    uint64_t before = tcp_statelog_comparisons();
    peer_send(&peers[OPEN / 2], TCPF_ACK | TCPF_PSH, "ping", 4);
    ck_assert_int_eq(peer_recv(&peers[OPEN / 2], &s), 1);
    ck_assert_uint_eq(s.payload_len, 4);
    uint64_t spent = tcp_statelog_comparisons() - before;
    ck_assert_msg(spent >= 1 && spent <= 4, "one data segment cost %llu comparisons with %d connections open",
                  (unsigned long long)spent, OPEN);
    /* Yet nothing escapes it: each close still shows. */
    peer_send(&peers[0], TCPF_ACK | TCPF_FIN, NULL, 0);
    ck_assert(strstr(fixture_log(), ":41000 ESTABLISHED -> CLOSE_WAIT via rx [F.]") != NULL);
    mem_budget_set_limit(saved);
}
END_TEST

Suite *statelog_suite(void)
{
    Suite *s = suite_create("statelog");
    fixture_add_test(s, passive_close);
    fixture_add_test(s, a_frame_costs_the_same_with_many_connections);
    fixture_add_test(s, active_close_after_bye_ends_in_time_wait);
    fixture_add_test(s, a_time_wait_cut_short_by_the_shutdown_is_not_over);
    fixture_add_test(s, reset_by_peer);
    fixture_add_test(s, stopping_a_service_closes_its_listener);
    fixture_add_test(s, disabled_log_stays_silent);
    fixture_add_test(s, a_rst_names_only_the_connection_it_closed);
    return s;
}
