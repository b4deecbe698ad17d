/* The fault stage beyond drops: corruption the receiver detects, duplicates,
 * reordering, delay and a rate limit, all on a fake clock, all reproducible
 * from the seed, and bounded in what they hold. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arp_frame.h"
#include "fake_link.h"
#include "fixture.h"
#include "segment.h"
#include "suites.h"

#define FRAMES 200

static uint64_t clock_us;

static uint64_t test_clock(void)
{
    return clock_us;
}

static struct link *new_stage(struct fake_link *wire, const struct link_fault_config *config)
{
    char err[LINK_ERR_LEN];
    clock_us = 1000000;
    link_fault_set_clock(test_clock);
    struct link *fault = link_fault_new(fake_link_base(wire), config, err);
    ck_assert_msg(fault != NULL, "link_fault_new: %s", err);
    return fault;
}

/* Frame i: a TCP segment with correct checksums whose seq says which it is. */
static size_t make_segment(uint32_t i, uint8_t *buf)
{
    struct segment s;
    fixture_segment_from_peer(&s, 40000, ECHO_PORT);
    s.seq = i;
    s.flags = TCPF_ACK;
    s.payload_len = 10;
    memset(s.payload, 'a', s.payload_len);
    return segment_build(&s, buf, SEGMENT_MAX_FRAME);
}

static uint32_t seq_of(const uint8_t *frame, size_t len)
{
    struct segment s;
    ck_assert_int_ne(segment_parse(frame, len, &s), SEGMENT_NOT_TCP);
    return s.seq;
}

/* Every output frame on the wire, in order, by seq; returns how many. */
static int drain_wire(struct fake_link *wire, uint32_t *seqs, int max)
{
    uint8_t got[LINK_MAX_FRAME];
    size_t len;
    int n = 0;
    while ((len = fake_link_pop_tx(wire, got, sizeof got)) > 0) {
        ck_assert_int_lt(n, max);
        seqs[n++] = seq_of(got, len);
    }
    return n;
}

/* Lets the stage release what is due (a receive call, as poll() would cause). */
static void tick(struct link *fault)
{
    uint8_t got[LINK_MAX_FRAME];
    struct link_meta meta;
    char err[LINK_ERR_LEN];
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), 0);
}

START_TEST(corrupt_flips_a_checksum_bit_the_receiver_detects)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.corrupt_percent = 100.0;
    config.seed = 3;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    size_t len = make_segment(7, frame);
    ck_assert_int_eq(link_send(fault, frame, len, NULL, err), 0);
    ck_assert_uint_eq(fake_link_pop_tx(wire, got, sizeof got), len);
    struct segment parsed;
    ck_assert_int_eq(segment_parse(got, len, &parsed), SEGMENT_MALFORMED);
    /* Only the checksum changed: the bytes that would reach an application did not. */
    int differing = 0;
    for (size_t i = 0; i < len; i++) {
        differing += got[i] != frame[i];
    }
    ck_assert_int_eq(differing, 1);
    ck_assert_uint_eq(link_fault_stats()->tx.corrupted, 1);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "CORRUPTED by --corrupt"));

    /* An ARP frame has no checksum to betray a flipped bit: it passes whole. */
    struct arp_frame request = {ARP_REQUEST, {0}, PEER_IP, {0}, STACK_IP};
    uint8_t arp[ARP_FRAME_LEN];
    arp_frame_build(&request, arp);
    ck_assert_int_eq(link_send(fault, arp, sizeof arp, NULL, err), 0);
    ck_assert_uint_eq(fake_link_pop_tx(wire, got, sizeof got), sizeof arp);
    ck_assert_mem_eq(got, arp, sizeof arp);
    ck_assert_uint_eq(link_fault_stats()->tx.corrupted, 1);
    link_destroy(fault);
}
END_TEST

/* A frame whose checksum the kernel left partial is not trusted any more. */
START_TEST(corrupt_input_with_partial_checksum_is_checked)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.rx.corrupt_percent = 100.0;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    size_t len = make_segment(1, frame);
    struct link_meta meta = {LINK_CSUM_PARTIAL, LINK_GSO_NONE, 0, ETH_HDR_LEN + IPV4_HDR_LEN, 16};
    fake_link_push_rx_meta(wire, frame, len, &meta);
    struct link_meta out;
    char err[LINK_ERR_LEN];
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &out, err), (ssize_t)len);
    ck_assert_int_eq(out.csum, LINK_CSUM_NONE);
    ck_assert_uint_eq(link_fault_stats()->rx.corrupted, 1);
    link_destroy(fault);
}
END_TEST

START_TEST(duplicate_sends_and_delivers_twice)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.rx.duplicate_percent = 100.0;
    config.tx.duplicate_percent = 100.0;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    size_t len = make_segment(5, frame);
    ck_assert_int_eq(link_send(fault, frame, len, NULL, err), 0);
    uint32_t seqs[4];
    ck_assert_int_eq(drain_wire(wire, seqs, 4), 2);
    fake_link_push_rx(wire, frame, len);
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), (ssize_t)len);
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), (ssize_t)len);
    ck_assert_mem_eq(got, frame, len);
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), 0);
    ck_assert_uint_eq(link_fault_stats()->rx.duplicated, 1);
    ck_assert_uint_eq(link_fault_stats()->tx.duplicated, 1);
    link_destroy(fault);
}
END_TEST

START_TEST(delay_holds_frames_until_due)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.delay_ms = 20;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    uint32_t seqs[8];
    for (uint32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(link_send(fault, frame, make_segment(i, frame), NULL, err), 0);
        clock_us += 5000;
    }
    /* Sent at 0, 5 and 10 ms: due at 20, 25 and 30 ms. */
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 0);
    clock_us = 1000000 + 20000;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 1);
    ck_assert_uint_eq(seqs[0], 0);
    clock_us += 10000;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 2);
    ck_assert_uint_eq(seqs[0], 1);
    ck_assert_uint_eq(seqs[1], 2);
    ck_assert_uint_eq(link_fault_stats()->tx.delayed, 3);
    link_destroy(fault);
}
END_TEST

START_TEST(delayed_input_waits_and_keeps_its_order)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.rx.delay_ms = 50;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    for (uint32_t i = 0; i < 5; i++) {
        size_t len = make_segment(i, frame);
        fake_link_push_rx(wire, frame, len);
    }
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), 0);
    ck_assert_uint_eq(fake_link_rx_pending(wire), 0);
    clock_us += 50000;
    for (uint32_t i = 0; i < 5; i++) {
        ssize_t n = link_recv(fault, got, sizeof got, &meta, err);
        ck_assert_int_gt(n, 0);
        ck_assert_uint_eq(seq_of(got, (size_t)n), i);
    }
    ck_assert_int_eq(link_recv(fault, got, sizeof got, &meta, err), 0);
    link_destroy(fault);
}
END_TEST

START_TEST(reorder_lets_later_frames_overtake)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.reorder_percent = 30.0;
    config.seed = 11;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    static uint32_t seqs[FRAMES];
    int on_wire = 0;
    for (uint32_t i = 0; i < FRAMES; i++) {
        ck_assert_int_eq(link_send(fault, frame, make_segment(i, frame), NULL, err), 0);
        clock_us += 1000;
        tick(fault);
        on_wire += drain_wire(wire, seqs + on_wire, FRAMES - on_wire);
    }
    clock_us += (uint64_t)LINK_FAULT_REORDER_MS * 1000;
    tick(fault);
    on_wire += drain_wire(wire, seqs + on_wire, FRAMES - on_wire);
    ck_assert_int_eq(on_wire, FRAMES);
    int out_of_order = 0;
    char seen[FRAMES] = {0};
    for (int i = 0; i < FRAMES; i++) {
        seen[seqs[i]] = 1;
        out_of_order += i > 0 && seqs[i] < seqs[i - 1];
    }
    ck_assert_mem_eq(seen, (char[FRAMES]){[0 ... FRAMES - 1] = 1}, FRAMES);
    uint64_t reordered = link_fault_stats()->tx.reordered;
    ck_assert_uint_ge(reordered, FRAMES / 5);
    ck_assert_uint_le(reordered, FRAMES * 2 / 5);
    ck_assert_int_ge(out_of_order, (int)reordered / 2);
    link_destroy(fault);
}
END_TEST

START_TEST(rate_spaces_frames_by_their_length)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.rate_bps = 80000; /* 10 bytes a millisecond */
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    size_t len = make_segment(0, frame);
    uint32_t seqs[8];
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert_int_eq(link_send(fault, frame, make_segment(i, frame), NULL, err), 0);
    }
    uint64_t per_frame_us = (uint64_t)len * 100;
    clock_us += per_frame_us - 1;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 0);
    clock_us += 1;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 1);
    clock_us += 2 * per_frame_us;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 2);
    clock_us += per_frame_us;
    tick(fault);
    ck_assert_int_eq(drain_wire(wire, seqs, 8), 1);
    ck_assert_uint_eq(seqs[0], 3);
    link_destroy(fault);
}
END_TEST

START_TEST(a_full_queue_drops_and_says_so)
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.delay_ms = 1000;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    size_t len = make_segment(0, frame);
    for (int i = 0; i < LINK_FAULT_QUEUE_MAX; i++) {
        ck_assert_int_eq(link_send(fault, frame, len, NULL, err), 0);
    }
    ck_assert_int_eq(link_send(fault, frame, len, NULL, err), LINK_SEND_DROPPED);
    ck_assert_uint_eq(link_fault_stats()->tx.overflowed, 1);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "holds too many frames"));
    link_destroy(fault); /* frees the held frames: the fixture's leak check would see them */
}
END_TEST

/* Which frames a fault hits, per direction, for one run. */
static void record_faults(uint32_t seed, char rx_fate[FRAMES], char tx_fate[FRAMES])
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.rx.drop_percent = config.tx.drop_percent = 20.0;
    config.rx.duplicate_percent = config.tx.duplicate_percent = 5.0;
    config.rx.reorder_percent = config.tx.reorder_percent = 5.0;
    config.seed = seed;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME], got[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
    struct link_meta meta;
    memset(rx_fate, 0, FRAMES);
    memset(tx_fate, 0, FRAMES);
    for (uint32_t i = 0; i < FRAMES; i++) {
        size_t len = make_segment(i, frame);
        fake_link_push_rx(wire, frame, len);
        ck_assert_int_ge(link_send(fault, frame, len, NULL, err), 0);
    }
    clock_us += (uint64_t)LINK_FAULT_REORDER_MS * 1000;
    ssize_t n;
    while ((n = link_recv(fault, got, sizeof got, &meta, err)) > 0 || fake_link_rx_pending(wire) > 0) {
        if (n > 0) {
            rx_fate[seq_of(got, (size_t)n)]++;
        }
    }
    while ((n = (ssize_t)fake_link_pop_tx(wire, got, sizeof got)) > 0) {
        tx_fate[seq_of(got, (size_t)n)]++;
    }
    link_destroy(fault);
}

START_TEST(every_fault_is_reproducible_for_a_seed)
{
    static char rx1[FRAMES], tx1[FRAMES], rx2[FRAMES], tx2[FRAMES], rx3[FRAMES], tx3[FRAMES];
    record_faults(1, rx1, tx1);
    record_faults(1, rx2, tx2);
    record_faults(2, rx3, tx3);
    ck_assert_mem_eq(rx1, rx2, FRAMES);
    ck_assert_mem_eq(tx1, tx2, FRAMES);
    ck_assert(memcmp(rx1, rx3, FRAMES) != 0 || memcmp(tx1, tx3, FRAMES) != 0);
    int dropped = 0, doubled = 0;
    for (int i = 0; i < FRAMES; i++) {
        dropped += rx1[i] == 0;
        doubled += rx1[i] == 2;
    }
    ck_assert_int_ge(dropped, FRAMES / 10);
    ck_assert_int_le(dropped, FRAMES * 3 / 10);
    ck_assert_int_ge(doubled, 1);
}
END_TEST

/* Which output frames a drop stage let through, with and without other faults. */
static void output_survivors(int with_others, char passed[FRAMES])
{
    struct fake_link *wire = fake_link_new();
    struct link_fault_config config = {0};
    config.tx.drop_percent = 30.0;
    if (with_others) {
        config.tx.corrupt_percent = 50.0;
        config.tx.reorder_percent = 10.0;
        config.rx.drop_percent = 50.0;
    }
    config.seed = 9;
    struct link *fault = new_stage(wire, &config);
    uint8_t frame[SEGMENT_MAX_FRAME];
    char err[LINK_ERR_LEN];
    for (uint32_t i = 0; i < FRAMES; i++) {
        int rc = link_send(fault, frame, make_segment(i, frame), NULL, err);
        ck_assert(rc == 0 || rc == LINK_SEND_DROPPED);
        passed[i] = rc == 0;
    }
    link_destroy(fault);
}

/* Each fault is its own stage with its own random stream: adding one does not
 * change which frames another hits. */
START_TEST(adding_a_fault_keeps_the_others_decisions)
{
    static char alone[FRAMES], together[FRAMES];
    output_survivors(0, alone);
    output_survivors(1, together);
    ck_assert_mem_eq(alone, together, FRAMES);
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    fixture_add_test(s, corrupt_flips_a_checksum_bit_the_receiver_detects);
    fixture_add_test(s, corrupt_input_with_partial_checksum_is_checked);
    fixture_add_test(s, duplicate_sends_and_delivers_twice);
    fixture_add_test(s, delay_holds_frames_until_due);
    fixture_add_test(s, delayed_input_waits_and_keeps_its_order);
    fixture_add_test(s, reorder_lets_later_frames_overtake);
    fixture_add_test(s, rate_spaces_frames_by_their_length);
    fixture_add_test(s, a_full_queue_drops_and_says_so);
    fixture_add_test(s, every_fault_is_reproducible_for_a_seed);
    fixture_add_test(s, adding_a_fault_keeps_the_others_decisions);
    return s;
}
