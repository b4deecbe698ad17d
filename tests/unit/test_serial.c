/* Serial echo on port 1234: every chunk comes back behind the connection's
 * chunk counter, whole and in order, and a chunk starting "bye" closes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "peer.h"
#include "services.h"
#include "suites.h"

#define PEER_ISS 5000u
/* Over 200 KB, several times TCP_SND_BUF. */
/* More than the send buffer and the window together, so that back-pressure is exercised. */
#define STREAM_SEGMENTS ((TCP_SND_BUF + TCP_WND) / TCP_MSS + 64)
/* The largest chunk lwIP hands a recv callback: its whole receive window at
 * once (after reassembly), and never more than a pbuf chain holds. */
#define MAX_CHUNK LWIP_MIN(0xffff, TCP_WND)

static void expect_reply(struct peer *p, const char *sent, const char *reply)
{
    struct segment s;
    uint32_t lwip_seq = p->rcv_nxt;
    peer_send(p, TCPF_ACK | TCPF_PSH, sent, strlen(sent));
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert_uint_eq(s.src_port, SERIAL_PORT);
    ck_assert_uint_eq(s.seq, lwip_seq);
    ck_assert_uint_eq(s.ack, p->snd_nxt);
    ck_assert_uint_eq(s.payload_len, strlen(reply));
    ck_assert_mem_eq(s.payload, reply, strlen(reply));
    ck_assert_int_eq(peer_recv(p, &s), 0);
    peer_send(p, TCPF_ACK, NULL, 0);
}

START_TEST(prefixes_chunks_and_closes_on_bye)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    expect_reply(&p, "hello\n", "0hello\n");
    expect_reply(&p, "world\n", "1world\n");

    uint32_t lwip_seq = p.rcv_nxt;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    int fins = 0;
    while (peer_recv(&p, &s)) {
        ck_assert_uint_eq(s.payload_len, 0);
        ck_assert_uint_eq(s.ack, p.snd_nxt);
        if (s.flags & TCPF_FIN) {
            ck_assert_uint_eq(s.seq, lwip_seq);
            fins++;
        }
    }
    ck_assert_int_eq(fins, 1);
    ck_assert_uint_eq(p.rcv_nxt, lwip_seq + 1);
}
END_TEST

START_TEST(long_stream_comes_back_whole_and_in_order)
{
    struct peer p;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    const size_t seg = peer_max_payload(&p);
    const size_t total = STREAM_SEGMENTS * seg;
    ck_assert_uint_gt(total, (size_t)200 * 1024);
    ck_assert_uint_gt(total, TCP_SND_BUF);
    uint8_t *data = make_pattern(total);

    /* Chunk i comes back as its decimal serial (at most 3 digits here), then its bytes. */
    const size_t cap = total + (size_t)3 * STREAM_SEGMENTS + 1;
    char *expected = malloc(cap);
    ck_assert_ptr_nonnull(expected);
    size_t expected_len = 0;
    for (unsigned i = 0; i < STREAM_SEGMENTS; i++) {
        expected_len += (size_t)sprintf(expected + expected_len, "%u", i);
        memcpy(expected + expected_len, data + i * seg, seg);
        expected_len += seg;
    }
    p.stream = malloc(cap);
    p.stream_cap = cap;

    peer_pump(&p, data, total, expected_len, 1);
    ck_assert_uint_eq(p.stream_len, expected_len);
    ck_assert_int_eq(memcmp(p.stream, expected, expected_len), 0);
    free(p.stream);
    free(expected);
    free(data);
}
END_TEST

/* Segments that arrive out of order are handed to the service as one chunk
 * once the gap fills. The serial prefix is queued beside the chunk, not
 * chained onto it: with a 64 KiB window, prefix + chunk once overflowed the
 * chain's 16-bit tot_len and aborted the process. */
START_TEST(reassembled_64k_chunk_comes_back_whole)
{
    struct peer p;
    struct segment s;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    const size_t seg = peer_max_payload(&p);
    const size_t first = MAX_CHUNK % seg;
    ck_assert_uint_gt(first, 0);
    uint8_t *data = make_pattern(MAX_CHUNK);
    uint32_t base = p.snd_nxt;

    /* Everything but the first segment, out of order: lwIP queues it. */
    for (size_t off = first; off < MAX_CHUNK; off += seg) {
        peer_send_at(&p, base + (uint32_t)off, TCPF_ACK, data + off, seg);
    }
    while (peer_recv(&p, &s)) {
        ck_assert_uint_eq(s.ack, base); /* duplicate ACKs: nothing in order yet */
    }
    p.snd_nxt = base + MAX_CHUNK;
    peer_send_at(&p, base, TCPF_ACK, data, first);

    p.stream = malloc(MAX_CHUNK + 1);
    p.stream_cap = MAX_CHUNK + 1;
    peer_pump(&p, NULL, 0, MAX_CHUNK + 1, 1);
    ck_assert_uint_eq(p.stream[0], '0');
    ck_assert_int_eq(memcmp(p.stream + 1, data, MAX_CHUNK), 0);
    free(p.stream);
    free(data);
}
END_TEST

Suite *serial_suite(void)
{
    Suite *s = suite_create("serial");
    fixture_add_test(s, prefixes_chunks_and_closes_on_bye);
    fixture_add_test(s, long_stream_comes_back_whole_and_in_order);
    fixture_add_test(s, reassembled_64k_chunk_comes_back_whole);
    return s;
}
