/* The vnet-header paths of the netif driver on an in-memory link that offers
 * offloads: a TCP super-frame from the kernel is taken as one segment, a
 * partial checksum is trusted only when the kernel marked it so, and lwIP's
 * output leaves as super-frames that the kernel cuts back into lwIP's own
 * segments (the fixture cuts them as the kernel would, checksums included). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lwip/stats.h"
#include "lwiptap/guard.h"
#include "lwiptap/mem_budget.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 5000u
#define SUPER_SEGMENTS 8

static uint8_t super_frame[LINK_MAX_FRAME];

/* A segment of len bytes at the peer's snd_nxt in one frame, as the kernel
 * hands one over with GRO/TSO: the TCP checksum field holds only what
 * `checksum` says, however wrong. */
static size_t build_super_segment(struct peer *p, const uint8_t *data, size_t len, uint16_t checksum)
{
    struct segment s;
    fixture_segment_from_peer(&s, p->port, p->server_port);
    s.seq = p->snd_nxt;
    s.ack = p->rcv_nxt;
    s.flags = TCPF_ACK | TCPF_PSH;
    s.window = PEER_WINDOW;
    s.opts.timestamps = 1;
    s.opts.tsval = p->tsval++;
    s.opts.tsecr = p->ts_recent;
    s.payload_len = 0;
    size_t hdr = segment_build(&s, super_frame, sizeof super_frame);
    memcpy(super_frame + hdr, data, len);
    size_t frame_len = hdr + len;
    uint8_t *ip = super_frame + ETH_HDR_LEN;
    ip[2] = (uint8_t)((frame_len - ETH_HDR_LEN) >> 8);
    ip[3] = (uint8_t)(frame_len - ETH_HDR_LEN);
    segment_fix_checksums(super_frame, frame_len);
    uint8_t *tcp = ip + IPV4_HDR_LEN;
    tcp[16] = (uint8_t)(checksum >> 8);
    tcp[17] = (uint8_t)checksum;
    p->snd_nxt += (uint32_t)len;
    return frame_len;
}

static const struct link_meta partial_super = {
    .csum = LINK_CSUM_PARTIAL,
    .csum_start = ETH_HDR_LEN + IPV4_HDR_LEN,
    .csum_offset = 16,
    .gso_type = LINK_GSO_TCPV4,
};

START_TEST(super_frame_with_partial_checksum_is_one_segment_and_echoes_as_super_frames)
{
    struct peer p;
    peer_init(&p, 40100, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    const struct netif_link *nl = &fx.stack.link_state;
    ck_assert_int_eq(nl->offload, 1);
    const size_t seg = peer_max_payload(&p), len = SUPER_SEGMENTS * seg;
    uint8_t *data = make_pattern(len);
    p.stream = malloc(len);
    p.stream_cap = len;
    struct link_meta meta = partial_super;
    meta.gso_size = (uint16_t)seg;
    size_t frame_len = build_super_segment(&p, data, len, 0xdead);
    uint32_t tcp_rx = lwip_stats.tcp.recv;
    fixture_inject_meta(super_frame, frame_len, &meta);

    ck_assert_uint_eq(lwip_stats.tcp.recv - tcp_rx, 1);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, 0);
    ck_assert_uint_eq(nl->stats.rx_super_frames, 1);
    ck_assert_uint_eq(nl->stats.rx_partial_csum, 1);
    peer_pump(&p, NULL, 0, len, 0);
    ck_assert_mem_eq(p.stream, data, len);
    ck_assert_uint_eq(p.snd_una, p.snd_nxt);
    /* The echo of one super-frame left in one drain pass: coalesced. */
    ck_assert_uint_ge(nl->stats.tx_super_frames, 1);
    ck_assert_uint_ge(nl->stats.tx_segments_in_super_frames, 2);
    free(p.stream);
    p.stream = NULL;
    free(data);
}
END_TEST

START_TEST(forged_checksum_without_offload_flags_is_dropped)
{
    struct peer p;
    peer_init(&p, 40101, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    const size_t seg = peer_max_payload(&p), len = SUPER_SEGMENTS * seg;
    uint8_t *data = make_pattern(len);
    const struct link_meta plain = {0};
    uint32_t before = p.snd_nxt;
    size_t frame_len = build_super_segment(&p, data, len, 0xdead);
    fixture_inject_meta(super_frame, frame_len, &plain);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, 1);
    struct segment s;
    ck_assert_int_eq(peer_recv(&p, &s), 0);
    ck_assert_uint_eq(p.snd_una, before);
    free(data);
}
END_TEST

START_TEST(partial_checksum_flag_covers_only_its_frame)
{
    struct peer p;
    peer_init(&p, 40102, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    const size_t seg = peer_max_payload(&p);
    uint8_t *data = make_pattern(2 * seg);
    struct link_meta meta = partial_super;
    meta.gso_size = (uint16_t)seg;
    size_t frame_len = build_super_segment(&p, data, seg, 0x1234);
    fixture_inject_meta(super_frame, frame_len, &meta);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, 0);
    const struct link_meta plain = {0};
    frame_len = build_super_segment(&p, data + seg, seg, 0x1234);
    fixture_inject_meta(super_frame, frame_len, &plain);
    ck_assert_uint_eq(lwip_stats.tcp.chkerr, 1);
    free(data);
}
END_TEST

/* Without LINK_CAP_OFFLOAD every frame is a plain one of at most the MTU. */
START_TEST(without_offload_every_frame_is_plain)
{
    struct peer p;
    peer_init(&p, 40103, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    ck_assert_int_eq(fx.stack.link_state.offload, 0);
    const size_t seg = peer_max_payload(&p), len = SUPER_SEGMENTS * seg;
    uint8_t *data = make_pattern(len);
    p.stream = malloc(len);
    p.stream_cap = len;
    for (size_t sent = 0; sent < len; sent += seg) {
        peer_send(&p, TCPF_ACK, data + sent, seg);
    }
    peer_pump(&p, NULL, 0, len, 0);
    ck_assert_mem_eq(p.stream, data, len);
    ck_assert_uint_eq(fake_link_tx_super_frames(fx.wire), 0);
    ck_assert_uint_eq(fx.stack.link_state.stats.tx_super_frames, 0);
    free(p.stream);
    p.stream = NULL;
    free(data);
}
END_TEST

/* Above three quarters of --mem-limit only control traffic gets in: the data
 * frame is dropped and counted, the peer's later retransmission is taken. */
START_TEST(data_is_dropped_while_memory_is_short)
{
    struct peer p;
    peer_init(&p, 40104, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    size_t saved = mem_budget_limit();
    mem_budget_set_limit(mem_budget_used() * 4 / 3 + 1000);
    const size_t seg = peer_max_payload(&p);
    uint8_t *data = make_pattern(seg);
    uint32_t seq = p.snd_nxt;
    peer_send(&p, TCPF_ACK, data, seg);
    ck_assert_uint_eq(guard_count(GUARD_RX_LOW_MEMORY), 1);
    mem_budget_set_limit(saved);
    p.stream = malloc(seg);
    p.stream_cap = seg;
    peer_send_at(&p, seq, TCPF_ACK, data, seg);
    peer_pump(&p, NULL, 0, seg, 0);
    ck_assert_mem_eq(p.stream, data, seg);
    free(p.stream);
    p.stream = NULL;
    free(data);
}
END_TEST

START_TEST(memory_limit_bounds_every_allocation)
{
    size_t saved = mem_budget_limit();
    mem_budget_set_limit(mem_budget_used() + 4096);
    struct pbuf *small = pbuf_alloc(PBUF_RAW, 1000, PBUF_RAM);
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_null(pbuf_alloc(PBUF_RAW, 8000, PBUF_RAM));
    ck_assert_ptr_null(pbuf_alloc(PBUF_RAW, 8000, PBUF_POOL));
    pbuf_free(small);
    mem_budget_set_limit(saved);
}
END_TEST

Suite *offload_suite(void)
{
    Suite *s = suite_create("offload");
    fixture_add_offload_test(s, super_frame_with_partial_checksum_is_one_segment_and_echoes_as_super_frames);
    fixture_add_offload_test(s, forged_checksum_without_offload_flags_is_dropped);
    fixture_add_offload_test(s, partial_checksum_flag_covers_only_its_frame);
    fixture_add_offload_test(s, data_is_dropped_while_memory_is_short);
    fixture_add_test(s, without_offload_every_frame_is_plain);
    fixture_add_test(s, memory_limit_bounds_every_allocation);
    return s;
}
