/* The link wrappers of port/link/: the fault injector drops what it is told to,
 * reproducibly, the pcap writer records every frame both ways, and the
 * FIN-crossing stage holds the stack's FIN until the peer's arrives. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_link.h"
#include "fixture.h"
#include "lwiptap/conn_events.h"
#include "lwiptap/timeline.h"
#include "segment.h"
#include "suites.h"

#define FRAMES 100
#define FRAME_LEN 60
#define PCAP_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16

static struct link_fault_config drop_config(double rx_percent, double tx_percent, uint32_t seed)
{
    struct link_fault_config config;
    memset(&config, 0, sizeof config);
    config.rx.drop_percent = rx_percent;
    config.tx.drop_percent = tx_percent;
    config.seed = seed;
    return config;
}

static struct link *new_fault(struct fake_link *wire, const struct link_fault_config *config)
{
    char err[LINK_ERR_LEN];
    struct link *fault = link_fault_new(fake_link_base(wire), config, err);
    ck_assert_msg(fault != NULL, "link_fault_new: %s", err);
    return fault;
}

static void make_frame(int i, uint8_t *frame)
{
    memset(frame, i, FRAME_LEN);
}

/* Runs FRAMES frames each way through a fault injector and records which
 * ones got through (1) or were dropped (0). */
static void run_fault(double drop_percent, uint32_t seed, char rx_passed[FRAMES], char tx_passed[FRAMES])
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = drop_config(drop_percent, drop_percent, seed);
    struct link *fault = new_fault(wire, &config);
    uint8_t frame[FRAME_LEN];
    uint8_t got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;

    memset(rx_passed, 0, FRAMES);
    for (int i = 0; i < FRAMES; i++) {
        make_frame(i, frame);
        fake_link_push_rx(wire, frame, sizeof frame);
    }
    /* A receive that drops what it read says 0 after a bounded number of
     * frames, so the event loop gets its turn: poll again while any wait. */
    for (;;) {
        ssize_t n = link_recv(fault, got, sizeof got, &meta, err);
        if (n > 0) {
            ck_assert_int_eq(n, FRAME_LEN);
            rx_passed[got[0]] = 1;
            continue;
        }
        ck_assert_int_eq(n, 0);
        if (fake_link_rx_pending(wire) == 0) {
            break;
        }
    }

    memset(tx_passed, 0, FRAMES);
    char tx_said_sent[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        make_frame(i, frame);
        int rc = link_send(fault, frame, sizeof frame, NULL, err);
        ck_assert(rc == 0 || rc == LINK_SEND_DROPPED);
        tx_said_sent[i] = rc == 0;
    }
    size_t len;
    while ((len = fake_link_pop_tx(wire, got, sizeof got)) > 0) {
        ck_assert_uint_eq(len, FRAME_LEN);
        tx_passed[got[0]] = 1;
    }
    /* The sender learns which frames a fault dropped: the trace must not call them sent. */
    ck_assert_mem_eq(tx_said_sent, tx_passed, FRAMES);
    link_destroy(fault);
}

static int count(const char passed[FRAMES])
{
    int n = 0;
    for (int i = 0; i < FRAMES; i++) {
        n += passed[i];
    }
    return n;
}

START_TEST(fault_at_100_percent_drops_everything)
{
    char rx[FRAMES], tx[FRAMES];
    run_fault(100.0, 7, rx, tx);
    ck_assert_int_eq(count(rx), 0);
    ck_assert_int_eq(count(tx), 0);
}
END_TEST

START_TEST(fault_at_0_percent_drops_nothing)
{
    char rx[FRAMES], tx[FRAMES];
    run_fault(0.0, 7, rx, tx);
    ck_assert_int_eq(count(rx), FRAMES);
    ck_assert_int_eq(count(tx), FRAMES);
}
END_TEST

START_TEST(fault_is_reproducible_for_a_seed)
{
    char rx1[FRAMES], tx1[FRAMES], rx2[FRAMES], tx2[FRAMES], rx3[FRAMES], tx3[FRAMES];
    run_fault(50.0, 42, rx1, tx1);
    run_fault(50.0, 42, rx2, tx2);
    run_fault(50.0, 43, rx3, tx3);
    ck_assert_mem_eq(rx1, rx2, FRAMES);
    ck_assert_mem_eq(tx1, tx2, FRAMES);
    ck_assert_int_ge(count(rx1), 30);
    ck_assert_int_le(count(rx1), 70);
    ck_assert_int_ge(count(tx1), 30);
    ck_assert_int_le(count(tx1), 70);
    ck_assert_msg(memcmp(rx1, rx3, FRAMES) != 0 || memcmp(tx1, tx3, FRAMES) != 0,
                  "seeds 42 and 43 dropped the same frames");
}
END_TEST

/* Each direction draws from its own generator: how much one side sends does
 * not move the other side's drops, so a seed means the same to both. */
START_TEST(fault_directions_do_not_shift_each_other)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = drop_config(50.0, 50.0, 42);
    struct link *fault = new_fault(wire, &config);
    uint8_t frame[FRAME_LEN], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    char alone[FRAMES], interleaved[FRAMES], tx_unused[FRAMES];
    run_fault(50.0, 42, alone, tx_unused);
    memset(interleaved, 0, sizeof interleaved);
    uint64_t rx_before = link_fault_stats()->rx.dropped;
    for (int i = 0; i < FRAMES; i++) {
        make_frame(i, frame);
        for (int k = 0; k < i % 3; k++) { /* output in between: must not matter */
            ck_assert_int_ge(link_send(fault, frame, sizeof frame, NULL, err), 0);
        }
        fake_link_push_rx(wire, frame, sizeof frame);
        while (link_recv(fault, got, sizeof got, &meta, err) > 0) {
            interleaved[got[0]] = 1;
        }
    }
    ck_assert_mem_eq(alone, interleaved, FRAMES);
    ck_assert_uint_eq(link_fault_stats()->rx.dropped - rx_before, (uint64_t)(FRAMES - count(interleaved)));
    ck_assert_ptr_nonnull(strstr(fixture_log(), "DROPPED by --drop"));
    link_destroy(fault);
}
END_TEST

static int dropped_heard;

static void hear_dropped(const struct conn_event *event, void *ctx)
{
    (void)ctx;
    dropped_heard += event->kind == CONN_EVENT_SEGMENT && event->u.seg.dropped;
}

/* Drops one SYN from the peer at the fault stage: 0 when it was dropped. */
static ssize_t drop_one_syn(void)
{
    struct segment s;
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = drop_config(100.0, 0.0, 7);
    struct link *fault = new_fault(wire, &config);
    fixture_segment_from_peer(&s, 40000, ECHO_PORT);
    s.seq = 1000;
    s.flags = TCPF_SYN;
    size_t len = segment_build(&s, frame, sizeof frame);
    fake_link_push_rx(wire, frame, len);
    ssize_t n = link_recv(fault, got, sizeof got, &meta, err);
    link_destroy(fault);
    return n;
}

/* The timeline installs itself as the fault stage's reporter (link/ cannot
 * call it): a fault line reads like a --trace line, and the connection
 * model's subscribers (the diagram) hear of the input frame that never arrived. */
START_TEST(fault_stage_reports_through_the_timeline)
{
    dropped_heard = 0;
    ck_assert_int_eq(conn_events_subscribe(hear_dropped, NULL), 0);
    ck_assert_int_eq(drop_one_syn(), 0);
    conn_events_unsubscribe(hear_dropped, NULL);
    ck_assert_int_eq(dropped_heard, 1);
    ck_assert_msg(
        /* Counted from itself, as its copy will be when it arrives. */
        strstr(fixture_log(), "fault: rx 54B 192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 0, ") != NULL,
        "%s", fixture_log());

    /* Without a timeline, the frame decoder names the frame and nobody hears. */
    link_fault_set_reporter(NULL);
    size_t from = strlen(fixture_log());
    ck_assert_int_eq(conn_events_subscribe(hear_dropped, NULL), 0);
    ck_assert_int_eq(drop_one_syn(), 0);
    conn_events_unsubscribe(hear_dropped, NULL);
    ck_assert_int_eq(dropped_heard, 1);
    ck_assert_msg(
        strstr(fixture_log() + from, "fault: 192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 1000, ") != NULL,
        "%s", fixture_log() + from);
}
END_TEST

START_TEST(fault_one_direction_only)
{
    char rx[FRAMES], tx[FRAMES];
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = drop_config(0.0, 100.0, 5);
    struct link *fault = new_fault(wire, &config);
    uint8_t frame[FRAME_LEN], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    memset(rx, 0, sizeof rx);
    memset(tx, 0, sizeof tx);
    for (int i = 0; i < FRAMES; i++) {
        make_frame(i, frame);
        fake_link_push_rx(wire, frame, sizeof frame);
        ck_assert_int_eq(link_send(fault, frame, sizeof frame, NULL, err), LINK_SEND_DROPPED);
    }
    while (link_recv(fault, got, sizeof got, &meta, err) > 0) {
        rx[got[0]] = 1;
    }
    while (fake_link_pop_tx(wire, got, sizeof got) > 0) {
        tx[got[0]] = 1;
    }
    ck_assert_int_eq(count(rx), FRAMES); /* --tx-drop 100 */
    ck_assert_int_eq(count(tx), 0);
    link_destroy(fault);
}
END_TEST

static uint32_t read_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v); /* the writer's byte order, which the magic number reveals */
    return v;
}

static uint16_t read_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static char *temp_path(void)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    ck_assert_int_gt(asprintf(&path, "%s/lwiptap-unit-XXXXXX", dir ? dir : "/tmp"), 0);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return path;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[4096];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

START_TEST(pcap_records_every_frame_both_ways)
{
    char *path = temp_path();
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    struct fake_link *wire = fake_link_new();
    struct link *pcap = link_pcap_new(fake_link_base(wire), path, err);
    ck_assert_msg(pcap != NULL, "link_pcap_new: %s", err);

    /* In: frames 1 and 2 (then an idle receive, which records nothing); out: 3, 4, 5. */
    uint8_t frame[FRAME_LEN], got[LINK_MAX_FRAME];
    for (int i = 1; i <= 2; i++) {
        make_frame(i, frame);
        fake_link_push_rx(wire, frame, sizeof frame - (size_t)i);
    }
    for (int i = 1; i <= 2; i++) {
        ck_assert_int_eq(link_recv(pcap, got, sizeof got, &meta, err), FRAME_LEN - i);
    }
    ck_assert_int_eq(link_recv(pcap, got, sizeof got, &meta, err), 0);
    for (int i = 3; i <= 5; i++) {
        make_frame(i, frame);
        ck_assert_int_eq(link_send(pcap, frame, sizeof frame - (size_t)i, NULL, err), 0);
    }
    ck_assert_uint_eq(fake_link_tx_pending(wire), 3);
    link_destroy(pcap);

    size_t len;
    const uint8_t *file = read_file(path, &len);
    ck_assert_uint_ge(len, PCAP_HEADER_LEN);
    ck_assert_uint_eq(read_u32(file), 0xa1b2c3d4u);
    ck_assert_uint_eq(read_u16(file + 4), 2);
    ck_assert_uint_eq(read_u16(file + 6), 4);
    ck_assert_uint_ge(read_u32(file + 16), 1514); /* snaplen: whole frames */
    ck_assert_uint_eq(read_u32(file + 20), 1);    /* LINKTYPE_ETHERNET */
    size_t off = PCAP_HEADER_LEN;
    for (int i = 1; i <= 5; i++) {
        ck_assert_uint_le(off + PCAP_RECORD_HEADER_LEN, len);
        uint32_t incl = read_u32(file + off + 8);
        ck_assert_uint_eq(incl, FRAME_LEN - i);
        ck_assert_uint_eq(read_u32(file + off + 12), FRAME_LEN - i);
        off += PCAP_RECORD_HEADER_LEN;
        ck_assert_uint_le(off + incl, len);
        make_frame(i, frame);
        ck_assert_mem_eq(file + off, frame, incl);
        off += incl;
    }
    ck_assert_uint_eq(off, len);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(pcap_reports_unwritable_path)
{
    char err[LINK_ERR_LEN] = "";
    struct fake_link *wire = fake_link_new();
    struct link *pcap = link_pcap_new(fake_link_base(wire), "/nonexistent-dir/x.pcap", err);
    ck_assert_ptr_null(pcap);
    ck_assert_ptr_nonnull(strstr(err, "cannot write pcap file /nonexistent-dir/x.pcap"));
    /* On failure the inner link stays the caller's. */
    link_destroy(fake_link_base(wire));
}
END_TEST

static size_t tcp_frame(uint8_t *buf, uint32_t src_ip, uint16_t src_port, uint16_t dst_port, uint8_t flags,
                        uint32_t seq)
{
    struct segment seg;
    memset(&seg, 0, sizeof seg);
    seg.opts = tcp_options_none();
    seg.src_ip = src_ip;
    seg.dst_ip = src_ip == STACK_IP ? PEER_IP : STACK_IP;
    seg.src_port = src_port;
    seg.dst_port = dst_port;
    seg.flags = flags;
    seg.seq = seq;
    seg.window = 1000;
    return segment_build(&seg, buf, SEGMENT_MAX_FRAME);
}

static int popped_flags(struct fake_link *wire)
{
    uint8_t got[LINK_MAX_FRAME];
    struct segment seg;
    size_t len = fake_link_pop_tx(wire, got, sizeof got);
    if (len == 0) {
        return -1;
    }
    ck_assert_int_eq(segment_parse(got, len, &seg), SEGMENT_OK);
    return seg.flags;
}

START_TEST(fin_cross_holds_our_fin_until_the_peers_arrives)
{
    struct fake_link *wire = fake_link_new();
    struct link *cross = link_fin_cross_new(fake_link_base(wire));
    ck_assert_ptr_nonnull(cross);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    size_t len = tcp_frame(frame, STACK_IP, 50000, 1234, TCPF_ACK | TCPF_PSH, 1);
    ck_assert_int_eq(link_send(cross, frame, len, NULL, err), 0);
    ck_assert_int_eq(popped_flags(wire), TCPF_ACK | TCPF_PSH); /* data passes */
    len = tcp_frame(frame, STACK_IP, 50000, 1234, TCPF_ACK | TCPF_FIN, 2);
    ck_assert_int_eq(link_send(cross, frame, len, NULL, err), 0);
    ck_assert_int_eq(popped_flags(wire), -1); /* held */

    len = tcp_frame(frame, PEER_IP, 1234, 50000, TCPF_ACK, 7);
    fake_link_push_rx(wire, frame, len);
    ck_assert_int_gt(link_recv(cross, got, sizeof got, &meta, err), 0);
    ck_assert_int_eq(popped_flags(wire), -1); /* not a FIN: still held */
    len = tcp_frame(frame, PEER_IP, 9999, 50000, TCPF_ACK | TCPF_FIN, 7);
    fake_link_push_rx(wire, frame, len);
    ck_assert_int_gt(link_recv(cross, got, sizeof got, &meta, err), 0);
    ck_assert_int_eq(popped_flags(wire), -1); /* another connection's FIN */

    len = tcp_frame(frame, PEER_IP, 1234, 50000, TCPF_ACK | TCPF_FIN, 7);
    fake_link_push_rx(wire, frame, len);
    ck_assert_int_gt(link_recv(cross, got, sizeof got, &meta, err), 0);
    ck_assert_int_eq(popped_flags(wire), TCPF_ACK | TCPF_FIN); /* ours, before the stack sees theirs */

    len = tcp_frame(frame, STACK_IP, 50001, 1234, TCPF_ACK | TCPF_FIN, 2);
    ck_assert_int_eq(link_send(cross, frame, len, NULL, err), 0);
    ck_assert_int_eq(popped_flags(wire), TCPF_ACK | TCPF_FIN); /* once per run */
    link_destroy(cross);
}
END_TEST

START_TEST(fin_cross_releases_on_a_retransmitted_fin)
{
    struct fake_link *wire = fake_link_new();
    struct link *cross = link_fin_cross_new(fake_link_base(wire));
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    size_t len = tcp_frame(frame, STACK_IP, 50000, 1234, TCPF_ACK | TCPF_FIN, 2);
    ck_assert_int_eq(link_send(cross, frame, len, NULL, err), 0);
    ck_assert_int_eq(popped_flags(wire), -1);
    ck_assert_int_eq(link_send(cross, frame, len, NULL, err), 0);
    ck_assert_int_eq(popped_flags(wire), TCPF_ACK | TCPF_FIN);
    ck_assert_int_eq(popped_flags(wire), TCPF_ACK | TCPF_FIN);
    ck_assert_int_eq(popped_flags(wire), -1);
    link_destroy(cross);
}
END_TEST

Suite *link_wrappers_suite(void)
{
    Suite *s = suite_create("link_wrappers");
    fixture_add_test(s, fault_at_100_percent_drops_everything);
    fixture_add_test(s, fault_at_0_percent_drops_nothing);
    fixture_add_test(s, fault_is_reproducible_for_a_seed);
    fixture_add_test(s, fault_directions_do_not_shift_each_other);
    fixture_add_test(s, fault_one_direction_only);
    fixture_add_test(s, fault_stage_reports_through_the_timeline);
    fixture_add_test(s, pcap_records_every_frame_both_ways);
    fixture_add_test(s, pcap_reports_unwritable_path);
    fixture_add_test(s, fin_cross_holds_our_fin_until_the_peers_arrives);
    fixture_add_test(s, fin_cross_releases_on_a_retransmitted_fin);
    return s;
}
