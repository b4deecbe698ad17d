/* The ingress guard, one defect of lwIP's (or one attack) per test: each test
 * sends what a hostile peer would and checks that the guard dropped it,
 * counted it and logged it, and that the stack still serves. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arp_frame.h"
#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwiptap/guard.h"
#include "lwiptap/mem_budget.h"
#include "peer.h"
#include "suites.h"
#include "wire.h"

#define PEER_ISS 5000u
#define SPOOF_BASE 0xc0000264u /* 192.0.2.100: nobody answers ARP for it */

static void send_ip6(uint8_t next_header, uint8_t hop_limit, int upper_offset, uint8_t upper_proto,
                     const uint8_t *payload, size_t len)
{
    uint8_t frame[WIRE_MAX_FRAME];
    struct wire_ip6 ip = {.next_header = next_header,
                          .hop_limit = hop_limit,
                          .upper_offset = upper_offset,
                          .upper_proto = upper_proto};
    wire_ip6_linklocal(ip.src, 1);
    /* lwIP's link-local address from its MAC 02:00:00:00:00:02 */
    uint8_t dst[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 2};
    memcpy(ip.dst, dst, 16);
    fixture_inject(frame, wire_ip6(stack_mac, peer_mac, &ip, payload, len, frame, sizeof frame));
}

static void send_ptb(uint32_t mtu)
{
    uint8_t icmp[8 + 48] = {
        2, 0, 0, 0, (uint8_t)(mtu >> 24), (uint8_t)(mtu >> 16), (uint8_t)(mtu >> 8), (uint8_t)mtu};
    icmp[8] = 0x60; /* the quoted packet: an IPv6 header */
    send_ip6(58, 64, 0, 58, icmp, sizeof icmp);
}

/* Echoes total bytes through an established peer and checks them. */
static void echo_through(struct peer *p, size_t total)
{
    uint8_t *data = make_pattern(total);
    p->stream = malloc(total);
    p->stream_cap = total;
    peer_pump(p, data, total, total, 0);
    ck_assert_int_eq(memcmp(p->stream, data, total), 0);
    free(p->stream);
    p->stream = NULL;
    free(data);
}

/* ip4_input and ip6_input read header fields before they check the length:
 * with frames in exact-size buffers, ASan saw the overrun. */
START_TEST(ip_packets_shorter_than_their_header_are_dropped)
{
    uint8_t frame[14 + 40] = {0};
    memcpy(frame, stack_mac, 6);
    memcpy(frame + 6, peer_mac, 6);
    frame[12] = 0x08;
    frame[14] = 0x45;
    fixture_inject(frame, 14 + 3);
    frame[12] = 0x86;
    frame[13] = 0xdd;
    frame[14] = 0x60;
    fixture_inject(frame, 14 + 39);
    ck_assert_uint_eq(guard_count(GUARD_IP_HEADER_SHORT), 2);
    ck_assert(fixture_log_has("WARN guard: ip_shorter_than_header: IPv4 packet of 3 bytes"));
}
END_TEST

START_TEST(short_arp_is_dropped_not_answered)
{
    struct arp_frame request = {ARP_REQUEST, {0}, PEER_IP, {0}, STACK_IP};
    memcpy(request.sender_mac, peer_mac, 6);
    uint8_t frame[ARP_FRAME_LEN];
    arp_frame_build(&request, frame);
    fixture_inject(frame, ARP_FRAME_LEN - 10);
    ck_assert_uint_eq(guard_count(GUARD_ARP_SHORT), 1);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 0);
    ck_assert(fixture_log_has("WARN guard: arp_short"));
}
END_TEST

/* lwIP's tcp_write() asserts "mss_local is too small" for tiny MSS values
 * with timestamps; at the floor every byte still comes back. */
START_TEST(floor_mss_echoes_64k_intact)
{
    struct peer p;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    p.syn_mss = GUARD_MSS_FLOOR;
    peer_connect(&p);
    ck_assert_uint_eq(p.lwip_mss, 1460);
    echo_through(&p, (size_t)64 * 1024);
    ck_assert_uint_eq(guard_total(), 0);
}
END_TEST

/* ip6_frag() loops for ever on an MTU of 48..55; below 1280 is never valid. */
START_TEST(packet_too_big_outside_1280_to_mtu_is_dropped)
{
    send_ptb(50);
    send_ptb(GUARD_IPV6_MIN_MTU - 1);
    send_ptb(1501);
    ck_assert_uint_eq(guard_count(GUARD_ICMP6_PTB_MTU), 3);
    uint32_t before = (uint32_t)lwip_stats.icmp6.recv;
    send_ptb(GUARD_IPV6_MIN_MTU);
    send_ptb(1500);
    ck_assert_uint_eq(guard_count(GUARD_ICMP6_PTB_MTU), 3);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp6.recv, before + 2);
}
END_TEST

START_TEST(redirect_and_router_advertisement_are_dropped)
{
    uint8_t redirect[40] = {137, 0, 0, 0};
    send_ip6(58, 255, 0, 58, redirect, sizeof redirect);
    uint8_t ra[16] = {134, 0, 0, 0, 64, 0, 0x07, 0x08};
    send_ip6(58, 255, 0, 58, ra, sizeof ra);
    ck_assert_uint_eq(guard_count(GUARD_ICMP6_REDIRECT), 1);
    ck_assert_uint_eq(guard_count(GUARD_ICMP6_RA), 1);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp6.recv, 0);
}
END_TEST

static void send_frag6(uint32_t id, uint16_t offset_units, int more, const uint8_t *data, size_t len)
{
    uint8_t pkt[1500] = {58,
                         0,
                         (uint8_t)(offset_units >> 5),
                         (uint8_t)(((offset_units << 3) & 0xf8) | (more ? 1 : 0)),
                         (uint8_t)(id >> 24),
                         (uint8_t)(id >> 16),
                         (uint8_t)(id >> 8),
                         (uint8_t)id};
    memcpy(pkt + 8, data, len);
    send_ip6(44, 64, -1, 0, pkt, 8 + len);
}

/* An echo request in two fragments, the second one overlapping the first when asked. */
static void ping6_in_fragments(uint32_t id, int overlap)
{
    uint8_t echo[48] = {128, 0, 0, 0, 0, 7, 0, 1};
    for (size_t i = 8; i < sizeof echo; i++) {
        echo[i] = (uint8_t)i;
    }
    /* No checksum: the datagram must not get as far as ICMPv6 anyway when it overlaps,
     * and lwIP counts a received message before it checks the sum. */
    send_frag6(id, 0, 1, echo, 24);
    send_frag6(id, overlap ? 2 : 3, 0, echo + 24, 24);
}

START_TEST(overlapping_ipv6_fragments_drop_the_datagram)
{
    ping6_in_fragments(1, 0);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp6.recv, 1);
    ping6_in_fragments(2, 1);
    ck_assert_uint_eq(guard_count(GUARD_IP_FRAG_OVERLAP), 1);
    /* The rest of the condemned datagram is refused too, even if it would now fit. */
    uint8_t tail[24] = {0};
    send_frag6(2, 3, 0, tail, sizeof tail);
    ck_assert_uint_eq(guard_count(GUARD_IP_FRAG_POISONED), 1);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp6.recv, 1);
    /* What lwIP held of it expires with lwIP's reassembly timer (checked at teardown). */
    fake_clock_advance(61000);
}
END_TEST

/* A completed datagram frees its entry: a sender that reuses the id is not
 * mistaken for an overlap. */
START_TEST(fragment_id_may_be_reused_after_a_whole_datagram)
{
    ping6_in_fragments(5, 0);
    ping6_in_fragments(5, 0);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp6.recv, 2);
    ck_assert_uint_eq(guard_total(), 0);
}
END_TEST

START_TEST(fragmented_neighbour_discovery_is_dropped)
{
    uint8_t ns[24] = {135, 0, 0, 0};
    send_frag6(9, 0, 1, ns, 16);
    ck_assert_uint_eq(guard_count(GUARD_IP6_FRAG_ICMP6), 1);
    send_frag6(9, 2, 0, ns + 16, 8);
    ck_assert_uint_eq(guard_count(GUARD_IP_FRAG_POISONED), 1);
}
END_TEST

START_TEST(overlapping_ipv4_fragments_drop_the_datagram)
{
    uint8_t frame[WIRE_MAX_FRAME], part[32] = {8, 0, 0, 0, 0, 1, 0, 1};
    struct wire_ip4 first = {.src = PEER_IP, .dst = STACK_IP, .proto = 1, .id = 9, .frag = 0x2000};
    struct wire_ip4 second = first;
    second.frag = 0x0002; /* offset 16 bytes: overlaps the first fragment's 32 */
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &first, part, sizeof part, frame, sizeof frame));
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &second, part, sizeof part, frame, sizeof frame));
    ck_assert_uint_eq(guard_count(GUARD_IP_FRAG_OVERLAP), 1);
    ck_assert_uint_eq((uint32_t)lwip_stats.icmp.recv, 0);
    fake_clock_advance(61000);
}
END_TEST

static void spoofed_syn(uint32_t n)
{
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    fixture_send_raw_tcp(SPOOF_BASE + n % 100, (uint16_t)(1024 + n), ECHO_PORT, n * 7919u, 0, TCPF_SYN, mss,
                         4, NULL, 0);
}

/* A burst faster than handshakes can complete (10,000 clients at once):
 * no half-open connection is given up for a newcomer (an evicted client's
 * ACK would meet a RST); the SYNs beyond the limit get SYN cookies and cost
 * no pcb (test_syn_cookie.c follows a cookie to its connection). */
START_TEST(syns_beyond_the_half_open_limit_get_cookies)
{
    /* Memory for every window: the half-open limit is what is tested. */
    size_t saved = mem_budget_limit();
    mem_budget_set_limit((size_t)512 << 20);
    for (uint32_t n = 0; n < GUARD_DEFAULT_MAX_HALF_OPEN + 100; n++) {
        spoofed_syn(n);
    }
    ck_assert_uint_eq(tcp_guard_half_open(), GUARD_DEFAULT_MAX_HALF_OPEN);
    ck_assert_uint_eq((unsigned)lwip_stats.memp[MEMP_TCP_PCB]->used, GUARD_DEFAULT_MAX_HALF_OPEN);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_SENT), 100);
    ck_assert_uint_eq(guard_total(), 0);
    ck_assert(fixture_log_has("INFO guard: SYN cookie sent to 192.0.2."));
    fixture_discard_tx();
    mem_budget_set_limit(saved);
}
END_TEST

/* Found by the fuzzer: a SYN without window scaling, then the same SYN with
 * it, made lwIP assert that the window was still its default. */
START_TEST(repeated_syn_adding_window_scaling_is_dropped)
{
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    static const uint8_t mss_ws[8] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
    /* Little memory: the connection opens with less than the default window. */
    size_t saved = mem_budget_limit();
    mem_budget_set_limit((size_t)256 * 1024);
    fixture_send_raw_tcp(PEER_IP, 40500, ECHO_PORT, 1000, 0, TCPF_SYN, mss, sizeof mss, NULL, 0);
    mem_budget_set_limit(saved);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    fixture_send_raw_tcp(PEER_IP, 40500, ECHO_PORT, 1000, 0, TCPF_SYN, mss_ws, sizeof mss_ws, NULL, 0);
    ck_assert_uint_eq(guard_count(GUARD_TCP_SYN_OPTIONS_CHANGED), 1);
    /* The handshake still completes, without window scaling. */
    fixture_send_raw_tcp(PEER_IP, 40500, ECHO_PORT, 1001, s.seq + 1, TCPF_ACK, NULL, 0, NULL, 0);
    ck_assert(fixture_log_has("SYN_RCVD -> ESTABLISHED"));
}
END_TEST

/* 64 spoofed SYNs used to fill the backlog for 20 s; then the oldest
 * half-open connection was evicted; now the real client comes in with a cookie. */
START_TEST(syn_flood_leaves_room_for_a_real_client)
{
    /* 20,000 SYN/s, past the half-open limit for 2,000 of them (with
     * memory for every window: the half-open limit is what is tested). */
    size_t saved = mem_budget_limit();
    mem_budget_set_limit((size_t)512 << 20);
    const uint32_t syns = GUARD_DEFAULT_MAX_HALF_OPEN + 2000;
    for (uint32_t n = 0; n < syns; n++) {
        spoofed_syn(n);
        ck_assert_uint_le(tcp_guard_half_open(), GUARD_DEFAULT_MAX_HALF_OPEN);
        if (n % 20 == 19) {
            fake_clock_advance(1);
        }
    }
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_SENT), 2000);
    fixture_discard_tx();
    struct peer p;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    echo_through(&p, 4096);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
    mem_budget_set_limit(saved);
}
END_TEST

START_TEST(syn_at_capacity_gets_rst_and_a_log_line)
{
    /* Two connections (listeners have a pool of their own): the third SYN finds no room. */
    struct tcp_guard_config limits = {.max_conns = 2, .max_half_open = 1};
    tcp_guard_init(&limits);
    struct peer a, b, c;
    struct segment s;
    peer_init(&a, 40001, ECHO_PORT, PEER_ISS);
    peer_connect(&a);
    peer_init(&b, 40002, ECHO_PORT, PEER_ISS);
    peer_connect(&b);
    peer_init(&c, 40003, ECHO_PORT, PEER_ISS);
    peer_send(&c, TCPF_SYN, NULL, 0);
    ck_assert_int_eq(peer_recv(&c, &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_RST | TCPF_ACK);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    ck_assert_uint_eq(guard_count(GUARD_TCP_SYN_REFUSED), 1);
    ck_assert(fixture_log_has("refused with RST: all 2 connections in use"));
    /* The connections that were there keep working. */
    peer_send(&a, TCPF_ACK | TCPF_PSH, "still", 5);
    ck_assert_int_eq(peer_recv(&a, &s), 1);
    ck_assert_uint_eq(s.payload_len, 5);
}
END_TEST

/* At the limit a TIME_WAIT slot is given to a newcomer, as lwIP does when its
 * pool runs out, also when the limit is --max-conns rather than the pool. */
START_TEST(syn_at_capacity_reclaims_a_time_wait_slot)
{
    struct tcp_guard_config limits = {.max_conns = 2};
    tcp_guard_init(&limits);
    struct peer a, b, c;
    struct segment s;
    peer_init(&a, 40001, SERIAL_PORT, PEER_ISS);
    peer_connect(&a);
    peer_send(&a, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    while (peer_recv(&a, &s)) {
    }
    peer_send(&a, TCPF_ACK | TCPF_FIN, NULL, 0);
    while (peer_recv(&a, &s)) {
    }
    ck_assert_ptr_nonnull(tcp_tw_pcbs);
    peer_init(&b, 40002, ECHO_PORT, PEER_ISS);
    peer_connect(&b);
    peer_init(&c, 40003, ECHO_PORT, PEER_ISS);
    peer_connect(&c);
    ck_assert_ptr_null(tcp_tw_pcbs);
    ck_assert_uint_eq(guard_count(GUARD_TCP_SYN_REFUSED), 0);
    peer_send(&c, TCPF_ACK | TCPF_PSH, "new", 3);
    ck_assert_int_eq(peer_recv(&c, &s), 1);
    ck_assert_uint_eq(s.payload_len, 3);
}
END_TEST

START_TEST(warnings_are_rate_limited_per_reason)
{
    uint8_t frame[20] = {0};
    frame[12] = 0x08;
    frame[13] = 0x06;
    for (int i = 0; i < 5; i++) {
        fixture_inject(frame, sizeof frame);
    }
    const char *first = strstr(fixture_log(), "guard: arp_short");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, "guard: arp_short"));
    fake_clock_advance(GUARD_LOG_INTERVAL_MS);
    fixture_inject(frame, sizeof frame);
    ck_assert(fixture_log_has("(and 4 more since the last report)"));
    ck_assert_uint_eq(guard_count(GUARD_ARP_SHORT), 6);
}
END_TEST

Suite *guard_suite(void)
{
    Suite *s = suite_create("guard");
    fixture_add_test(s, short_arp_is_dropped_not_answered);
    fixture_add_test(s, floor_mss_echoes_64k_intact);
    fixture_add_test(s, packet_too_big_outside_1280_to_mtu_is_dropped);
    fixture_add_test(s, redirect_and_router_advertisement_are_dropped);
    fixture_add_test(s, overlapping_ipv6_fragments_drop_the_datagram);
    fixture_add_test(s, fragment_id_may_be_reused_after_a_whole_datagram);
    fixture_add_test(s, fragmented_neighbour_discovery_is_dropped);
    fixture_add_test(s, overlapping_ipv4_fragments_drop_the_datagram);
    fixture_add_test(s, syn_flood_leaves_room_for_a_real_client);
    fixture_add_test(s, repeated_syn_adding_window_scaling_is_dropped);
    fixture_add_test(s, ip_packets_shorter_than_their_header_are_dropped);
    fixture_add_test(s, syns_beyond_the_half_open_limit_get_cookies);
    fixture_add_test(s, syn_at_capacity_gets_rst_and_a_log_line);
    fixture_add_test(s, syn_at_capacity_reclaims_a_time_wait_slot);
    fixture_add_test(s, warnings_are_rate_limited_per_reason);
    return s;
}
