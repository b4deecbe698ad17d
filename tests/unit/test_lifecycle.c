/* Every way a connection lives and ends, with lwIP at either end: the
 * --connect session (active open, active close, refused, silent peer,
 * simultaneous close) and the services' half-close, abortive close and
 * keepalive. Each test asserts the segments and the state log's lines. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect_reply.h"
#include "connect_session.h"
#include "event_loop.h"
#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwiptap/tcp_msl.h"
#include "peer.h"
#include "suites.h"
#include "tcp_statelog.h"

#define SERVER_PORT 5555
#define PEER_ISS 9000u
#define TEST_MSL_MS 1000u

struct session_harness {
    struct event_loop loop;
    struct connect_session *session;
    int input_w; /* the test writes the session's input here */
    int input_r;
    FILE *out;
    char *out_text;
    size_t out_len;
    int done;
    int status;
};

static struct session_harness h;

static void on_done(void *ctx, int status)
{
    struct session_harness *hs = ctx;
    hs->done = 1;
    hs->status = status;
}

static void no_timers(void)
{
}

static void session_start_to(uint32_t ip, uint32_t timeout_ms, const char *input)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    h.input_r = fds[0];
    h.input_w = fds[1];
    h.out = open_memstream(&h.out_text, &h.out_len);
    ck_assert_ptr_nonnull(h.out);
    event_loop_init(&h.loop, no_timers);
    struct connect_session_config cfg = {
        .port = SERVER_PORT,
        .timeout_ms = timeout_ms,
        .wait_time_wait_ms = 30000,
        .input_fd = h.input_r,
        .output = h.out,
        .probe = tcp_statelog_probe,
        .on_done = on_done,
        .ctx = &h,
    };
    ip_addr_set_ip4_u32_val(cfg.ip, lwip_htonl(ip));
    char err[256];
    h.session = connect_session_start(&h.loop, &cfg, err, sizeof err);
    ck_assert_msg(h.session != NULL, "connect_session_start: %s", err);
    if (input != NULL) {
        ck_assert_int_eq(write(h.input_w, input, strlen(input)), (ssize_t)strlen(input));
    }
}

static void session_start(uint32_t timeout_ms, const char *input)
{
    session_start_to(PEER_IP, timeout_ms, input);
}

/* Lets the session read its input and run its own zero-delay timers. */
static void session_step(void)
{
    char err[EVENT_LOOP_ERR_LEN];
    fake_clock_advance(1);
    ck_assert_int_eq(event_loop_dispatch(&h.loop, 0, err), 0);
    fake_clock_advance(1);
}

static void session_end(void)
{
    connect_session_free(h.session);
    fclose(h.out);
    free(h.out_text);
    close(h.input_r);
    if (h.input_w >= 0) {
        close(h.input_w);
    }
    memset(&h, 0, sizeof h);
}

/* Asserts the log holds these lines' texts in this order. */
static void assert_log_order(const char *const *texts, size_t n)
{
    const char *at = fixture_log();
    for (size_t i = 0; i < n; i++) {
        const char *found = strstr(at, texts[i]);
        ck_assert_msg(found != NULL, "log lacks '%s' (in order) in:\n%s", texts[i], fixture_log());
        at = found + strlen(texts[i]);
    }
}

/* Reads what lwIP sent into *s; fails if it sent nothing. */
static void expect_segment(struct peer *p, struct segment *s, uint8_t flags, const char *payload)
{
    ck_assert_msg(peer_recv(p, s), "lwIP sent nothing, expected flags 0x%x", flags);
    ck_assert_uint_eq(s->flags, flags);
    size_t len = payload != NULL ? strlen(payload) : 0;
    ck_assert_uint_eq(s->payload_len, len);
    if (len > 0) {
        ck_assert_mem_eq(s->payload, payload, len);
    }
}

START_TEST(active_open_and_close_walk_every_state)
{
    struct peer p;
    struct segment s;
    lwiptap_tcp_set_msl(TEST_MSL_MS);
    session_start(5000, "hello\nbye\n");
    peer_accept(&p, SERVER_PORT, PEER_ISS, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL); /* the handshake's third segment */
    session_step();
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH, "hello\n");
    peer_send(&p, TCPF_ACK | TCPF_PSH, "0hello\n", 7);
    session_step();
    /* "bye" and the FIN leave separately: a FIN held back by --cross-fins
     * must not hold "bye" with it. */
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH, "bye\n");
    expect_segment(&p, &s, TCPF_ACK | TCPF_FIN, NULL);
    peer_send(&p, TCPF_ACK, NULL, 0);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    ck_assert_int_eq(h.done, 0); /* TIME_WAIT: 2 MSL, waited for */
    fake_clock_advance(2 * TEST_MSL_MS + 1000);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 0);
    fflush(h.out);
    ck_assert_str_eq(h.out_text, "0hello\n");
    static const char *const states[] = {
        "CLOSED -> SYN_SENT via app",          "SYN_SENT -> ESTABLISHED via rx [S.]",
        "ESTABLISHED -> FIN_WAIT_1 via app",   "FIN_WAIT_1 -> FIN_WAIT_2 via rx [.]",
        "FIN_WAIT_2 -> TIME_WAIT via rx [F.]", "TIME_WAIT -> CLOSED via timer",
    };
    assert_log_order(states, sizeof states / sizeof states[0]);
    session_end();
}
END_TEST

START_TEST(end_of_input_closes_without_sending_more)
{
    struct peer p;
    struct segment s;
    session_start(5000, NULL);
    close(h.input_w);
    h.input_w = -1;
    peer_accept(&p, SERVER_PORT, PEER_ISS, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    session_step();
    expect_segment(&p, &s, TCPF_ACK | TCPF_FIN, NULL);
    ck_assert_int_eq(peer_recv(&p, &s), 0);
    session_end();
}
END_TEST

START_TEST(a_refused_connection_exits_1)
{
    struct peer p;
    session_start(5000, "hello\n");
    peer_accept(&p, SERVER_PORT, PEER_ISS, 1);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 1);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "connection refused by 192.0.2.1:5555"));
    /* One SYN, one RST: singular where it is one. */
    ck_assert_ptr_nonnull(strstr(
        fixture_log(), "closed: sent 1 segment, 0 bytes, 0 retransmissions; received 1 segment, 0 bytes"));
    session_end();
}
END_TEST

START_TEST(a_silent_server_times_out_with_a_reset)
{
    struct segment s;
    session_start(3000, "hello\n");
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN);
    fake_clock_advance(2900);
    ck_assert_int_eq(h.done, 0);
    fake_clock_advance(200);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 1);
    ck_assert_ptr_nonnull(
        strstr(fixture_log(), "no answer from 192.0.2.1:5555 within 3 s (lwIP kept sending its SYN)"));
    session_end();
}
END_TEST

/* Nothing answers ARP for the server's address (the fixture's peer is in
 * lwIP's ARP table; 192.0.2.99 is not): only ARP requests leave,
 * and the message says so (it said "lwIP kept sending its SYN"). */
START_TEST(no_arp_answer_is_not_blamed_on_the_syn)
{
    session_start_to(0xc0000263u /* 192.0.2.99: no such host */, 3000, "hello\n");
    fake_clock_advance(3100);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 1);
    const char *log = fixture_log();
    ck_assert_ptr_nonnull(strstr(log,
                                 "no answer from 192.0.2.99:5555 within 3 s: nothing answered ARP for its "
                                 "address, so lwIP's SYN never left"));
    ck_assert_ptr_null(strstr(log, "kept sending its SYN"));
    ck_assert_ptr_nonnull(strstr(log, "over after 0 messages"));
    session_end();
}
END_TEST

START_TEST(no_reply_within_the_timeout_exits_1)
{
    struct peer p;
    struct segment s;
    session_start(2000, "hello\n");
    peer_accept(&p, SERVER_PORT, PEER_ISS, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    session_step();
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH, "hello\n");
    peer_send(&p, TCPF_ACK, NULL, 0);
    fake_clock_advance(2100);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 1);
    expect_segment(&p, &s, TCPF_ACK | TCPF_RST, NULL);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "no reply from 192.0.2.1:5555 within 2 s"));
    ck_assert_ptr_nonnull(strstr(fixture_log(), "over after 1 message: exit status 1"));
    session_end();
}
END_TEST

/* Both FINs are sent before either is acknowledged: lwIP goes through
 * CLOSING, the state only a simultaneous close reaches. */
START_TEST(simultaneous_close_goes_through_closing)
{
    struct peer p;
    struct segment s;
    lwiptap_tcp_set_msl(TEST_MSL_MS);
    session_start(5000, "bye\n");
    peer_accept(&p, SERVER_PORT, PEER_ISS, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    session_step();
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH, "bye\n");
    expect_segment(&p, &s, TCPF_ACK | TCPF_FIN, NULL);
    /* Our FIN, sent before lwIP's arrived: it acknowledges "bye" only. */
    uint32_t lwip_fin = s.seq;
    peer_freeze_acks(&p);
    p.frozen_ack = lwip_fin;
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    ck_assert_uint_eq(s.ack, p.snd_nxt);
    peer_thaw_acks(&p);
    peer_send(&p, TCPF_ACK, NULL, 0);
    fake_clock_advance(2 * TEST_MSL_MS + 1000);
    ck_assert_int_eq(h.done, 1);
    ck_assert_int_eq(h.status, 0);
    static const char *const states[] = {
        "ESTABLISHED -> FIN_WAIT_1 via app",
        "FIN_WAIT_1 -> CLOSING via rx [F.]",
        "CLOSING -> TIME_WAIT via rx [.]",
        "TIME_WAIT -> CLOSED via timer",
    };
    assert_log_order(states, sizeof states / sizeof states[0]);
    session_end();
}
END_TEST

START_TEST(time_wait_lasts_two_msl)
{
    struct peer p;
    struct segment s;
    lwiptap_tcp_set_msl(TEST_MSL_MS);
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    expect_segment(&p, &s, TCPF_ACK | TCPF_FIN, NULL);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    fake_clock_advance(2 * TEST_MSL_MS - 600);
    ck_assert_ptr_null(strstr(fixture_log(), "TIME_WAIT -> CLOSED"));
    fake_clock_advance(1200);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "192.0.2.1:40000 TIME_WAIT -> CLOSED via timer"));
    /* The summary at the end: every state it went through, and lwIP's estimates. */
    static const char *const summary[] = {
        /* The peer: SYN, ACK, "bye\n", FIN; lwIP: SYN-ACK, its FIN, the ACK of the peer's. */
        "tcp-conn: 192.0.2.2:1234 192.0.2.1:40000 closed: sent 3 segments, 0 bytes, 0 retransmissions; ",
        "received 4 segments, 4 bytes, 0 retransmissions; time in SYN_RCVD ",
        " ms, ESTABLISHED ",
        " ms, FIN_WAIT_1 ",
        " ms, TIME_WAIT ",
        " ms; srtt ",
        " ms, rttvar ",
        " ms, rto ",
        " ms, cwnd ",
        ", ssthresh ",
        ", snd_wnd ",
        ", rcv_wnd ",
    };
    assert_log_order(summary, sizeof summary / sizeof summary[0]);
}
END_TEST

static void set_echo_options(int half_close, uint64_t abort_after, uint32_t keep_idle_ms)
{
    struct stream_service_options opts = {half_close, abort_after, {keep_idle_ms, 1000, 3}};
    stream_service_set_options(fx.echo, &opts);
}

START_TEST(half_close_sends_fin_and_keeps_receiving)
{
    struct peer p;
    struct segment s;
    set_echo_options(1, 0, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    /* The FIN rides on the answer: both were queued in one recv callback. */
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH | TCPF_FIN, "hello\n");
    peer_send(&p, TCPF_ACK, NULL, 0);
    uint32_t before = p.snd_nxt;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "still talking\n", 14);
    fake_clock_advance(300);                /* lwIP's delayed ACK */
    expect_segment(&p, &s, TCPF_ACK, NULL); /* taken, not echoed */
    ck_assert_uint_eq(s.ack, before + 14);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    expect_segment(&p, &s, TCPF_ACK, NULL);
    static const char *const states[] = {
        "192.0.2.1:40000 ESTABLISHED -> FIN_WAIT_1 via app",
        "192.0.2.1:40000 half-closed",
        "192.0.2.1:40000 FIN_WAIT_1 -> FIN_WAIT_2 via rx [.]",
        "192.0.2.1:40000 FIN_WAIT_2 -> TIME_WAIT via rx [F.]",
        "192.0.2.1:40000 closed after 20 bytes in, 6 out",
    };
    assert_log_order(states, sizeof states / sizeof states[0]);
}
END_TEST

START_TEST(abort_after_resets_the_connection)
{
    struct peer p;
    struct segment s;
    set_echo_options(0, 10, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "12345\n", 6);
    expect_segment(&p, &s, TCPF_ACK | TCPF_PSH, "12345\n");
    peer_send(&p, TCPF_ACK | TCPF_PSH, "67890\n", 6);
    expect_segment(&p, &s, TCPF_ACK | TCPF_RST, NULL);
    ck_assert_int_eq(peer_recv(&p, &s), 0);
    ck_assert_msg(strstr(fixture_log(), "192.0.2.1:40000 ESTABLISHED -> CLOSED via app, tx [R.]") != NULL,
                  "no RST cause in:\n%s", fixture_log());
    ck_assert_ptr_nonnull(strstr(fixture_log(), "reset: --abort-after 10 reached"));
}
END_TEST

/* A keepalive probe repeats the last byte lwIP's peer acknowledged. */
static int is_keepalive_probe(const struct peer *p, const struct segment *s)
{
    return s->flags == TCPF_ACK && s->payload_len == 0 && s->seq == p->rcv_nxt - 1;
}

START_TEST(keepalive_probes_a_silent_peer_then_resets)
{
    struct peer p;
    struct segment s;
    set_echo_options(0, 0, 2000);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    fake_clock_advance(2600); /* idle for 2 s: the first probe */
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert(is_keepalive_probe(&p, &s));
    peer_send(&p, TCPF_ACK, NULL, 0); /* answered: idle starts again */
    fake_clock_advance(1000);
    ck_assert_int_eq(peer_recv(&p, &s), 0);
    int probes = 0, resets = 0;
    for (int i = 0; i < 20 && resets == 0; i++) {
        fake_clock_advance(500);
        while (peer_recv(&p, &s)) {
            probes += is_keepalive_probe(&p, &s);
            resets += (s.flags & TCPF_RST) != 0;
        }
    }
    ck_assert_int_eq(probes, 3);
    ck_assert_int_eq(resets, 1);
    ck_assert_msg(strstr(fixture_log(), "192.0.2.1:40000 ESTABLISHED -> CLOSED via timer, tx [R.]") != NULL,
                  "no RST cause in:\n%s", fixture_log());
    ck_assert_ptr_nonnull(strstr(fixture_log(), "answered none of 3 keepalive probes"));
}
END_TEST

START_TEST(replies_are_printed_readably)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    static const uint8_t padded[] = {'0', 'h', 'i', 0, 0, 0, 0};
    static const uint8_t controls[] = {'a', 0x01, 'b', '\n'};
    connect_print_reply(out, padded, sizeof padded);
    connect_print_reply(out, controls, sizeof controls);
    fclose(out);
    ck_assert_str_eq(text, "0hi\na\\x01b\n");
    free(text);
}
END_TEST

Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    fixture_add_test(s, active_open_and_close_walk_every_state);
    fixture_add_test(s, end_of_input_closes_without_sending_more);
    fixture_add_test(s, a_refused_connection_exits_1);
    fixture_add_test(s, a_silent_server_times_out_with_a_reset);
    fixture_add_test(s, no_reply_within_the_timeout_exits_1);
    fixture_add_test(s, no_arp_answer_is_not_blamed_on_the_syn);
    fixture_add_test(s, simultaneous_close_goes_through_closing);
    fixture_add_test(s, time_wait_lasts_two_msl);
    fixture_add_test(s, half_close_sends_fin_and_keeps_receiving);
    fixture_add_test(s, abort_after_resets_the_connection);
    fixture_add_test(s, keepalive_probes_a_silent_peer_then_resets);
    fixture_add_test(s, replies_are_printed_readably);
    return s;
}
