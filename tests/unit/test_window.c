/* The peer's receive window as lwIP takes it: a SYN may open with a zero
 * window (RFC 9293; Linux answers and waits for an update), and a window is
 * taken from any segment with SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK
 * (RFC 9293 3.10.7.4). Both needed a patch of lwIP (patches/). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 7000u

/* Everything lwIP sends, its delayed ACK included (but before a window
 * probe could be due), carries no data; returns how many segments it sent. */
static int expect_no_data(struct peer *p)
{
    struct segment s;
    int n = 0;
    fake_clock_advance(250);
    while (peer_recv(p, &s)) {
        ck_assert_uint_eq(s.payload_len, 0);
        n++;
    }
    return n;
}

/* A connection from a peer whose SYN and handshake ACK announce a zero window. */
static void connect_with_zero_window(struct peer *p, uint16_t port)
{
    peer_init(p, port, ECHO_PORT, PEER_ISS);
    p->window_field = 0;
    peer_connect(p);
}

static void expect_echo(struct peer *p, const char *text)
{
    struct segment s;
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert_uint_eq(s.payload_len, strlen(text));
    ck_assert_int_eq(memcmp(s.payload, text, s.payload_len), 0);
}

/* Was dropped by the guard (tcp_syn_window_below_2) to keep clear of the
 * tcp_write() bug below. */
START_TEST(syn_with_zero_window_is_answered_and_waits_for_an_update)
{
    struct peer p;
    connect_with_zero_window(&p, 42000);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello", 5);
    ck_assert_int_ge(expect_no_data(&p), 1);
    p.window_field = PEER_WINDOW;
    peer_send(&p, TCPF_ACK, NULL, 0);
    expect_echo(&p, "hello");
}
END_TEST

/* tcp_write() sizes segments by half the largest window seen, the whole MSS
 * while that is 0; the first small window then shrank that size under the
 * queued tail segment: "inconsistent oversize vs. space" (without
 * patches/tcp_out_oversize_window.c this test aborts). */
START_TEST(small_window_after_a_zero_one_keeps_queued_data_intact)
{
    struct peer p;
    connect_with_zero_window(&p, 42001);
    /* The second write finds a tail segment to extend, and extends it with an
     * oversized pbuf built for the whole MSS. */
    peer_send(&p, TCPF_ACK | TCPF_PSH, "abc", 3);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "def", 3);
    expect_no_data(&p);
    /* 1 << 7 = 128 bytes: half of it is less than that tail segment was built for. */
    p.window_field = 1;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "ghi", 3);
    expect_echo(&p, "abcdefghi");
    p.window_field = PEER_WINDOW;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "jkl", 3);
    expect_echo(&p, "jkl");
}
END_TEST

/* The peer's first data segment has the seq and ack of its handshake ACK and
 * closes its window: RFC 9293 takes that window (lwIP only took a larger
 * one; patches/tcp_in_window_update_same_ack.c), so nothing is pushed into
 * the closed window. */
START_TEST(zero_window_with_the_same_seq_and_ack_is_taken)
{
    struct peer p;
    peer_init(&p, 42002, ECHO_PORT, PEER_ISS);
    p.window_field = 32; /* 4 KiB at the peer's scale of 7 */
    peer_connect(&p);
    uint8_t *data = make_pattern(1400);
    p.window_field = 0;
    peer_send(&p, TCPF_ACK | TCPF_PSH, data, 1400);
    ck_assert_int_ge(expect_no_data(&p), 1);
    p.window_field = PEER_WINDOW;
    peer_send(&p, TCPF_ACK, NULL, 0);
    struct segment s;
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 1400);
    ck_assert_int_eq(memcmp(s.payload, data, 1400), 0);
    free(data);
}
END_TEST

Suite *window_suite(void)
{
    Suite *s = suite_create("window");
    fixture_add_test(s, syn_with_zero_window_is_answered_and_waits_for_an_update);
    fixture_add_test(s, small_window_after_a_zero_one_keeps_queued_data_intact);
    fixture_add_test(s, zero_window_with_the_same_seq_and_ack_is_taken);
    return s;
}
