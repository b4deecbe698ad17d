/* RFC 862 echo on port 7: bytes come back in order, and a peer that does not
 * read closes lwIP's receive window instead of growing anyone's memory. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 1000u
/* More than lwIP can hold for a peer that does not read: its receive window
 * plus its send buffer. */
#define BACKPRESSURE_TOTAL (TCP_SND_BUF + TCP_WND + 40 * TCP_MSS)

START_TEST(echoes_hello)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    uint32_t lwip_seq = p.rcv_nxt;

    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello", 5);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.src_port, ECHO_PORT);
    ck_assert_uint_eq(s.seq, lwip_seq);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1 + 5);
    ck_assert(s.flags & TCPF_ACK);
    ck_assert_uint_eq(s.payload_len, 5);
    ck_assert_mem_eq(s.payload, "hello", 5);
    ck_assert_int_eq(peer_recv(&p, &s), 0);

    peer_send(&p, TCPF_ACK | TCPF_PSH, "again", 5);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.seq, lwip_seq + 5);
    ck_assert_uint_eq(s.ack, PEER_ISS + 1 + 10);
    ck_assert_uint_eq(s.payload_len, 5);
    ck_assert_mem_eq(s.payload, "again", 5);
}
END_TEST

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

START_TEST(backpressure_closes_window_and_loses_nothing)
{
    const size_t total = BACKPRESSURE_TOTAL;
    uint8_t *data = make_pattern(total);
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    p.stream = malloc(total);
    p.stream_cap = total;
    peer_connect(&p);
    const uint32_t granularity = 1u << p.lwip_wscale;

    /* Phase 1: the peer writes as far as lwIP's window lets it and reads, but never acknowledges. */
    peer_freeze_acks(&p);
    size_t sent = 0;
    uint32_t right_edge = p.snd_una + p.snd_wnd;
    for (int stalls = 0;;) {
        uint32_t room = peer_send_room(&p);
        if (room > 0) {
            size_t n = min_size(min_size(room, peer_max_payload(&p)), total - sent);
            peer_send(&p, TCPF_ACK, data + sent, n);
            sent += n;
        } else if (p.snd_una != p.snd_nxt) {
            /* lwIP holds back an ACK for an odd segment until its fast timer. */
            fixture_wait_for_timer(&stalls);
        } else {
            break;
        }
        while (peer_recv(&p, &s)) {
            /* A window that went negative inside lwIP would show up as a huge one. */
            ck_assert_uint_le((uint32_t)s.window << p.lwip_wscale, TCP_WND);
            uint32_t edge = s.ack + ((uint32_t)s.window << p.lwip_wscale);
            /* The right edge may only retreat by what window scaling rounds away. */
            ck_assert_msg(!seq_lt(edge + granularity - 1, right_edge),
                          "lwIP moved its window's right edge back from %u to %u", right_edge, edge);
            if (seq_lt(right_edge, edge)) {
                right_edge = edge;
            }
        }
        ck_assert_uint_lt(sent, total);
    }
    ck_assert_uint_eq(p.snd_wnd, 0);
    /* Everything sent was acknowledged: closing the window dropped nothing. */
    ck_assert_uint_eq(p.snd_una, p.snd_nxt);
    /* What lwIP took in is bounded by what it can hold for a peer that does not read. */
    ck_assert_uint_ge(sent, TCP_WND);
    ck_assert_uint_le(sent, TCP_SND_BUF + TCP_WND);

    /* Phase 2: the peer acknowledges what it reads; everything flows again. */
    peer_thaw_acks(&p);
    uint32_t acked = p.frozen_ack;
    for (int stalls = 0; p.stream_len < total;) {
        int progress = 0;
        while (peer_send_room(&p) > 0 && sent < total) {
            size_t n = min_size(min_size(peer_send_room(&p), peer_max_payload(&p)), total - sent);
            peer_send(&p, TCPF_ACK, data + sent, n);
            sent += n;
            progress = 1;
        }
        while (peer_recv(&p, &s)) {
            progress = 1;
        }
        progress |= peer_ack_new_data(&p, &acked);
        if (!progress) {
            fixture_wait_for_timer(&stalls);
        }
    }
    ck_assert_uint_eq(p.stream_len, total);
    ck_assert_int_eq(memcmp(p.stream, data, total), 0);
    free(p.stream);
    free(data);
}
END_TEST

/* RFC 862 has the server echo until the client closes; what was queued when the
 * peer's FIN arrived must still come back, before lwIP's own FIN. */
START_TEST(answers_everything_before_closing_after_peer_fin)
{
    /* lwIP's send buffer fills (our ACKs are frozen), so the last TCP_WND / 2
     * bytes are still queued in the service when the FIN arrives. */
    const size_t total = TCP_SND_BUF + TCP_WND / 2;
    uint8_t *data = make_pattern(total);
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    p.stream = malloc(total);
    p.stream_cap = total;
    peer_connect(&p);
    const uint32_t lwip_data_start = p.rcv_nxt;

    /* All of it, FIN on the last segment, acknowledging none of the echo. */
    peer_freeze_acks(&p);
    int stalls = 0;
    for (size_t sent = 0; sent < total;) {
        size_t n = min_size(peer_max_payload(&p), total - sent);
        if (peer_send_room(&p) >= n) {
            peer_send(&p, sent + n == total ? TCPF_ACK | TCPF_FIN : TCPF_ACK, data + sent, n);
            sent += n;
        } else if (!peer_recv(&p, &s)) {
            /* Waiting for a window update lwIP may delay to its next timer. */
            fixture_wait_for_timer(&stalls);
        }
    }
    peer_thaw_acks(&p);

    uint32_t acked = p.frozen_ack;
    int fin_seen = 0;
    for (stalls = 0; !fin_seen;) {
        int progress = 0;
        while (peer_recv(&p, &s)) {
            if (s.flags & TCPF_FIN) {
                ck_assert_uint_eq(s.seq + s.payload_len, lwip_data_start + total);
                fin_seen = 1;
            }
            progress = 1;
        }
        progress |= peer_ack_new_data(&p, &acked);
        if (!progress) {
            fixture_wait_for_timer(&stalls);
        }
    }
    ck_assert_uint_eq(p.stream_len, total);
    ck_assert_int_eq(memcmp(p.stream, data, total), 0);
    /* Our ACK of lwIP's FIN ended the connection. */
    ck_assert_ptr_null(tcp_active_pcbs);
    free(p.stream);
    free(data);
}
END_TEST

Suite *echo_suite(void)
{
    Suite *s = suite_create("echo");
    fixture_add_test(s, echoes_hello);
    fixture_add_test(s, backpressure_closes_window_and_loses_nothing);
    fixture_add_test(s, answers_everything_before_closing_after_peer_fin);
    return s;
}
