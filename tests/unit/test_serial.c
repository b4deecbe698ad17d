/* Serial echo on port 1234: every message comes back behind the connection's
 * message counter, whole and in order, and a message starting "bye" closes.
 * A message ends at a newline; a pushed chunk of bare words (no newline yet)
 * is a message too, as the original client sends them. */
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
/* Longer than the longest bare word the service takes (4096 bytes). */
#define SERIAL_TEST_LONG 6000

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

/* The oracle: a serial number before the first byte and after each newline
 * that more data follows. */
static char *serial_framed(const uint8_t *data, size_t len, size_t *out_len)
{
    size_t newlines = 0;
    for (size_t i = 0; i < len; i++) {
        newlines += data[i] == '\n';
    }
    char *out = malloc(len + (newlines + 1) * 12);
    ck_assert_ptr_nonnull(out);
    size_t n = 0;
    unsigned serial = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 0 || data[i - 1] == '\n') {
            n += (size_t)sprintf(out + n, "%u", serial++);
        }
        out[n++] = (char)data[i];
    }
    *out_len = n;
    return out;
}

/* Everything lwIP sends until it is quiet, acknowledged. */
static size_t collect(struct peer *p, char *out, size_t cap, int *fin)
{
    struct segment s;
    size_t n = 0;
    *fin = 0;
    while (peer_recv(p, &s)) {
        ck_assert_uint_le(n + s.payload_len, cap);
        memcpy(out + n, s.payload, s.payload_len);
        n += s.payload_len;
        *fin |= (s.flags & TCPF_FIN) != 0;
        if (s.payload_len > 0 || (s.flags & TCPF_FIN)) {
            peer_send(p, TCPF_ACK, NULL, 0);
        }
    }
    return n;
}

START_TEST(lines_in_one_chunk_are_messages_and_bye_inside_closes)
{
    struct peer p;
    char out[64];
    int fin;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    const char *in = "hello\nworld\nbye\nnot answered\n";
    peer_send(&p, TCPF_ACK | TCPF_PSH, in, strlen(in));
    size_t n = collect(&p, out, sizeof out, &fin);
    ck_assert_uint_eq(n, 14);
    ck_assert_mem_eq(out, "0hello\n1world\n", 14);
    ck_assert_int_eq(fin, 1);
}
END_TEST

START_TEST(bare_words_are_one_message_each)
{
    struct peer p;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    expect_reply(&p, "hello", "0hello");
    expect_reply(&p, "world", "1world");
}
END_TEST

/* A line over several segments, none pushed until its newline: one serial
 * number, then every byte, never a number inside the line. */
START_TEST(a_line_over_many_segments_gets_one_number)
{
    struct peer p;
    static char line[5000];
    static char out[6000];
    int fin;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    memset(line, 'x', sizeof line);
    line[sizeof line - 1] = '\n';
    size_t seg = 1000;
    size_t got = 0;
    for (size_t off = 0; off < sizeof line; off += seg) {
        peer_send(&p, TCPF_ACK | (off + seg >= sizeof line ? TCPF_PSH : 0), line + off, seg);
        got += collect(&p, out + got, sizeof out - got, &fin);
    }
    ck_assert_uint_eq(got, sizeof line + 1);
    ck_assert_int_eq(out[0], '0');
    ck_assert_int_eq(memcmp(out + 1, line, sizeof line), 0);
    ck_assert_int_eq(fin, 0);
    expect_reply(&p, "next\n", "1next\n");
}
END_TEST

/* A pushed chunk longer than any bare word (here reassembled from segments
 * that arrived out of order) starts a line: its newline comes later. */
START_TEST(a_pushed_long_first_chunk_is_a_line_not_a_word)
{
    struct peer p;
    static char chunk[SERIAL_TEST_LONG];
    static char out[2 * SERIAL_TEST_LONG];
    int fin;
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    memset(chunk, 'y', sizeof chunk);
    size_t seg = peer_max_payload(&p);
    uint32_t base = p.snd_nxt;
    for (size_t off = seg; off < sizeof chunk; off += seg) {
        peer_send_at(&p, base + (uint32_t)off, TCPF_ACK | TCPF_PSH, chunk + off,
                     LWIP_MIN(seg, sizeof chunk - off));
    }
    ck_assert_uint_eq(collect(&p, out, sizeof out, &fin), 0);
    p.snd_nxt = base + (uint32_t)sizeof chunk;
    peer_send_at(&p, base, TCPF_ACK | TCPF_PSH, chunk, seg);
    size_t got = collect(&p, out, sizeof out, &fin);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "\n", 1);
    got += collect(&p, out + got, sizeof out - got, &fin);
    ck_assert_uint_eq(got, sizeof chunk + 2);
    ck_assert_int_eq(out[0], '0');
    ck_assert_int_eq(memcmp(out + 1, chunk, sizeof chunk), 0);
    ck_assert_int_eq(out[got - 1], '\n');
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

    size_t expected_len;
    char *expected = serial_framed(data, total, &expected_len);
    p.stream = malloc(expected_len);
    p.stream_cap = expected_len;

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

    size_t expected_len;
    char *expected = serial_framed(data, MAX_CHUNK, &expected_len);
    p.stream = malloc(expected_len);
    p.stream_cap = expected_len;
    peer_pump(&p, NULL, 0, expected_len, 1);
    ck_assert_uint_eq(p.stream_len, expected_len);
    ck_assert_int_eq(memcmp(p.stream, expected, expected_len), 0);
    free(p.stream);
    free(expected);
    free(data);
}
END_TEST

Suite *serial_suite(void)
{
    Suite *s = suite_create("serial");
    fixture_add_test(s, prefixes_chunks_and_closes_on_bye);
    fixture_add_test(s, lines_in_one_chunk_are_messages_and_bye_inside_closes);
    fixture_add_test(s, bare_words_are_one_message_each);
    fixture_add_test(s, a_line_over_many_segments_gets_one_number);
    fixture_add_test(s, a_pushed_long_first_chunk_is_a_line_not_a_word);
    fixture_add_test(s, long_stream_comes_back_whole_and_in_order);
    fixture_add_test(s, reassembled_64k_chunk_comes_back_whole);
    return s;
}
