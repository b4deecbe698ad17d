/* TCP options as the guard hands them to lwIP: rewritten as Linux reads
 * them (RFC 9293 3.1, MUST-7; Linux's tcp_parse_options), never dropped in
 * silence. Each test sends what a peer may send and checks lwIP serves it,
 * or refuses it visibly, and that the guard counted and logged it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lwiptap/guard.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 5000u

/* Linux clamps an MSS below tcp_min_snd_mss (48) up to it and serves; the
 * guard rewrites the option to 48 before lwIP reads it. */
START_TEST(syn_below_mss_floor_is_clamped)
{
    static const uint16_t tiny[] = {1, GUARD_MSS_FLOOR - 1};
    for (size_t n = 0; n < sizeof tiny / sizeof tiny[0]; n++) {
        struct peer p;
        struct segment s;
        peer_init(&p, (uint16_t)(40000 + n), ECHO_PORT, PEER_ISS);
        p.syn_mss = tiny[n];
        peer_connect(&p);
        uint8_t *data = make_pattern(200);
        peer_send(&p, TCPF_ACK | TCPF_PSH, data, 200);
        size_t echoed = 0;
        for (int stalls = 0; echoed < 200;) {
            while (peer_recv(&p, &s)) {
                /* 48 less the 12 bytes of the timestamp option */
                ck_assert_uint_le(s.payload_len, GUARD_MSS_FLOOR - 12);
                echoed += s.payload_len;
            }
            peer_send(&p, TCPF_ACK, NULL, 0);
            fixture_wait_for_timer(&stalls);
        }
        free(data);
    }
    ck_assert_uint_eq(guard_count(GUARD_TCP_MSS_LOW), 2);
    ck_assert(fixture_log_has("MSS 1 raised to the floor of 48"));
}
END_TEST

/* An MSS on a data segment used to shrink pcb->mss under queued data and
 * abort; RFC 9293 sends it only in a SYN and Linux ignores it elsewhere. */
START_TEST(mss_option_outside_syn_is_ignored)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    static const uint8_t mss_opt[4] = {2, 4, 0, 8};
    fixture_send_raw_tcp(PEER_IP, 40000, ECHO_PORT, p.snd_nxt, p.rcv_nxt, TCPF_ACK | TCPF_PSH, mss_opt, 4,
                         "abc", 3);
    p.snd_nxt += 3;
    ck_assert_uint_eq(guard_count(GUARD_TCP_MSS_NOT_SYN), 1);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 3);
    /* The MSS of the handshake still holds. */
    uint8_t *data = make_pattern(1400);
    peer_send(&p, TCPF_ACK | TCPF_PSH, data, 1400);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 1400);
    free(data);
}
END_TEST

/* Options whose lengths cannot be parsed (RFC 9293 MUST-7): a SYN is refused
 * with a RST, RFC 9293's suggested procedure, so the peer knows at once. */
START_TEST(syn_with_unparseable_options_gets_rst)
{
    static const uint8_t bad[][4] = {
        {8, 0, 1, 1},  /* zero length */
        {4, 1, 1, 1},  /* length 1 */
        {2, 40, 1, 1}, /* runs past the header */
        {1, 1, 1, 30}, /* a kind with no room for its length byte */
    };
    struct segment s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture_send_raw_tcp(PEER_IP, (uint16_t)(41000 + i), ECHO_PORT, 1000, 0, TCPF_SYN, bad[i], 4, NULL,
                             0);
        ck_assert_int_eq(fixture_next_tcp(&s), 1);
        ck_assert_uint_eq(s.dst_port, 41000 + i);
        ck_assert_uint_eq(s.flags, TCPF_RST | TCPF_ACK);
        ck_assert_uint_eq(s.ack, 1001);
    }
    ck_assert_uint_eq(guard_count(GUARD_TCP_OPT_MALFORMED), sizeof bad / sizeof bad[0]);
    ck_assert(fixture_log_has("TCP option 8 of length 0 at byte 0 cannot be parsed, SYN refused with RST"));
    ck_assert_uint_eq(tcp_guard_half_open(), 0);
}
END_TEST

/* A known option of the wrong length is skipped by its length, as Linux
 * does: the SYN is served, without what that option would have negotiated. */
START_TEST(syn_with_wrong_length_option_is_served_without_it)
{
    static const uint8_t bad_ws[8] = {3, 4, 7, 1, 2, 4, 0x02, 0x00};
    struct segment s;
    fixture_send_raw_tcp(PEER_IP, 41000, ECHO_PORT, 1000, 0, TCPF_SYN, bad_ws, sizeof bad_ws, NULL, 0);
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_int_eq(s.opts.wscale, -1);
    ck_assert_uint_eq(guard_count(GUARD_TCP_OPT_BAD_LENGTH), 1);
    ck_assert(fixture_log_has("TCP option 3 with a length of 4, ignored"));
    fixture_send_raw_tcp(PEER_IP, 41000, ECHO_PORT, 1001, s.seq + 1, TCPF_ACK, NULL, 0, NULL, 0);
    ck_assert(fixture_log_has("SYN_RCVD -> ESTABLISHED"));
    /* The MSS after the bad option was read (lwIP alone stops parsing there). */
    uint8_t *data = make_pattern(1000);
    fixture_send_raw_tcp(PEER_IP, 41000, ECHO_PORT, 1001, s.seq + 1, TCPF_ACK | TCPF_PSH, NULL, 0, data,
                         1000);
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.payload_len, 512);
    free(data);
}
END_TEST

/* On a data segment Linux stops parsing at the bad option and takes the
 * data: so does lwIP-tap, the rest of the options blanked. */
START_TEST(data_with_malformed_options_is_served)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    static const uint8_t bad[][4] = {
        {8, 0, 1, 1},  /* zero length: lwIP would loop on it */
        {5, 3, 1, 1},  /* SACK shorter than one block */
        {2, 40, 1, 1}, /* runs past the header */
        {3, 4, 7, 1},  /* window scale with the wrong length */
        {1, 1, 1, 30}, /* a kind with no room for its length byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture_send_raw_tcp(PEER_IP, 40000, ECHO_PORT, p.snd_nxt, p.rcv_nxt, TCPF_ACK | TCPF_PSH, bad[i], 4,
                             "x", 1);
        p.snd_nxt++;
        ck_assert_int_eq(peer_recv(&p, &s), 1);
        ck_assert_uint_eq(s.payload_len, 1);
    }
    ck_assert_uint_eq(guard_count(GUARD_TCP_OPT_MALFORMED), 3);
    ck_assert_uint_eq(guard_count(GUARD_TCP_OPT_BAD_LENGTH), 2);
}
END_TEST

Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    fixture_add_test(s, syn_below_mss_floor_is_clamped);
    fixture_add_test(s, mss_option_outside_syn_is_ignored);
    fixture_add_test(s, syn_with_unparseable_options_gets_rst);
    fixture_add_test(s, syn_with_wrong_length_option_is_served_without_it);
    fixture_add_test(s, data_with_malformed_options_is_served);
    return s;
}
