/* SYN cookies (port/guard/syn_cookie.c, cookie_handshake.c): the keyed hash
 * against the paper's vectors, cookie values on the fake clock, and the
 * handshake through the whole stack with the half-open table full: a cookie
 * SYN-ACK and no pcb, then a connection with the client's options; forged,
 * replayed and stale cookies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwiptap/guard.h"
#include "lwiptap/siphash.h"
#include "lwiptap/syn_cookie.h"
#include "lwiptap/timeline.h"
#include "peer.h"
#include "suites.h"
#include "tcp_statelog.h"
#include "wire.h"

#define PEER_ISS 5000u
#define SPOOF_BASE 0xc0000264u /* 192.0.2.100: nobody answers ARP for it */
#define HALF_OPEN_LIMIT 4
#define TS_OPT_LEN 12

static unsigned pcbs_in_use(void)
{
    return (unsigned)lwip_stats.memp[MEMP_TCP_PCB]->used;
}

static struct tcp_pcb *pcb_of_port(uint16_t remote_port)
{
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->remote_port == remote_port) {
            return pcb;
        }
    }
    return NULL;
}

/* A segment from 192.0.2.1 with raw options. */
static void send_tcp(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts,
                     size_t optlen)
{
    uint8_t seg[128], frame[WIRE_MAX_FRAME];
    size_t seglen =
        wire_tcp(sport, ECHO_PORT, seq, ack, flags, 0xffff, opts, optlen, NULL, 0, seg, sizeof seg);
    struct wire_ip4 ip = {.src = PEER_IP, .dst = STACK_IP, .proto = 6, .l4_checksum = 1};
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame));
}

/* The half-open table full of spoofed SYNs, which are never answered. */
static void fill_half_open_table(void)
{
    struct tcp_guard_config limits = {.max_half_open = HALF_OPEN_LIMIT};
    tcp_guard_init(&limits);
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    for (uint32_t n = 0; n < HALF_OPEN_LIMIT; n++) {
        uint8_t seg[64], frame[WIRE_MAX_FRAME];
        size_t seglen = wire_tcp((uint16_t)(1024 + n), ECHO_PORT, n * 7919u, 0, TCPF_SYN, 0xffff, mss, 4,
                                 NULL, 0, seg, sizeof seg);
        struct wire_ip4 ip = {.src = SPOOF_BASE + n, .dst = STACK_IP, .proto = 6, .l4_checksum = 1};
        fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame));
    }
    ck_assert_uint_eq(tcp_guard_half_open(), HALF_OPEN_LIMIT);
    fixture_discard_tx();
}

/* The peer's SYN, answered with a cookie: returns the SYN-ACK. */
static struct segment cookie_syn_ack(struct peer *p, uint16_t port)
{
    struct segment s;
    peer_init(p, port, ECHO_PORT, PEER_ISS);
    unsigned before = pcbs_in_use();
    peer_send(p, TCPF_SYN, NULL, 0);
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    ck_assert_uint_eq(pcbs_in_use(), before);
    return s;
}

/* The cookie's connection opened with the zero window its SYN-ACK
 * announced. lwIP answers a segment that arrives in a zero window with an
 * ACK (window 0, and without any data it carried); then, from the timers
 * and with memory to spare, the guard opens the window and says so. */
static void expect_zero_window_then_update(struct peer *p)
{
    struct segment s;
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_ACK);
    ck_assert_uint_eq(s.window, 0);
    ck_assert_uint_eq(s.payload_len, 0);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1);
    ck_assert_int_eq(peer_recv(p, &s), 0);
    fake_clock_advance(1);
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_ACK);
    ck_assert_uint_gt(p->snd_wnd, 0);
    ck_assert_uint_eq(guard_event_count(GUARD_WINDOW_WAITED), guard_event_count(GUARD_WINDOW_OPENED));
}

START_TEST(siphash_matches_the_papers_test_vectors)
{
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
    }
    for (int i = 0; i < 15; i++) {
        msg[i] = (uint8_t)i;
    }
    /* Appendix A of the paper, and the first of its reference vectors (empty input). */
    ck_assert_uint_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
    ck_assert_uint_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
    ck_assert_uint_ne(siphash24(key, msg, 8), siphash24(key, msg, 9));
}
END_TEST

START_TEST(cookies_are_valid_for_two_periods_and_bound_to_the_segment)
{
    ip_addr_t local = IPADDR4_INIT_BYTES(192, 0, 2, 2), remote = IPADDR4_INIT_BYTES(192, 0, 2, 1);
    ip_addr_t other = IPADDR4_INIT_BYTES(192, 0, 2, 3);
    struct syn_cookie_tuple t = {&local, &remote, 7, 40000}, moved = {&local, &other, 7, 40000};
    uint16_t mss = 0, mss_back = 0;
    unsigned age = 0;
    uint32_t made_at = 5 * SYN_COOKIE_PERIOD_MS + 100;
    uint32_t c = syn_cookie_make(&t, 1234, 1460, made_at, &mss);
    ck_assert_uint_eq(mss, 1460);
    ck_assert_int_eq(syn_cookie_check(&t, 1234, c, made_at, &mss_back, &age), SYN_COOKIE_VALID);
    ck_assert_uint_eq(mss_back, 1460);
    ck_assert_int_eq(syn_cookie_check(&t, 1234, c, made_at + SYN_COOKIE_PERIOD_MS, &mss_back, &age),
                     SYN_COOKIE_VALID);
    ck_assert_int_eq(syn_cookie_check(&t, 1234, c, made_at + 2 * SYN_COOKIE_PERIOD_MS, &mss_back, &age),
                     SYN_COOKIE_STALE);
    ck_assert_uint_eq(age, 2);
    ck_assert_int_eq(syn_cookie_check(&t, 1235, c, made_at, &mss_back, &age), SYN_COOKIE_FORGED);
    ck_assert_int_eq(syn_cookie_check(&moved, 1234, c, made_at, &mss_back, &age), SYN_COOKIE_FORGED);
    /* The MSS bits are under the MAC: a client cannot raise its own. */
    ck_assert_int_eq(syn_cookie_check(&t, 1234, c ^ (1u << 27), made_at, &mss_back, &age), SYN_COOKIE_FORGED);
    ck_assert_int_eq(syn_cookie_check(&t, 1234, c ^ 1u, made_at, &mss_back, &age), SYN_COOKIE_FORGED);
    /* The MSS is never above the client's. */
    syn_cookie_make(&t, 1, 1439, made_at, &mss);
    ck_assert_uint_eq(mss, 536);
    syn_cookie_make(&t, 1, 0, made_at, &mss);
    ck_assert_uint_eq(mss, 536);
    syn_cookie_make(&t, 1, 500, made_at, &mss);
    ck_assert_uint_eq(mss, GUARD_MSS_FLOOR);
}
END_TEST

START_TEST(the_tsval_carries_wscale_and_sack_and_never_runs_ahead)
{
    int ws = 0, sack = 0;
    for (uint32_t now = 1000; now < 1100; now++) {
        uint32_t tsval = syn_cookie_tsval(now, 7, 1);
        ck_assert_uint_le(tsval, now);
        ck_assert_uint_gt(tsval + 64, now);
        syn_cookie_ts_options(tsval, &ws, &sack);
        ck_assert_int_eq(ws, 7);
        ck_assert_int_eq(sack, 1);
    }
    syn_cookie_ts_options(syn_cookie_tsval(5000, -1, 0), &ws, &sack);
    ck_assert_int_eq(ws, -1);
    ck_assert_int_eq(sack, 0);
}
END_TEST

/* The whole path: with the table full a SYN gets a cookie and no pcb; its
 * ACK makes a connection that has the client's MSS, window scale and SACK,
 * and echoes 64 KiB byte-exact. */
START_TEST(full_table_syn_gets_a_cookie_and_its_ack_a_connection)
{
    fill_half_open_table();
    struct peer p;
    uint32_t syn_tsval = 0;
    struct segment s = cookie_syn_ack(&p, 40000);
    syn_tsval = p.tsval;
    ck_assert_uint_eq(s.opts.mss, 1460);
    ck_assert_int_eq(s.opts.wscale, TCP_RCV_SCALE);
    ck_assert_int_eq(s.opts.sack_permitted, 1);
    ck_assert_int_eq(s.opts.timestamps, 1);
    ck_assert_uint_le(s.opts.tsecr, syn_tsval);
    ck_assert_uint_eq(s.window, 0);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_SENT), 1);
    ck_assert(fixture_log_has(
        "INFO guard: SYN cookie sent to 192.0.2.1:40000 (port 7, MSS 1460): 4 connections half-open"));
    ck_assert_ptr_null(pcb_of_port(40000));

    peer_send(&p, TCPF_ACK, NULL, 0);
    struct tcp_pcb *pcb = pcb_of_port(40000);
    ck_assert_ptr_nonnull(pcb);
    ck_assert_int_eq(pcb->state, ESTABLISHED);
    ck_assert_uint_eq(pcb->mss, 1460);
    ck_assert_uint_eq(pcb->snd_scale, PEER_WSCALE);
    ck_assert_uint_eq(pcb->rcv_scale, TCP_RCV_SCALE);
    ck_assert(pcb->flags & TF_SACK);
    ck_assert(pcb->flags & TF_TIMESTAMP);
    ck_assert_uint_eq(pcb->lastack, s.seq + 1);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
    ck_assert(fixture_log_has(
        "INFO guard: SYN cookie accepted from 192.0.2.1:40000: connection to port 7 (MSS 1460, "
        "window scale 7, SACK yes)"));
    /* No pcb was ever half-open: the state log goes straight from the listener. */
    ck_assert(fixture_log_has(
        "tcp-state: 192.0.2.2:7 192.0.2.1:40000 LISTEN -> ESTABLISHED via rx [.] (SYN cookie accepted)\n"));
    /* lwIP's own SYN-ACK of the replayed SYN never reached the wire: what
     * comes is the zero window's ACK, then the window update. */
    expect_zero_window_then_update(&p);
    ck_assert_uint_eq(guard_event_count(GUARD_WINDOW_WAITED), 1);
    ck_assert(fixture_log_has("INFO guard: 192.0.2.1:40000 waits with a zero window (1 waiting)"));
    ck_assert(fixture_log_has("INFO guard: window of 192.0.2.1:40000 opened to "));

    size_t total = (size_t)64 * 1024;
    uint8_t *data = make_pattern(total);
    p.stream = malloc(total);
    p.stream_cap = total;
    peer_pump(&p, data, total, total, 0);
    ck_assert_int_eq(memcmp(p.stream, data, total), 0);
    free(p.stream);
    p.stream = NULL;
    free(data);
    ck_assert_uint_eq(tcp_guard_half_open(), HALF_OPEN_LIMIT);
    ck_assert_uint_eq(guard_total(), 0);
}
END_TEST

/* On the wire a cookie's SYN-ACK is an ordinary one: the timeline, --explain
 * and the state log say what it is, and a connection that was half-open in
 * lwIP is not said to be one. */
START_TEST(every_view_names_the_cookie)
{
    struct timeline_options trace = {1, 0, 1};
    timeline_configure(&trace);
    tcp_statelog_set_explain(1);
    fill_half_open_table();
    ck_assert(!fixture_log_has("SYN cookie"));
    struct peer p;
    cookie_syn_ack(&p, 40000);
    ck_assert(fixture_log_has("192.0.2.2.7 > 192.0.2.1.40000: Flags [S.], seq 0, ack 1, win 0, "));
    ck_assert(fixture_log_has("(zero window, SYN cookie)\n"));
    ck_assert(fixture_log_has("explain: SYN-ACK with a SYN cookie (RFC 4987): lwIP's guard keeps no state"));
    peer_send(&p, TCPF_ACK, NULL, 0);
    ck_assert(fixture_log_has(
        "tcp-state: 192.0.2.2:7 192.0.2.1:40000 LISTEN -> ESTABLISHED via rx [.] (SYN cookie accepted)\n"));
    ck_assert(fixture_log_has("explain: The host's ACK returned lwIP's SYN cookie"));
    /* The half-open ones that filled the table came the usual way. */
    ck_assert(fixture_log_has("LISTEN -> SYN_RCVD via rx [S]\n"));
    const char *log = fixture_log();
    size_t cookies = 0;
    for (const char *at = log; (at = strstr(at, "SYN cookie accepted)")) != NULL; at++) {
        cookies++;
    }
    ck_assert_uint_eq(cookies, 1);
}
END_TEST

/* Data on the cookie's ACK is beyond the zero window the SYN-ACK
 * announced: the connection is made, the data is not taken, and once the
 * window opens the client's copy reaches the service. */
START_TEST(cookie_ack_with_data_delivers_it)
{
    fill_half_open_table();
    struct peer p;
    struct segment s;
    cookie_syn_ack(&p, 40001);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "first", 5);
    ck_assert_ptr_nonnull(pcb_of_port(40001));
    expect_zero_window_then_update(&p);
    peer_send_at(&p, PEER_ISS + 1, TCPF_ACK | TCPF_PSH, "first", 5);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 5);
    ck_assert_int_eq(memcmp(s.payload, "first", 5), 0);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
}
END_TEST

static const uint8_t ts_opts_template[TS_OPT_LEN] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};

static void ts_opts(uint8_t out[TS_OPT_LEN], uint32_t tsecr)
{
    memcpy(out, ts_opts_template, TS_OPT_LEN);
    out[8] = (uint8_t)(tsecr >> 24);
    out[9] = (uint8_t)(tsecr >> 16);
    out[10] = (uint8_t)(tsecr >> 8);
    out[11] = (uint8_t)tsecr;
}

/* A cookie SYN-ACK for the peer at port with the table full, and in opts
 * the timestamp option that echoes it, as a raw ACK carries it. */
static struct segment cookie_with_ts_echo(uint16_t port, uint8_t opts[TS_OPT_LEN])
{
    struct peer p;
    fill_half_open_table();
    struct segment syn_ack = cookie_syn_ack(&p, port);
    ts_opts(opts, syn_ack.opts.tsval);
    return syn_ack;
}

/* An ACK with a cookie we never made: dropped and counted (Linux sends a
 * RST; why we do not: cookie_handshake.c). */
START_TEST(forged_cookie_is_dropped_and_makes_no_connection)
{
    uint8_t opts[TS_OPT_LEN];
    struct segment syn_ack = cookie_with_ts_echo(40002, opts);
    unsigned before = pcbs_in_use();
    /* The right client, a wrong cookie; then a cookie for another port. */
    send_tcp(40002, PEER_ISS + 1, syn_ack.seq + 2, TCPF_ACK, opts, sizeof opts);
    send_tcp(40003, PEER_ISS + 1, syn_ack.seq + 1, TCPF_ACK, opts, sizeof opts);
    ck_assert_uint_eq(guard_count(GUARD_TCP_COOKIE_FORGED), 2);
    ck_assert_uint_eq(pcbs_in_use(), before);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 0);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 0);
    ck_assert(fixture_log_has(
        "WARN guard: tcp_syn_cookie_forged: ACK from 192.0.2.1:40002 to port 7 returns no SYN "
        "cookie of ours: dropped"));
}
END_TEST

/* The cookie's ACK again, once its connection exists: the connection takes
 * it as a duplicate, no second connection is made. */
START_TEST(replayed_cookie_goes_to_its_connection_not_a_new_one)
{
    uint8_t opts[TS_OPT_LEN];
    struct segment syn_ack = cookie_with_ts_echo(40004, opts);
    send_tcp(40004, PEER_ISS + 1, syn_ack.seq + 1, TCPF_ACK, opts, sizeof opts);
    ck_assert_ptr_nonnull(pcb_of_port(40004));
    unsigned after_first = pcbs_in_use();
    send_tcp(40004, PEER_ISS + 1, syn_ack.seq + 1, TCPF_ACK, opts, sizeof opts);
    ck_assert_uint_eq(pcbs_in_use(), after_first);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
    struct tcp_pcb *pcb = pcb_of_port(40004);
    ck_assert_ptr_nonnull(pcb);
    ck_assert_int_eq(pcb != NULL ? pcb->state : CLOSED, ESTABLISHED);
    ck_assert_uint_eq(guard_total(), 0);
    fixture_discard_tx();
}
END_TEST

/* A genuine cookie, returned more than two periods after it was made. */
START_TEST(stale_cookie_gets_rst_and_is_counted)
{
    uint8_t opts[TS_OPT_LEN];
    struct segment syn_ack = cookie_with_ts_echo(40005, opts);
    /* The spoofed half-open pcbs time out on the way (lwIP's 20 s). */
    fake_clock_advance(2 * SYN_COOKIE_PERIOD_MS);
    fixture_discard_tx();
    send_tcp(40005, PEER_ISS + 1, syn_ack.seq + 1, TCPF_ACK, opts, sizeof opts);
    ck_assert_ptr_null(pcb_of_port(40005));
    ck_assert_uint_eq(guard_count(GUARD_TCP_COOKIE_STALE), 1);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 0);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags & TCPF_RST, TCPF_RST);
    ck_assert(fixture_log_has(
        "tcp_syn_cookie_stale: ACK from 192.0.2.1:40005 to port 7 returns a SYN cookie 2 periods"));
}
END_TEST

/* One period later the same cookie still makes its connection. */
START_TEST(cookie_of_the_previous_period_is_accepted)
{
    fill_half_open_table();
    struct peer p;
    cookie_syn_ack(&p, 40006);
    fake_clock_advance(SYN_COOKIE_PERIOD_MS);
    fixture_discard_tx();
    peer_send(&p, TCPF_ACK, NULL, 0);
    ck_assert_ptr_nonnull(pcb_of_port(40006));
    expect_zero_window_then_update(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "late", 4);
    struct segment s;
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 4);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
}
END_TEST

/* The ACK that carried the cookie was lost. With the zero window the
 * cookie SYN-ACK announced, the client's next segment is a zero-window
 * probe, one below its next sequence number (Linux's tcp_xmit_probe_skb):
 * it brings the cookie back, and the connection is made. */
START_TEST(zero_window_probe_brings_a_lost_cookie_ack_back)
{
    fill_half_open_table();
    struct peer p;
    cookie_syn_ack(&p, 40011);
    peer_send_at(&p, PEER_ISS, TCPF_ACK, NULL, 0);
    struct tcp_pcb *pcb = pcb_of_port(40011);
    ck_assert_ptr_nonnull(pcb);
    ck_assert_int_eq(pcb != NULL ? pcb->state : CLOSED, ESTABLISHED);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
    ck_assert_uint_eq(guard_count(GUARD_TCP_COOKIE_FORGED), 0);
    expect_zero_window_then_update(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "probe", 5);
    struct segment s;
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.payload_len, 5);
}
END_TEST

/* A client without timestamps has nowhere to keep window scale and SACK:
 * its connection goes without them, on both sides, but it connects. */
START_TEST(cookie_without_timestamps_connects_without_wscale_and_sack)
{
    fill_half_open_table();
    static const uint8_t syn_opts[8] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
    send_tcp(40008, PEER_ISS, 0, TCPF_SYN, syn_opts, sizeof syn_opts);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_int_eq(s.opts.wscale, -1);
    ck_assert_int_eq(s.opts.sack_permitted, 0);
    ck_assert_int_eq(s.opts.timestamps, 0);
    send_tcp(40008, PEER_ISS + 1, s.seq + 1, TCPF_ACK, NULL, 0);
    struct tcp_pcb *pcb = pcb_of_port(40008);
    ck_assert_ptr_nonnull(pcb);
    if (pcb != NULL) {
        ck_assert_int_eq(pcb->state, ESTABLISHED);
        ck_assert_uint_eq(pcb->flags & (TF_WND_SCALE | TF_SACK | TF_TIMESTAMP), 0);
    }
    ck_assert(fixture_log_has("(MSS 1460, window scale none, SACK no)"));
    fixture_discard_tx();
}
END_TEST

/* Every slot taken when a valid cookie comes back: the ACK is dropped, no
 * RST (the client holds an established connection); its next segment
 * brings the cookie back and gets the slot a timed-out half-open one left. */
START_TEST(valid_cookie_without_room_waits_for_the_clients_next_segment)
{
    struct tcp_guard_config limits = {.max_conns = 2, .max_half_open = 1};
    tcp_guard_init(&limits);
    struct peer a, c;
    struct segment s;
    peer_init(&a, 40009, ECHO_PORT, PEER_ISS);
    peer_connect(&a);
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    uint8_t seg[64], frame[WIRE_MAX_FRAME];
    size_t seglen = wire_tcp(1024, ECHO_PORT, 99, 0, TCPF_SYN, 0xffff, mss, 4, NULL, 0, seg, sizeof seg);
    struct wire_ip4 ip = {.src = SPOOF_BASE, .dst = STACK_IP, .proto = 6, .l4_checksum = 1};
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame));
    fixture_discard_tx();
    cookie_syn_ack(&c, 40010);
    peer_send(&c, TCPF_ACK | TCPF_PSH, "wait", 4);
    ck_assert_int_eq(peer_recv(&c, &s), 0);
    ck_assert_uint_eq(guard_count(GUARD_TCP_COOKIE_NO_ROOM), 1);
    ck_assert(
        fixture_log_has("valid SYN cookie from 192.0.2.1:40010, but all 2 connections in use: ACK dropped"));
    /* lwIP gives up the spoofed half-open connection after 20 s. */
    fake_clock_advance(21000);
    fixture_discard_tx();
    peer_send_at(&c, PEER_ISS + 1, TCPF_ACK | TCPF_PSH, "wait", 4);
    expect_zero_window_then_update(&c);
    peer_send_at(&c, PEER_ISS + 1, TCPF_ACK | TCPF_PSH, "wait", 4);
    ck_assert_int_eq(peer_recv(&c, &s), 1);
    ck_assert_uint_eq(s.payload_len, 4);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), 1);
}
END_TEST

/* Connections that completed their handshake leave the half-open count
 * (lazily, a few per SYN): the next client gets a pcb, not a cookie. */
START_TEST(established_connections_free_their_half_open_places)
{
    struct tcp_guard_config limits = {.max_half_open = HALF_OPEN_LIMIT};
    tcp_guard_init(&limits);
    struct peer peers[HALF_OPEN_LIMIT + 1];
    for (uint16_t i = 0; i <= HALF_OPEN_LIMIT; i++) {
        peer_init(&peers[i], (uint16_t)(40100 + i), ECHO_PORT, PEER_ISS);
        peer_connect(&peers[i]);
    }
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_SENT), 0);
    ck_assert_uint_eq(tcp_guard_half_open(), 0);
}
END_TEST

/* With no cookie sent lately an ACK to a listener is lwIP's business: a RST, no count. */
START_TEST(stray_ack_without_cookies_is_not_a_rejected_cookie)
{
    send_tcp(40007, 1, 12345, TCPF_ACK, NULL, 0);
    struct segment s;
    ck_assert_int_eq(fixture_next_tcp(&s), 1);
    ck_assert_uint_eq(s.flags & TCPF_RST, TCPF_RST);
    ck_assert_uint_eq(guard_total(), 0);
}
END_TEST

Suite *syn_cookie_suite(void)
{
    Suite *s = suite_create("syn_cookie");
    fixture_add_test(s, siphash_matches_the_papers_test_vectors);
    fixture_add_test(s, cookies_are_valid_for_two_periods_and_bound_to_the_segment);
    fixture_add_test(s, the_tsval_carries_wscale_and_sack_and_never_runs_ahead);
    fixture_add_test(s, full_table_syn_gets_a_cookie_and_its_ack_a_connection);
    fixture_add_test(s, every_view_names_the_cookie);
    fixture_add_test(s, cookie_ack_with_data_delivers_it);
    fixture_add_test(s, forged_cookie_is_dropped_and_makes_no_connection);
    fixture_add_test(s, replayed_cookie_goes_to_its_connection_not_a_new_one);
    fixture_add_test(s, stale_cookie_gets_rst_and_is_counted);
    fixture_add_test(s, cookie_of_the_previous_period_is_accepted);
    fixture_add_test(s, zero_window_probe_brings_a_lost_cookie_ack_back);
    fixture_add_test(s, stray_ack_without_cookies_is_not_a_rejected_cookie);
    fixture_add_test(s, cookie_without_timestamps_connects_without_wscale_and_sack);
    fixture_add_test(s, valid_cookie_without_room_waits_for_the_clients_next_segment);
    fixture_add_test(s, established_connections_free_their_half_open_places);
    return s;
}
