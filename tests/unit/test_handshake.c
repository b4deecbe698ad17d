/* Connection setup as the host sees it: lwIP's SYN-ACK options, and RST from a closed port. */
#include <check.h>
#include <string.h>

#include "fixture.h"
#include "lwip/opt.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 1000u

START_TEST(syn_ack_carries_options)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    const uint32_t syn_tsval = p.tsval;
    peer_send(&p, TCPF_SYN, NULL, 0);

    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_mem_eq(s.dst_mac, peer_mac, 6);
    ck_assert_mem_eq(s.src_mac, stack_mac, 6);
    ck_assert_uint_eq(s.src_ip, STACK_IP);
    ck_assert_uint_eq(s.dst_ip, PEER_IP);
    ck_assert_uint_eq(s.src_port, ECHO_PORT);
    ck_assert_uint_eq(s.dst_port, 40000);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    ck_assert_uint_eq(s.payload_len, 0);
    ck_assert_uint_eq(s.opts.mss, 1460);
    ck_assert_int_eq(s.opts.wscale, TCP_RCV_SCALE);
    ck_assert_int_eq(s.opts.sack_permitted, 1);
    ck_assert_int_eq(s.opts.timestamps, 1);
    ck_assert_uint_eq(s.opts.tsecr, syn_tsval);
    /* A SYN's window is never scaled, so lwIP's 93440-byte window shows as the most that fits. */
    ck_assert_uint_eq(s.window, TCP_WND > 0xffff ? 0xffff : TCP_WND);
    ck_assert_int_eq(peer_recv(&p, &s), 0);
}
END_TEST

/* A SYN from port 40001 with the given options, built by hand. */
static void send_syn(const struct tcp_options *opts)
{
    struct segment syn;
    uint8_t frame[SEGMENT_MAX_FRAME];
    fixture_segment_from_peer(&syn, 40001, ECHO_PORT);
    syn.seq = PEER_ISS;
    syn.flags = TCPF_SYN;
    syn.window = 8192;
    syn.opts = *opts;
    fixture_inject(frame, segment_build(&syn, frame, sizeof frame));
}

START_TEST(syn_without_options_gets_none_back)
{
    struct segment s;
    struct tcp_options none = tcp_options_none();
    send_syn(&none);

    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    /* Only MSS is unconditional; the others need the peer to offer them first. */
    ck_assert_uint_eq(s.opts.mss, 1460);
    ck_assert_int_eq(s.opts.wscale, -1);
    ck_assert_int_eq(s.opts.sack_permitted, 0);
    ck_assert_int_eq(s.opts.timestamps, 0);
}
END_TEST

/* Linux's TSvals take every value, so their last byte is 0x80 or more half the
 * time. lwIP's tcp_parseopt() (2.1.3 and 2.2.1) shifts that byte left by 24 bits as an
 * int: undefined behaviour, which the LWIPTAP_SANITIZE build (UBSan with
 * -fno-sanitize-recover) turns into an exit. Passes in normal builds; in the
 * sanitizer build it fails until cmake/lwip.cmake exempts lwIP from that check. */
START_TEST(timestamp_with_any_last_byte_is_echoed)
{
    struct segment s;
    struct tcp_options opts = tcp_options_none();
    opts.timestamps = 1;
    opts.tsval = 0x5eed00c8;
    send_syn(&opts);

    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_int_eq(s.opts.timestamps, 1);
    ck_assert_uint_eq(s.opts.tsecr, 0x5eed00c8);
}
END_TEST

START_TEST(closed_port_answers_syn_with_rst)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, 9, PEER_ISS);
    peer_send(&p, TCPF_SYN, NULL, 0);

    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.src_port, 9);
    ck_assert_uint_eq(s.dst_port, 40000);
    ck_assert_uint_eq(s.flags, TCPF_RST | TCPF_ACK);
    /* RFC 9293 3.10.7.1: a SYN has no ACK, so the RST has SEQ 0 and acknowledges the SYN. */
    ck_assert_uint_eq(s.seq, 0);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    ck_assert_uint_eq(s.payload_len, 0);
    ck_assert_int_eq(peer_recv(&p, &s), 0);
}
END_TEST

START_TEST(closed_port_answers_ack_with_rst_at_its_ack)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, 9, PEER_ISS);
    p.rcv_nxt = 555555;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "stray", 5);

    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.src_port, 9);
    ck_assert(s.flags & TCPF_RST);
    /* RFC 9293 3.10.7.1: the RST takes its SEQ from the segment's ACK field. */
    ck_assert_uint_eq(s.seq, 555555);
}
END_TEST

Suite *handshake_suite(void)
{
    Suite *s = suite_create("handshake");
    fixture_add_test(s, syn_ack_carries_options);
    fixture_add_test(s, syn_without_options_gets_none_back);
    fixture_add_test(s, timestamp_with_any_last_byte_is_echoed);
    fixture_add_test(s, closed_port_answers_syn_with_rst);
    fixture_add_test(s, closed_port_answers_ack_with_rst_at_its_ack);
    return s;
}
