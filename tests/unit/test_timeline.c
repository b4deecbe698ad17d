/* The --trace timeline, line by line: causal order with the state log,
 * relative numbers, options, scaled windows and the labels, driven by a peer
 * on the fake link and the fake clock. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"
#include "peer.h"
#include "stream_service.h"
#include "suites.h"
#include "tcp_statelog.h"

#define PEER_ISS 5000u

static void trace_on(int absolute, int explain)
{
    struct timeline_options options = {1, absolute, explain};
    timeline_configure(&options);
}

/* The log's timeline lines (tags link, tcp-state, explain) from offset on,
 * without the timestamp and the t+ field, one per line. */
static char *timeline_text(size_t from)
{
    const char *log = fixture_log() + from;
    size_t cap = strlen(log) + 1, used = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    for (const char *line = log; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        const char *body = memchr(line, ' ', len);
        if (body != NULL) {
            body++;
            size_t blen = len - (size_t)(body - line);
            if ((blen > 10 && strncmp(body, "INFO link:", 10) == 0) ||
                (blen > 15 && strncmp(body, "INFO tcp-state:", 15) == 0) ||
                (blen > 13 && strncmp(body, "INFO explain:", 13) == 0)) {
                /* Drop "t+S.UUUUUU ": the only field that depends on the wall clock. */
                const char *t = strstr(body, " t+");
                if (t != NULL && t < body + blen) {
                    const char *after = strchr(t + 1, ' ');
                    memcpy(out + used, body + 5, (size_t)(t - body - 5));
                    used += (size_t)(t - body - 5);
                    size_t rest = blen - (size_t)(after - body);
                    memcpy(out + used, after, rest);
                    used += rest;
                } else {
                    memcpy(out + used, body + 5, blen - 5);
                    used += blen - 5;
                }
                out[used++] = '\n';
                out[used] = '\0';
            }
        }
        line = end != NULL ? end + 1 : line + len;
    }
    return out;
}

/* Each pattern (an ERE matched against one whole line) in order, each on a
 * line after the previous one's. */
static void assert_lines(const char *text, const char *const *patterns, size_t count)
{
    const char *at = text;
    for (size_t i = 0; i < count; i++) {
        regex_t re;
        ck_assert_int_eq(regcomp(&re, patterns[i], REG_EXTENDED | REG_NOSUB), 0);
        int found = 0;
        while (*at != '\0' && !found) {
            const char *end = strchr(at, '\n');
            size_t len = end != NULL ? (size_t)(end - at) : strlen(at);
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)len, at);
            found = regexec(&re, line, 0, NULL, 0) == 0;
            at = end != NULL ? end + 1 : at + len;
        }
        regfree(&re);
        ck_assert_msg(found, "no line /%s/ (in order) in the timeline:\n%s", patterns[i], text);
    }
}

static void drain(struct peer *p)
{
    struct segment s;
    while (peer_recv(p, &s)) {
    }
}

#define LINES(...)                                                                                           \
    do {                                                                                                     \
        static const char *const patterns[] = {__VA_ARGS__};                                                 \
        char *text_ = timeline_text(from);                                                                   \
        assert_lines(text_, patterns, sizeof patterns / sizeof patterns[0]);                                 \
        free(text_);                                                                                         \
    } while (0)

#define IN "^link: rx [0-9]+B 192\\.0\\.2\\.1\\.40000 > 192\\.0\\.2\\.2\\.7: Flags "
#define OUT "^link: tx [0-9]+B 192\\.0\\.2\\.2\\.7 > 192\\.0\\.2\\.1\\.40000: Flags "
#define STATE "^tcp-state: 192\\.0\\.2\\.2:7 192\\.0\\.2\\.1:40000 "

/* Every line in order: the segment, the change it caused, the reply. */
START_TEST(handshake_data_and_passive_close_line_by_line)
{
    struct peer p;
    trace_on(0, 0);
    size_t from = strlen(fixture_log());
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(&p);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    drain(&p);
    peer_send(&p, TCPF_ACK, NULL, 0);
    static const char *const want[] = {
        IN
        "\\[S\\], seq 0, win 65535, options \\[mss 1460,nop,wscale 7,nop,nop,sackOK,nop,nop,TS val 4096 ecr "
        "0\\], length 0$",
        STATE "LISTEN -> SYN_RCVD via rx \\[S\\]$",
        OUT
        "\\[S\\.\\], seq 0, ack 1, win 65535, options \\[mss 1460,nop,nop,TS val [0-9]+ ecr 4096,nop,wscale "
        "[0-9]+,nop,nop,sackOK\\], length 0$",
        /* 65535 << 7: the window in bytes */
        IN "\\[\\.\\], ack 1, win 8388480, options \\[nop,nop,TS val 4352 ecr [0-9]+\\], length 0$",
        STATE "SYN_RCVD -> ESTABLISHED via rx \\[\\.\\]$",
        IN "\\[P\\.\\], seq 1:7, ack 1, win 8388480, options \\[nop,nop,TS val 4608 ecr [0-9]+\\], length 6$",
        OUT "\\[P\\.\\], seq 1:7, ack 7, win [0-9]+, options \\[nop,nop,TS val [0-9]+ ecr 4608\\], length 6$",
        IN "\\[F\\.\\], seq 7, ack 7, win 8388480, .*length 0$",
        STATE "ESTABLISHED -> CLOSE_WAIT via rx \\[F\\.\\]$",
        STATE "CLOSE_WAIT -> LAST_ACK via app$",
        OUT "\\[F\\.\\], seq 7, ack 8, win [0-9]+, .*length 0$",
        IN "\\[\\.\\], ack 8, win 8388480, .*length 0$",
        STATE "LAST_ACK -> CLOSED via rx \\[\\.\\]$",
    };
    char *text = timeline_text(from);
    assert_lines(text, want, sizeof want / sizeof want[0]);
    /* Nothing in between: the lines above are the whole timeline. */
    size_t lines = 0;
    for (const char *c = text; *c != '\0'; c++) {
        lines += *c == '\n';
    }
    ck_assert_uint_eq(lines, sizeof want / sizeof want[0]);
    free(text);
}
END_TEST

START_TEST(absolute_gives_raw_sequence_numbers)
{
    struct peer p;
    trace_on(1, 0);
    size_t from = strlen(fixture_log());
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hi", 2);
    drain(&p);
    LINES(IN "\\[S\\], seq 5000, win 65535, ", OUT "\\[S\\.\\], seq [0-9]+, ack 5001, ",
          IN "\\[P\\.\\], seq 5001:5003, ack [0-9]+, ");
}
END_TEST

/* The peer sends one line and acknowledges nothing: lwIP's RTO resends the
 * echo, and 3.5 s after its first copy the peer resends the line. Returns
 * where in the log the connection's data begins. */
static size_t both_sides_resend(struct peer *p, int explain)
{
    trace_on(0, explain);
    peer_init(p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(p);
    size_t from = strlen(fixture_log());
    peer_freeze_acks(p);
    peer_send(p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(p);
    fake_clock_advance(3500);
    drain(p);
    peer_send_at(p, PEER_ISS + 1, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(p);
    return from;
}

START_TEST(retransmissions_are_labelled_both_ways)
{
    struct peer p;
    size_t from = both_sides_resend(&p, 0);
    /* lwIP counts its RTO (3 ticks of 500 ms here) from a tick; the peer resends 3.5 s after. */
    LINES(OUT "\\[P\\.\\], seq 1:7, ack 7, .*length 6$",
          OUT "\\[P\\.\\], seq 1:7, ack 7, .*length 6 \\(retransmission after 1[0-9]{3} ms\\)$",
          IN "\\[P\\.\\], seq 1:7, .*length 6 \\(retransmission after 3500 ms\\)$");
}
END_TEST

/* A resent data segment is explained in two sentences, each starting as one. */
START_TEST(a_retransmission_is_explained_in_sentences)
{
    struct peer p;
    size_t from = both_sides_resend(&p, 1);
    LINES(
        IN "\\[P\\.\\], seq 1:7, .*length 6 \\(retransmission after 3500 ms\\)$",
        "^explain: The host sends this again: .* since its previous copy\\. The host sends 6 bytes of data");
}
END_TEST

START_TEST(a_gap_and_the_duplicate_acks_it_causes)
{
    struct peer p;
    trace_on(0, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t from = strlen(fixture_log());
    /* Bytes 1..10 "lost": 11..20 and 21..30 arrive. */
    peer_send_at(&p, PEER_ISS + 11, TCPF_ACK, "0123456789", 10);
    peer_send_at(&p, PEER_ISS + 21, TCPF_ACK, "0123456789", 10);
    drain(&p);
    LINES(IN "\\[\\.\\], seq 11:21, .*length 10 \\(gap: bytes before it are missing\\)$",
          OUT "\\[\\.\\], ack 1, .*options \\[nop,nop,TS val [0-9]+ ecr [0-9]+,nop,nop,sack 1 "
              "\\{11:21\\}\\], length 0 "
              "\\(duplicate ACK #1\\)$",
          IN "\\[\\.\\], seq 21:31, .*length 10$",
          OUT "\\[\\.\\], ack 1, .*sack 1 \\{11:31\\}\\], length 0 \\(duplicate ACK #2\\)$");
}
END_TEST

/* Three duplicate ACKs from the peer, and lwIP resends at once. */
START_TEST(fast_retransmission_after_three_duplicate_acks)
{
    struct peer p;
    static uint8_t data[4 * 1000];
    memset(data, 'x', sizeof data);
    trace_on(0, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t from = strlen(fixture_log());
    peer_freeze_acks(&p); /* the peer "lost" lwIP's first echo: it keeps acknowledging byte 1 */
    for (int i = 0; i < 4; i++) {
        peer_send(&p, TCPF_ACK | TCPF_PSH, data + (size_t)i * 1000, 1000);
        drain(&p);
    }
    for (int i = 0; i < 3; i++) {
        peer_send(&p, TCPF_ACK, NULL, 0);
        drain(&p);
    }
    LINES(IN "\\[\\.\\], ack 1, .*length 0 \\(duplicate ACK #1\\)$",
          IN "\\[\\.\\], ack 1, .*length 0 \\(duplicate ACK #2\\)$",
          IN "\\[\\.\\], ack 1, .*length 0 \\(duplicate ACK #3\\)$",
          OUT "\\[P?\\.\\], seq 1:1001, .*length 1000 \\(fast retransmission after [0-9<]+ ms\\)$");
}
END_TEST

START_TEST(challenge_ack_answers_a_syn_on_an_open_connection)
{
    struct peer p;
    trace_on(0, 1);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t from = strlen(fixture_log());
    peer_send_at(&p, PEER_ISS + 100, TCPF_SYN, NULL, 0);
    drain(&p);
    LINES(IN "\\[S\\], seq 100, ", OUT "\\[\\.\\], ack 1, .* \\(challenge ACK\\)$",
          "^explain: A challenge ACK");
}
END_TEST

START_TEST(rst_to_a_closed_port_says_why)
{
    struct peer p;
    trace_on(0, 1);
    size_t from = strlen(fixture_log());
    peer_init(&p, 40000, 9, PEER_ISS);
    peer_send(&p, TCPF_SYN, NULL, 0);
    drain(&p);
    LINES("^link: rx [0-9]+B 192\\.0\\.2\\.1\\.40000 > 192\\.0\\.2\\.2\\.9: Flags \\[S\\], seq 0, ",
          "^link: tx [0-9]+B 192\\.0\\.2\\.2\\.9 > 192\\.0\\.2\\.1\\.40000: Flags \\[R\\.\\], seq 0, ack 1, "
          "win [0-9]+, "
          "length 0 \\(RST sent because no connection or listener matches\\)$",
          "^explain: Nothing in lwIP matches this connection");
}
END_TEST

START_TEST(keepalive_probes_are_labelled)
{
    struct peer p;
    trace_on(0, 0);
    struct stream_service_options opts = {0, 0, {2000, 1000, 3}};
    stream_service_set_options(fx.echo, &opts);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t from = strlen(fixture_log());
    fake_clock_advance(2600);
    drain(&p);
    LINES(OUT "\\[\\.\\], seq 0, ack 1, .*length 0 \\(keepalive\\)$");
}
END_TEST

START_TEST(zero_window_and_its_probes)
{
    struct peer p;
    trace_on(0, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "a", 1);
    drain(&p);
    size_t from = strlen(fixture_log());
    /* lwIP takes a window only from a segment newer than the last one it
     * took a window from (RFC 9293 SND.WL1): so it comes with new data. */
    p.window_field = 0;
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    peer_freeze_acks(&p);
    drain(&p);
    fake_clock_advance(2000);
    drain(&p);
    p.window_field = PEER_WINDOW;
    peer_send(&p, TCPF_ACK, NULL, 0);
    drain(&p);
    LINES(IN "\\[P\\.\\], seq 2:8, ack 2, win 0, .*length 6 \\(zero window\\)$",
          OUT "\\[\\.\\], seq 2:3, ack 8, .*length 1 \\(zero-window probe\\)$",
          IN "\\[\\.\\], ack 2, win 8388480, .*length 0 \\(window update\\)$",
          /* The probed byte again, with the rest: no retransmission, nothing was lost. */
          OUT "\\[P\\.\\], seq 2:8, ack 8, win [0-9]+, options \\[[^]]*\\], length 6$");
}
END_TEST

START_TEST(explain_speaks_under_each_segment)
{
    struct peer p;
    trace_on(0, 1);
    size_t from = strlen(fixture_log());
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(&p);
    LINES(IN "\\[S\\]",
          "^explain: SYN: the host asks to open a connection\\. Its first sequence number \\(ISN\\) is 5000",
          OUT "\\[S\\.\\]", "^explain: SYN-ACK: lwIP agrees, with its own ISN", IN "\\[\\.\\], ack 1,",
          "^explain: The host acknowledges the SYN-ACK: the three-way handshake is complete",
          IN "\\[P\\.\\], seq 1:7",
          "^explain: The host sends 6 bytes of data, bytes 1 to 6 of its stream \\(PSH: hand them to the "
          "application now\\)\\.$");
}
END_TEST

START_TEST(explain_speaks_under_each_state_change)
{
    struct peer p;
    trace_on(0, 1);
    tcp_statelog_set_explain(1);
    size_t from = strlen(fixture_log());
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0);
    drain(&p);
    peer_send(&p, TCPF_ACK, NULL, 0);
    LINES(STATE "LISTEN -> SYN_RCVD via rx \\[S\\]$",
          "^explain: lwIP has answered the SYN with its own SYN-ACK", STATE "SYN_RCVD -> ESTABLISHED",
          "^explain: The connection is open", STATE "ESTABLISHED -> CLOSE_WAIT",
          "^explain: The peer closed its side \\(a passive close for lwIP\\)", STATE "CLOSE_WAIT -> LAST_ACK",
          "^explain: lwIP's application has closed too", STATE "LAST_ACK -> CLOSED via rx",
          "^explain: The connection is closed and lwIP frees its state\\.$");
    tcp_statelog_set_explain(0);
}
END_TEST

/* Found by the fuzzer: a copy of the peer's SYN without its options (here
 * with RST and more flags, at the SYN's own seq) took the window scale back,
 * and the next window was shifted by 255. The first SYN's options stand. */
START_TEST(a_resent_syn_keeps_the_window_scale)
{
    struct peer p;
    trace_on(0, 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t from = strlen(fixture_log());
    struct segment s;
    uint8_t frame[SEGMENT_MAX_FRAME];
    fixture_segment_from_peer(&s, 40000, ECHO_PORT);
    s.seq = PEER_ISS;
    s.flags = TCPF_SYN | TCPF_ACK | TCPF_RST;
    s.window = 2;
    size_t len = segment_build(&s, frame, sizeof frame);
    char line[1024];
    timeline_describe(frame, len, 0, line, sizeof line); /* as a fault stage would */
    fixture_inject(frame, len);
    ck_assert_ptr_nonnull(strstr(line, ", win 2,")); /* a SYN's window is never scaled */
    fixture_segment_from_peer(&s, 40000, ECHO_PORT);
    s.seq = PEER_ISS + 1;
    s.flags = TCPF_ACK;
    s.window = 2;
    len = segment_build(&s, frame, sizeof frame);
    timeline_describe(frame, len, 0, line, sizeof line);
    ck_assert_msg(strstr(line, ", win 256,") != NULL, "2 << 7 is 256: %s", line);
    LINES(IN "\\[SR\\.\\], seq 0, ack [0-9]+, win 2, length 0 \\(retransmission after [0-9<]+ ms, reset by "
             "the peer\\)$");
}
END_TEST

/* On a terminal an explanation is folded at spaces to fit the width. */
START_TEST(explanations_fold_at_spaces)
{
    const char *text = "The host sends 6 bytes of data, bytes 1 to 6 of its stream.";
    ck_assert_uint_eq(log_fold_piece(text, 80), strlen(text));
    ck_assert_uint_eq(log_fold_piece(text, 20), 16); /* "The host sends 6 byt" would cut a word */
    ck_assert_int_eq(text[16], ' ');
    ck_assert_uint_eq(log_fold_piece("abcdefghij", 4), 4); /* a word longer than the line is cut */
    /* Not a terminal (the test's memory stream): one line, to grep. */
    size_t from = strlen(fixture_log());
    log_requested_folded("explain", text);
    ck_assert_ptr_nonnull(strstr(fixture_log() + from,
                                 "INFO explain: The host sends 6 bytes of data, bytes 1 to 6 of "
                                 "its stream.\n"));
}
END_TEST

/* The counts kept per connection: 64-bit, and retransmissions apart. */
START_TEST(counts_follow_a_connection)
{
    struct peer p;
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(&p);
    peer_send_at(&p, PEER_ISS + 1, TCPF_ACK | TCPF_PSH, "hello\n", 6);
    drain(&p);
    const uint8_t lwip[4] = {192, 0, 2, 2}, host[4] = {192, 0, 2, 1};
    struct timeline_counts c;
    ck_assert_int_eq(timeline_counts(AF_INET, lwip, ECHO_PORT, host, 40000, &c), 0);
    ck_assert_uint_eq(c.received.bytes, 6);
    ck_assert_uint_eq(c.received.segments, 4); /* SYN, ACK, data, the data again */
    ck_assert_uint_eq(c.received.retransmissions, 1);
    ck_assert_uint_eq(c.sent.bytes, 6);
    ck_assert_uint_ge(c.sent.segments, 2);
    ck_assert_uint_eq(c.sent.retransmissions, 0);
    ck_assert_int_eq(timeline_counts(AF_INET, lwip, ECHO_PORT, host, 40001, &c), -1);
}
END_TEST

Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    fixture_add_test(s, handshake_data_and_passive_close_line_by_line);
    fixture_add_test(s, absolute_gives_raw_sequence_numbers);
    fixture_add_test(s, retransmissions_are_labelled_both_ways);
    fixture_add_test(s, a_retransmission_is_explained_in_sentences);
    fixture_add_test(s, a_gap_and_the_duplicate_acks_it_causes);
    fixture_add_test(s, fast_retransmission_after_three_duplicate_acks);
    fixture_add_test(s, challenge_ack_answers_a_syn_on_an_open_connection);
    fixture_add_test(s, rst_to_a_closed_port_says_why);
    fixture_add_test(s, keepalive_probes_are_labelled);
    fixture_add_test(s, zero_window_and_its_probes);
    fixture_add_test(s, explain_speaks_under_each_segment);
    fixture_add_test(s, explain_speaks_under_each_state_change);
    fixture_add_test(s, a_resent_syn_keeps_the_window_scale);
    fixture_add_test(s, counts_follow_a_connection);
    fixture_add_test(s, explanations_fold_at_spaces);
    return s;
}
