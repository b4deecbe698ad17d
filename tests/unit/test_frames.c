/* Whatever arrives on the wire: malformed frames are counted and dropped, and
 * never crash the stack or the frame decoder (port/link/frame_info.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwiptap/byte_order.h"
#include "fixture.h"
#include "lwip/stats.h"
#include "lwiptap/frame_info.h"
#include "lwiptap/guard.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 1000u
#define IP_OFF ETH_HDR_LEN
#define TCP_OFF (ETH_HDR_LEN + IPV4_HDR_LEN)

static uint8_t frame[SEGMENT_MAX_FRAME];

/* A valid SYN to the echo port, with options: the raw material for breaking things. */
static size_t build_syn(uint8_t *buf)
{
    struct segment s;
    fixture_segment_from_peer(&s, 40000, ECHO_PORT);
    s.seq = PEER_ISS;
    s.flags = TCPF_SYN;
    s.window = 65535;
    s.opts.mss = 1460;
    s.opts.wscale = 7;
    return segment_build(&s, buf, SEGMENT_MAX_FRAME);
}

static void expect_no_reply(void)
{
    ck_assert_uint_eq(fake_link_tx_pending(fx.wire), 0);
}

/* The stack still works after whatever a test threw at it. */
static void expect_stack_still_answers(void)
{
    struct peer p;
    peer_init(&p, 41000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
}

START_TEST(runts_are_dropped)
{
    struct stats_proto link = lwip_stats.link;
    struct stats_proto eth = lwip_stats.etharp;
    size_t len = build_syn(frame);
    ck_assert_uint_gt(len, 14);
    fixture_inject(frame, 1);
    fixture_inject(frame, 13);
    ck_assert_uint_eq(lwip_stats.link.lenerr, link.lenerr + 2);
    ck_assert_uint_eq(lwip_stats.link.drop, link.drop + 2);
    ck_assert_uint_eq(lwip_stats.link.recv, link.recv);
    /* Exactly a header and nothing behind it: the guard drops that before
     * lwIP reads an IPv4 header that is not there. */
    fixture_inject(frame, 14);
    ck_assert_uint_eq(lwip_stats.link.recv, link.recv);
    ck_assert_uint_eq(guard_count(GUARD_IP_HEADER_SHORT), 1);
    ck_assert_uint_eq(lwip_stats.etharp.drop, eth.drop);
    expect_no_reply();
    expect_stack_still_answers();
}
END_TEST

START_TEST(truncated_ipv4_header_is_dropped)
{
    struct stats_proto ip = lwip_stats.ip;
    build_syn(frame);
    /* Half a header: the guard's (ip4_input would read past it). */
    fixture_inject(frame, IP_OFF + 10);
    ck_assert_uint_eq(guard_count(GUARD_IP_HEADER_SHORT), 1);
    ck_assert_uint_eq(lwip_stats.ip.lenerr, ip.lenerr);

    /* A header claiming more bytes than the frame holds. */
    size_t len = build_syn(frame);
    put_be16(frame + IP_OFF + 2, (uint16_t)(len - IP_OFF + 100));
    segment_fix_checksums(frame, len);
    fixture_inject(frame, len);
    ck_assert_uint_eq(lwip_stats.ip.lenerr, ip.lenerr + 1);
    ck_assert_uint_eq(lwip_stats.ip.drop, ip.drop + 1);
    expect_no_reply();
    expect_stack_still_answers();
}
END_TEST

START_TEST(truncated_tcp_header_is_dropped)
{
    struct stats_proto tcp = lwip_stats.tcp;
    build_syn(frame);
    /* A consistent IPv4 packet carrying only 10 bytes of TCP header. */
    put_be16(frame + IP_OFF + 2, IPV4_HDR_LEN + 10);
    segment_fix_checksums(frame, TCP_OFF + 10);
    fixture_inject(frame, TCP_OFF + 10);
    ck_assert_uint_eq(lwip_stats.tcp.lenerr, tcp.lenerr + 1);
    ck_assert_uint_eq(lwip_stats.tcp.drop, tcp.drop + 1);

    /* A data offset pointing past the end of the segment. */
    size_t len = build_syn(frame);
    frame[TCP_OFF + 12] = 0xf0;
    segment_fix_checksums(frame, len);
    fixture_inject(frame, len);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, tcp.chkerr);
    ck_assert_uint_eq(lwip_stats.tcp.lenerr, tcp.lenerr + 2);
    ck_assert_uint_eq(lwip_stats.tcp.drop, tcp.drop + 2);
    expect_no_reply();
    expect_stack_still_answers();
}
END_TEST

START_TEST(bad_tcp_checksum_is_dropped)
{
    struct stats_proto tcp = lwip_stats.tcp;
    size_t len = build_syn(frame);
    frame[TCP_OFF + 16] ^= 0x5a;
    fixture_inject(frame, len);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, tcp.chkerr + 1);
    ck_assert_uint_eq(lwip_stats.tcp.drop, tcp.drop + 1);
    expect_no_reply();
    expect_stack_still_answers();
}
END_TEST

START_TEST(bad_ipv4_checksum_is_dropped)
{
    struct stats_proto ip = lwip_stats.ip;
    size_t len = build_syn(frame);
    frame[IP_OFF + 10] ^= 0x5a;
    fixture_inject(frame, len);
    ck_assert_uint_eq(lwip_stats.ip.chkerr, ip.chkerr + 1);
    ck_assert_uint_eq(lwip_stats.ip.drop, ip.drop + 1);
    expect_no_reply();
}
END_TEST

START_TEST(unknown_ethertype_is_dropped)
{
    struct stats_proto eth = lwip_stats.etharp;
    size_t len = build_syn(frame);
    put_be16(frame + 12, 0x88b5); /* IEEE 802 local experimental */
    fixture_inject(frame, len);
    ck_assert_uint_eq(lwip_stats.etharp.proterr, eth.proterr + 1);
    ck_assert_uint_eq(lwip_stats.etharp.drop, eth.drop + 1);
    expect_no_reply();
}
END_TEST

/* A small reproducible fuzz: random bytes behind plausible Ethernet types. */
START_TEST(garbage_frames_do_not_crash)
{
    static const uint16_t types[] = {0x0800, 0x0806, 0x86dd, 0x8100, 0x1234};
    uint32_t rng = 12345;
    for (int i = 0; i < 2000; i++) {
        rng = rng * 1103515245u + 12345u;
        size_t len = 15 + (rng >> 16) % 200;
        for (size_t j = 0; j < len; j++) {
            rng = rng * 1103515245u + 12345u;
            frame[j] = (uint8_t)(rng >> 24);
        }
        memcpy(frame, stack_mac, 6);
        put_be16(frame + 12, types[i % 5]);
        if (types[i % 5] == 0x0800) {
            frame[IP_OFF] = 0x45;
        }
        fixture_inject(frame, len);
    }
    fixture_discard_tx();
    expect_stack_still_answers();
}
END_TEST

/* frame_info must judge by the bytes it is given: each prefix gets its own
 * heap block, so a read past the end trips the address sanitizer. */
static void describe_prefixes(const uint8_t *full, size_t len, int flags_of_whole)
{
    char text[256];
    for (size_t n = 0; n <= len; n++) {
        uint8_t *copy = malloc(n > 0 ? n : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, full, n);
        int flags = frame_tcp_flags(copy, n);
        ck_assert_int_eq(flags, n == len ? flags_of_whole : -1);
        text[0] = '\0';
        frame_describe(copy, n, text, sizeof text);
        ck_assert_uint_gt(strlen(text), 0);
        free(copy);
    }
}

START_TEST(frame_info_handles_truncated_input)
{
    size_t len = build_syn(frame);
    describe_prefixes(frame, len, FRAME_TCP_SYN);

    char text[256];
    frame_describe(frame, len, text, sizeof text);
    ck_assert_str_eq(text, "192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 1000, ack 0, win 65535, length 0");
    frame_describe(frame, 13, text, sizeof text);
    ck_assert_str_eq(text, "malformed: 13 bytes is shorter than an Ethernet header");
    char expected[64];
    snprintf(expected, sizeof expected, "IPv4, truncated, malformed or fragment, length %zu", len - 1);
    frame_describe(frame, len - 1, text, sizeof text);
    ck_assert_str_eq(text, expected);

    /* A header length field pointing past the segment. */
    frame[TCP_OFF + 12] = 0xf0;
    ck_assert_int_eq(frame_tcp_flags(frame, len), FRAME_TCP_SYN);
    frame_describe(frame, len, text, sizeof text);
    ck_assert_str_eq(text, "192.0.2.1 > 192.0.2.2: TCP, malformed header");

    /* Output that does not fit is cut, and still terminated. */
    char small[8];
    memset(small, 'x', sizeof small);
    frame_describe(frame, 13, small, sizeof small);
    ck_assert_str_eq(small, "malform");
}
END_TEST

START_TEST(frame_info_handles_truncated_ipv6_and_arp)
{
    /* An IPv6 TCP SYN: 40-byte header, then a 20-byte TCP header. */
    static uint8_t v6[ETH_HDR_LEN + 40 + 20];
    memcpy(v6, stack_mac, 6);
    memcpy(v6 + 6, peer_mac, 6);
    put_be16(v6 + 12, 0x86dd);
    v6[ETH_HDR_LEN] = 0x60;
    put_be16(v6 + ETH_HDR_LEN + 4, 20);
    v6[ETH_HDR_LEN + 6] = 6;
    v6[ETH_HDR_LEN + 7] = 64;
    v6[ETH_HDR_LEN + 8] = 0x20; /* 2001:db8::1 > 2001:db8::2 */
    v6[ETH_HDR_LEN + 9] = 0x01;
    v6[ETH_HDR_LEN + 10] = 0x0d;
    v6[ETH_HDR_LEN + 11] = 0xb8;
    v6[ETH_HDR_LEN + 23] = 1;
    memcpy(v6 + ETH_HDR_LEN + 24, v6 + ETH_HDR_LEN + 8, 15);
    v6[ETH_HDR_LEN + 39] = 2;
    uint8_t *tcp = v6 + ETH_HDR_LEN + 40;
    put_be16(tcp, 40000);
    put_be16(tcp + 2, 7);
    tcp[12] = 0x50;
    tcp[13] = FRAME_TCP_SYN;
    describe_prefixes(v6, sizeof v6, FRAME_TCP_SYN);
    char text[256];
    frame_describe(v6, sizeof v6, text, sizeof text);
    ck_assert_str_eq(text, "2001:db8::1.40000 > 2001:db8::2.7: Flags [S], seq 0, ack 0, win 0, length 0");

    /* An IPv6 hop-by-hop header whose length runs past the packet. */
    v6[ETH_HDR_LEN + 6] = 0;
    tcp[1] = 200;
    ck_assert_int_eq(frame_tcp_flags(v6, sizeof v6), -1);
    frame_describe(v6, sizeof v6, text, sizeof text);
    ck_assert_str_eq(text, "IPv6, truncated, malformed or fragment, length 74");

    static const uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,   1, 0x08, 0x06,
                                    0,    1,    0x08, 0,    6,    4,    0, 1, 2, 0, 0,   0, 0,    1,
                                    192,  0,    2,    1,    0,    0,    0, 0, 0, 0, 192, 0, 2,    2};
    describe_prefixes(arp, sizeof arp, -1);
    frame_describe(arp, sizeof arp, text, sizeof text);
    ck_assert_str_eq(text, "ARP, Request who-has 192.0.2.2 tell 192.0.2.1");
    frame_describe(arp, sizeof arp - 1, text, sizeof text);
    ck_assert_str_eq(text, "ARP, malformed or not Ethernet/IPv4, length 41");
}
END_TEST

Suite *frames_suite(void)
{
    Suite *s = suite_create("frames");
    fixture_add_test(s, runts_are_dropped);
    fixture_add_test(s, truncated_ipv4_header_is_dropped);
    fixture_add_test(s, truncated_tcp_header_is_dropped);
    fixture_add_test(s, bad_tcp_checksum_is_dropped);
    fixture_add_test(s, bad_ipv4_checksum_is_dropped);
    fixture_add_test(s, unknown_ethertype_is_dropped);
    fixture_add_test(s, garbage_frames_do_not_crash);
    fixture_add_test(s, frame_info_handles_truncated_input);
    fixture_add_test(s, frame_info_handles_truncated_ipv6_and_arp);
    return s;
}
