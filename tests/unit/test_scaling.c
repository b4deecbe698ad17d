/* The work one segment costs does not grow with the number of connections
 * (issue 15), and the 4-tuple hash that makes it so (port/pcb_hash.c) stays
 * right through every list operation lwIP makes. lwiptap_pcb_visits counts
 * the pcbs lwIP's list walks look at: deterministic, unlike a stopwatch. */
#include <check.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwiptap/pcb_hash.h"
#include "lwiptap/tcp_msl.h"
#include "peer.h"
#include "suites.h"

#define MANY 5000
#define FEW 100
#define FIRST_PORT 10000
#define PEER_ISS 1000u
#define TEST_MSL_MS 1000u

static struct peer peers[MANY];

static void assert_hash_right(size_t expected_pcbs)
{
    char err[160];
    ck_assert_msg(lwiptap_pcb_hash_check(err, sizeof err) == 0, "pcb hash: %s", err);
    ck_assert_uint_eq(lwiptap_pcb_hash_count(), expected_pcbs);
}

static void open_echo_connections(size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        peer_init(&peers[i], (uint16_t)(FIRST_PORT + i), ECHO_PORT, PEER_ISS);
        peer_connect(&peers[i]);
    }
}

/* Pcbs looked at while lwIP takes one byte of data for the oldest connection
 * (the deepest in lwIP's list) and echoes it. */
static uint64_t visits_for_data(void)
{
    struct segment s;
    const uint64_t before = lwiptap_pcb_visits;
    peer_send(&peers[0], TCPF_ACK | TCPF_PSH, "x", 1);
    const uint64_t cost = lwiptap_pcb_visits - before;
    ck_assert_int_eq(peer_recv(&peers[0], &s), 1);
    ck_assert_uint_eq(s.payload_len, 1);
    return cost;
}

/* The same for the SYN of a new connection, which matches no pcb but the listener. */
static uint64_t visits_for_syn(uint16_t port)
{
    struct peer p;
    struct segment s;
    peer_init(&p, port, ECHO_PORT, PEER_ISS);
    const uint64_t before = lwiptap_pcb_visits;
    peer_send(&p, TCPF_SYN, NULL, 0);
    const uint64_t cost = lwiptap_pcb_visits - before;
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    peer_send(&p, TCPF_RST, NULL, 0);
    return cost;
}

START_TEST(segment_cost_does_not_grow_with_connections)
{
    open_echo_connections(0, FEW);
    const uint64_t data_few = visits_for_data();
    const uint64_t syn_few = visits_for_syn(60000);
    open_echo_connections(FEW, MANY);
    const uint64_t data_many = visits_for_data();
    const uint64_t syn_many = visits_for_syn(60001);
    ck_assert_msg(data_many == data_few,
                  "a data segment looked at %llu pcbs with %d connections, %llu with %d",
                  (unsigned long long)data_few, FEW, (unsigned long long)data_many, MANY);
    ck_assert_msg(syn_many == syn_few, "a SYN looked at %llu pcbs with %d connections, %llu with %d",
                  (unsigned long long)syn_few, FEW, (unsigned long long)syn_many, MANY);
    /* The one pcb the data is for, and none for a SYN. */
    ck_assert_uint_le(data_many, 1);
    ck_assert_uint_eq(syn_many, 0);
    assert_hash_right(MANY);
}
END_TEST

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)pcb;
    return err;
}

/* lwIP opens a connection to the peer and closes it first, so its pcb ends
 * in TIME_WAIT, which lwIP's slow timer frees by hand (no TCP_RMV). */
static void lwip_closes_first(struct peer *p, uint16_t port)
{
    struct segment s;
    fixture_discard_tx();
    struct tcp_pcb *pcb = tcp_new();
    ck_assert_ptr_nonnull(pcb);
    ip_addr_t peer_ip;
    ip_addr_set_ip4_u32_val(peer_ip, lwip_htonl(PEER_IP));
    ck_assert_int_eq(tcp_connect(pcb, &peer_ip, port, on_connected), ERR_OK);
    peer_accept(p, port, PEER_ISS, 0);
    ck_assert_int_eq(peer_recv(p, &s), 1); /* the handshake's ACK */
    ck_assert_int_eq(tcp_close(pcb), ERR_OK);
    ck_assert_int_eq(peer_recv(p, &s), 1);
    ck_assert(s.flags & TCPF_FIN);
    peer_send(p, TCPF_ACK | TCPF_FIN, NULL, 0);
}

START_TEST(hash_follows_every_list_operation)
{
    struct segment s;
    lwiptap_tcp_set_msl(TEST_MSL_MS);
    open_echo_connections(0, 30);
    assert_hash_right(30);
    /* Removals from the middle, the head and the tail of the active list. */
    peer_send(&peers[15], TCPF_RST, NULL, 0);
    assert_hash_right(29);
    peer_send(&peers[29], TCPF_RST, NULL, 0);
    peer_send(&peers[0], TCPF_RST, NULL, 0);
    assert_hash_right(27);
    /* The peer closes: lwIP's echo closes too (LAST_ACK), the peer's ACK frees it. */
    peer_send(&peers[7], TCPF_ACK | TCPF_FIN, NULL, 0);
    while (peer_recv(&peers[7], &s)) {
    }
    peer_send(&peers[7], TCPF_ACK, NULL, 0);
    assert_hash_right(26);
    /* Two pcbs move from the active list to TIME_WAIT. */
    struct peer tw[2];
    lwip_closes_first(&tw[0], 50000);
    lwip_closes_first(&tw[1], 50001);
    assert_hash_right(28);
    ck_assert_ptr_nonnull(tcp_tw_pcbs);
    /* A segment for a TIME_WAIT pcb finds it: lwIP acknowledges the repeated FIN. */
    peer_send_at(&tw[0], tw[0].snd_nxt - 1, TCPF_ACK | TCPF_FIN, NULL, 0);
    ck_assert_int_eq(peer_recv(&tw[0], &s), 1);
    ck_assert_uint_eq(s.flags, TCPF_ACK);
    /* Half-open pcbs that the slow timer gives up on, and TIME_WAIT's end. */
    struct peer half;
    peer_init(&half, 50002, ECHO_PORT, PEER_ISS);
    peer_send(&half, TCPF_SYN, NULL, 0);
    assert_hash_right(29);
    for (int i = 0; i < 120; i++) {
        fake_clock_advance(1000);
        fixture_discard_tx();
        char err[160];
        ck_assert_msg(lwiptap_pcb_hash_check(err, sizeof err) == 0, "after %d s: %s", i + 1, err);
    }
    ck_assert_ptr_null(tcp_tw_pcbs);
    assert_hash_right(26);
    /* Every echo connection that is left still finds its pcb. */
    for (size_t i = 1; i < 29; i++) {
        if (i == 7 || i == 15) {
            continue;
        }
        peer_send(&peers[i], TCPF_ACK | TCPF_PSH, "y", 1);
        ck_assert_int_eq(peer_recv(&peers[i], &s), 1);
        ck_assert_uint_eq(s.payload_len, 1);
    }
}
END_TEST

#define CLOSING_PORT 6000

/* Closes from inside the receive callback with the data unread: lwIP then
 * resets the connection and takes the pcb off the active list twice, once in
 * tcp_close() and once more when tcp_input() sees the close (TF_CLOSED). */
static err_t close_unread(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (p != NULL) {
        pbuf_free(p);
    }
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

static err_t accept_close_unread(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)err;
    tcp_recv(pcb, close_unread);
    return ERR_OK;
}

START_TEST(a_pcb_removed_twice_by_lwip_keeps_the_hash)
{
    struct segment s;
    struct tcp_pcb *listener = tcp_new();
    ck_assert_ptr_nonnull(listener);
    ck_assert_int_eq(tcp_bind(listener, IP_ANY_TYPE, CLOSING_PORT), ERR_OK);
    listener = tcp_listen(listener);
    ck_assert_ptr_nonnull(listener);
    tcp_accept(listener, accept_close_unread);
    open_echo_connections(0, 3);
    struct peer p;
    peer_init(&p, 40000, CLOSING_PORT, PEER_ISS);
    peer_connect(&p);
    assert_hash_right(4);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "GET", 3);
    ck_assert_int_eq(peer_recv(&p, &s), 1);
    ck_assert(s.flags & TCPF_RST);
    assert_hash_right(3);
    tcp_close(listener);
}
END_TEST

/* A flood waiting at the tap is read in bounded batches, so the event loop
 * gets back to lwIP's timers between them (app/event_loop.c runs them each pass). */
START_TEST(drain_reads_a_bounded_batch)
{
    enum { WAITING = 1000 };
    uint8_t frame[60] = {0};
    memcpy(frame, stack_mac, 6);
    memcpy(frame + 6, peer_mac, 6);
    frame[12] = 0x88; /* IEEE 802 local experimental ethertype: lwIP drops it */
    frame[13] = 0xb5;
    for (int i = 0; i < WAITING; i++) {
        fake_link_push_rx(fx.wire, frame, sizeof frame);
    }
    char err[LINK_ERR_LEN];
    const int read = netif_link_drain(&fx.stack.netif, err);
    ck_assert_int_gt(read, 0);
    ck_assert_int_lt(read, WAITING);
    ck_assert_uint_eq(fake_link_rx_pending(fx.wire), (size_t)(WAITING - read));
    /* Every later drain reads the same batch, the last one what is left. */
    while (fake_link_rx_pending(fx.wire) > 0) {
        const int left = (int)fake_link_rx_pending(fx.wire);
        ck_assert_int_eq(netif_link_drain(&fx.stack.netif, err), left < read ? left : read);
    }
}
END_TEST

Suite *scaling_suite(void)
{
    Suite *s = suite_create("scaling");
    fixture_add_test(s, segment_cost_does_not_grow_with_connections);
    fixture_add_test(s, hash_follows_every_list_operation);
    fixture_add_test(s, a_pcb_removed_twice_by_lwip_keeps_the_hash);
    fixture_add_test(s, drain_reads_a_bounded_batch);
    return s;
}
