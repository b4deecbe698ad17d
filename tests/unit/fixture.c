#include "fixture.h"

#include "gso_split.h"

#include <stdlib.h>
#include <string.h>

#include "arp_frame.h"
#include "cli.h"
#include "fake_clock.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"
#include "services.h"
#include "tcp_statelog.h"
#include "wire.h"

/* Check's own limit stays under ctest's 60 s, so a hung test is reported by Check. */
#define TEST_TIMEOUT_S 55

const uint8_t stack_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

struct fixture fx;

static uint8_t frame_buf[LINK_MAX_FRAME];
/* The super-frame lwIP-tap sent last, while its segments are read one by one. */
static uint8_t super_frame[LINK_MAX_FRAME];
static size_t super_len;
static struct link_meta super_meta;
static size_t super_next;
static int offload_wanted;
static int cross_fins_wanted;

/* lwIP cannot be initialised twice in one process (its timer list would keep
 * pointers into re-initialised pools), which matters only with CK_FORK=no. */
/* What lwIP's heap holds with no connection: its cyclic timers, which live
 * on the heap with pools on malloc (lwipopts.h). */
static mem_size_t heap_baseline;

static void init_lwip_once(void)
{
    static int done;
    if (!done) {
        lwip_init();
        heap_baseline = lwip_stats.mem.used;
        done = 1;
    }
}

static void bring_up_stack(void)
{
    char *argv[] = {"lwip-tap", "--tap", "unit0", "--ip", "192.0.2.2/24", NULL};
    const int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    struct lwiptap_config cfg;
    char err[256];
    ck_assert_int_eq(cli_parse(argc, argv, &cfg, stdout, err, sizeof err), CLI_RUN);
    ck_assert_mem_eq(cfg.mac, stack_mac, 6);

    fx.wire = fake_link_new();
    fake_link_set_offload(fx.wire, offload_wanted);
    /* In app/main.c's order: guard, timeline, state log. The timeline stays
     * silent unless a test asks (timeline_configure). */
    struct timeline_options quiet = {0, 0, 0};
    timeline_set_clock(fake_clock_now_us);
    link_fault_set_clock(fake_clock_now_us);
    struct link *link =
        link_timeline_new(link_guard_new(fake_link_base(fx.wire), NETIF_LINK_DEFAULT_MTU), &quiet);
    if (cross_fins_wanted) {
        link = link_fin_cross_new(link); /* above the timeline, as --cross-fins in app/main.c */
    }
    link = tcp_statelog_wrap(link);
    ck_assert_ptr_nonnull(link);
    ck_assert_msg(stack_up(&fx.stack, &cfg, link, err, sizeof err) == 0, "stack_up: %s", err);

    err_t lwip_err;
    fx.echo = stream_service_start(&echo_service_ops, ECHO_PORT, &lwip_err);
    ck_assert_ptr_nonnull(fx.echo);
    fx.serial = stream_service_start(&serial_service_ops, SERIAL_PORT, &lwip_err);
    ck_assert_ptr_nonnull(fx.serial);
}

/* lwIP answers the peer only once it knows the peer's MAC: an ARP request from
 * the peer teaches it, as the host's first packet would. */
static void introduce_peer(void)
{
    struct arp_frame request = {ARP_REQUEST, {0}, PEER_IP, {0}, STACK_IP};
    memcpy(request.sender_mac, peer_mac, 6);
    uint8_t frame[ARP_FRAME_LEN];
    arp_frame_build(&request, frame);
    fixture_inject(frame, sizeof frame);

    size_t len;
    while ((len = fake_link_pop_tx(fx.wire, frame_buf, sizeof frame_buf)) > 0) {
        struct arp_frame reply;
        if (arp_frame_parse(frame_buf, len, &reply) == 0 && reply.op == ARP_REPLY) {
            ck_assert_uint_eq(reply.sender_ip, STACK_IP);
            ck_assert_mem_eq(reply.sender_mac, stack_mac, 6);
            ck_assert_uint_eq(reply.target_ip, PEER_IP);
            fixture_discard_tx();
            return;
        }
    }
    ck_abort_msg("lwIP did not answer the peer's ARP request");
}

void fixture_setup(void)
{
    memset(&fx, 0, sizeof fx);
    fx.log = open_memstream(&fx.log_text, &fx.log_len);
    ck_assert_ptr_nonnull(fx.log);
    log_set_stream(fx.log);
    log_set_level(LOG_INFO);

    init_lwip_once();
    guard_reset();
    tcp_guard_init(NULL);
    tcp_statelog_init();
    tcp_statelog_set_enabled(1);
    stream_service_set_probe(tcp_statelog_probe);
    bring_up_stack();
    introduce_peer();
}

static void assert_everything_freed(void)
{
    for (int i = 0; i < MEMP_MAX; i++) {
        unsigned used = (unsigned)lwip_stats.memp[i]->used;
        /* lwIP's cyclic timers (ARP, reassembly, ND6, MLD) live as long as
         * lwIP itself; the TCP timer (entry 0) must have stopped. */
        unsigned expected = i == MEMP_SYS_TIMEOUT ? (unsigned)lwip_num_cyclic_timers - 1 : 0;
        ck_assert_msg(used == expected, "memory pool %s: %u elements in use, expected %u",
                      memp_pools[i]->desc, used, expected);
    }
    ck_assert_msg(lwip_stats.mem.used == heap_baseline, "lwIP heap: %u bytes in use, expected %u",
                  (unsigned)lwip_stats.mem.used, (unsigned)heap_baseline);
}

void fixture_teardown(void)
{
    stream_service_stop(fx.echo);
    stream_service_stop(fx.serial);
    fx.echo = fx.serial = NULL;
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
    stack_abort_all();
    stack_down(&fx.stack);
    timeline_reset();
    fx.wire = NULL;
    /* With no pcb left, the TCP timer stops at its next tick. */
    fake_clock_advance(TCP_TMR_INTERVAL);

    log_set_stream(NULL);
    fclose(fx.log);
    free(fx.log_text);
    fx.log = NULL;
    fx.log_text = NULL;
    assert_everything_freed();
}

static void add_test_case(Suite *s, const TTest *test, SFun setup, SFun teardown)
{
    TCase *tc = tcase_create(test->name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

void fixture_add_test(Suite *s, const TTest *test)
{
    add_test_case(s, test, fixture_setup, fixture_teardown);
}

void fixture_segment_from_peer(struct segment *s, uint16_t src_port, uint16_t dst_port)
{
    memset(s, 0, sizeof *s);
    memcpy(s->dst_mac, stack_mac, 6);
    memcpy(s->src_mac, peer_mac, 6);
    s->src_ip = PEER_IP;
    s->dst_ip = STACK_IP;
    s->src_port = src_port;
    s->dst_port = dst_port;
    s->opts = tcp_options_none();
}

void fixture_inject(const uint8_t *frame, size_t len)
{
    char err[LINK_ERR_LEN];
    fake_link_push_rx(fx.wire, frame, len);
    ck_assert_msg(netif_link_drain(&fx.stack.netif, err) >= 0, "netif_link_drain: %s", err);
}

static void answer_arp_request(const struct arp_frame *request)
{
    struct arp_frame reply = {ARP_REPLY, {0}, PEER_IP, {0}, request->sender_ip};
    memcpy(reply.sender_mac, peer_mac, 6);
    memcpy(reply.target_mac, request->sender_mac, 6);
    uint8_t frame[ARP_FRAME_LEN];
    arp_frame_build(&reply, frame);
    fixture_inject(frame, sizeof frame);
}

/* The next frame as the peer receives it: a super-frame comes in its segments. */
static size_t next_wire_frame(void)
{
    for (;;) {
        if (super_len > 0) {
            size_t len =
                gso_segment(super_frame, super_len, &super_meta, super_next++, frame_buf, sizeof frame_buf);
            if (len > 0) {
                return len;
            }
            super_len = 0;
        }
        super_len = fake_link_pop_tx_meta(fx.wire, super_frame, sizeof super_frame, &super_meta);
        super_next = 0;
        if (super_len == 0) {
            return 0;
        }
    }
}

int fixture_next_tcp(struct segment *s)
{
    size_t len;
    while ((len = next_wire_frame()) > 0) {
        struct arp_frame arp;
        if (arp_frame_parse(frame_buf, len, &arp) == 0) {
            if (arp.op == ARP_REQUEST && arp.target_ip == PEER_IP) {
                answer_arp_request(&arp);
            }
        } else {
            enum segment_parse_result r = segment_parse(frame_buf, len, s);
            ck_assert_msg(r != SEGMENT_MALFORMED, "lwIP sent a malformed TCP segment");
            if (r == SEGMENT_OK) {
                return 1;
            }
        }
    }
    return 0;
}

void fixture_discard_tx(void)
{
    while (next_wire_frame() > 0) {
    }
}

void fixture_inject_meta(const uint8_t *frame, size_t len, const struct link_meta *meta)
{
    char err[LINK_ERR_LEN];
    fake_link_push_rx_meta(fx.wire, frame, len, meta);
    ck_assert_msg(netif_link_drain(&fx.stack.netif, err) >= 0, "netif_link_drain: %s", err);
}

static void fixture_setup_offload(void)
{
    offload_wanted = 1;
    fixture_setup();
}

static void fixture_teardown_offload(void)
{
    fixture_teardown();
    offload_wanted = 0;
}

void fixture_add_offload_test(Suite *s, const TTest *test)
{
    add_test_case(s, test, fixture_setup_offload, fixture_teardown_offload);
}

static void fixture_setup_cross_fins(void)
{
    cross_fins_wanted = 1;
    fixture_setup();
}

static void fixture_teardown_cross_fins(void)
{
    fixture_teardown();
    cross_fins_wanted = 0;
}

void fixture_add_cross_fins_test(Suite *s, const TTest *test)
{
    add_test_case(s, test, fixture_setup_cross_fins, fixture_teardown_cross_fins);
}

const char *fixture_log(void)
{
    fflush(fx.log);
    return fx.log_text;
}

uint8_t *make_pattern(size_t len)
{
    uint8_t *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 7 + i / 251);
    }
    return data;
}

void fixture_wait_for_timer(int *stalls)
{
    enum { MAX_STALLS = 2000 };
    fake_clock_advance(TCP_TMR_INTERVAL);
    ck_assert_int_lt(++*stalls, MAX_STALLS);
}

void fixture_send_raw_tcp(uint32_t src_ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                          uint8_t flags, const uint8_t *opts, size_t optlen, const void *data, size_t len)
{
    uint8_t seg[1600], frame[WIRE_MAX_FRAME];
    size_t seglen = wire_tcp(sport, dport, seq, ack, flags, 0xffff, opts, optlen, data, len, seg, sizeof seg);
    struct wire_ip4 ip = {.src = src_ip, .dst = STACK_IP, .proto = 6, .l4_checksum = 1};
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame));
}

int fixture_log_has(const char *needle)
{
    return strstr(fixture_log(), needle) != NULL;
}
