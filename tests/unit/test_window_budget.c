/* The window budget (port/guard/window_budget.c): windows are promised only
 * as far as half the memory limit allows; a connection that does not fit is
 * still made, with a zero window (its SYN gets a cookie), and its window
 * opens in arrival order as memory frees, with an ACK that tells its peer.
 * An idle connection's promise stops counting after a while. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwiptap/guard.h"
#include "lwiptap/mem_budget.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 5000u
#define FIRST_PORT 20000
#define BURST 300
/* Room (half the limit) for two windows: 256 KiB, then what is left. */
#define SMALL_LIMIT ((size_t)1024 * 1024)

static struct peer peers[BURST];
static size_t saved_limit;

static void use_limit(size_t bytes)
{
    saved_limit = mem_budget_limit();
    mem_budget_set_limit(bytes);
}

static void restore_limit(void)
{
    mem_budget_set_limit(saved_limit);
}

/* The window lwIP last announced to p, after reading all it sent. */
static uint32_t window_now(struct peer *p)
{
    struct segment s;
    while (peer_recv(p, &s) == 1) {
    }
    return p->snd_wnd;
}

static void connect_all(int n)
{
    for (int i = 0; i < n; i++) {
        peer_init(&peers[i], (uint16_t)(FIRST_PORT + i), ECHO_PORT, PEER_ISS);
        peer_connect(&peers[i]);
    }
}

static size_t windows_announced(int n)
{
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        sum += peers[i].snd_wnd;
    }
    return sum;
}

/* Before, each SYN got a quarter of the limit shared among the pcbs that
 * existed when it came: 300 SYNs at once opened 34 MB of windows, more than
 * twice that quarter, and 10,000 several times the whole limit. */
START_TEST(burst_windows_stay_within_half_the_memory)
{
    connect_all(BURST);
    size_t sum = windows_announced(BURST);
    ck_assert_msg(sum <= mem_budget_limit() / 2, "%d SYNs at once opened %zu bytes of windows, limit %zu",
                  BURST, sum, mem_budget_limit());
    /* Every client got its connection; those that did not fit wait. */
    ck_assert_uint_eq(guard_total(), 0);
    ck_assert_uint_gt(guard_event_count(GUARD_WINDOW_WAITED), 0);
    ck_assert_uint_eq(guard_event_count(GUARD_COOKIE_ACCEPTED), guard_event_count(GUARD_WINDOW_WAITED));
    ck_assert_uint_eq(peers[BURST - 1].snd_wnd, 0);
}
END_TEST

/* What lwIP announces to the peer at port now (the tx queue is shared by
 * all peers: reading one peer's segments would drop the others'). */
static tcpwnd_size_t announced(uint16_t port)
{
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->remote_port == port) {
            return pcb->rcv_ann_wnd;
        }
    }
    ck_abort_msg("no connection from port %u", port);
    return 0;
}

/* Two windows fit; the next three clients wait with a zero window, and as
 * earlier connections end, the waiting ones get their windows in arrival
 * order (test_syn_cookie.c checks the ACK that tells the peer). */
START_TEST(waiting_windows_open_in_arrival_order_as_memory_frees)
{
    enum { CLIENTS = 5 };
    use_limit(SMALL_LIMIT);
    connect_all(CLIENTS);
    fixture_discard_tx();
    ck_assert_uint_gt(announced(FIRST_PORT), 0);
    ck_assert_uint_gt(announced(FIRST_PORT + 1), 0);
    fake_clock_advance(GUARD_WINDOW_RETRY_MS);
    for (int i = 2; i < CLIENTS; i++) {
        ck_assert_uint_eq(announced((uint16_t)(FIRST_PORT + i)), 0);
    }
    for (int closing = 0; closing < 2; closing++) {
        peer_send(&peers[closing], TCPF_ACK | TCPF_FIN, NULL, 0);
        fake_clock_advance(GUARD_WINDOW_RETRY_MS);
        fixture_discard_tx();
        ck_assert_uint_gt(announced((uint16_t)(FIRST_PORT + 2 + closing)), 0);
        for (int i = 3; i < CLIENTS; i++) {
            int opened = announced((uint16_t)(FIRST_PORT + i)) > 0;
            int earlier_opened = announced((uint16_t)(FIRST_PORT + i - 1)) > 0;
            ck_assert_msg(!opened || earlier_opened, "client %d got its window before client %d", i, i - 1);
        }
    }
    ck_assert_uint_gt(announced(FIRST_PORT + CLIENTS - 1), 0);
    ck_assert_uint_eq(guard_event_count(GUARD_WINDOW_OPENED), CLIENTS - 2);
    ck_assert(fixture_log_has("INFO guard: window of 192.0.2.1:20002 opened to "));
    /* The waiting client echoes like any other. */
    peer_send(&peers[CLIENTS - 1], TCPF_ACK | TCPF_PSH, "late", 4);
    struct segment s;
    ck_assert_int_eq(peer_recv(&peers[CLIENTS - 1], &s), 1);
    ck_assert_uint_eq(s.payload_len, 4);
    restore_limit();
}
END_TEST

/* Connections that never send keep nobody waiting for good: their promise
 * counts for WINDOW_BUDGET_PROMISE_TTL_MS, then only memory in use does. */
START_TEST(an_idle_connections_promise_expires)
{
    use_limit(SMALL_LIMIT);
    connect_all(3);
    ck_assert_uint_eq(peers[2].snd_wnd, 0);
    fake_clock_advance(GUARD_WINDOW_PROMISE_TTL_MS / 2);
    ck_assert_uint_eq(announced(FIRST_PORT + 2), 0);
    fake_clock_advance(GUARD_WINDOW_PROMISE_TTL_MS / 2 + GUARD_WINDOW_RETRY_MS);
    ck_assert_uint_gt(window_now(&peers[2]), 0);
    restore_limit();
}
END_TEST

/* A flood's SYNs never complete: their windows count for
 * GUARD_WINDOW_HALF_OPEN_TTL_MS only, so a real client waits no longer
 * than that (an established connection's window counts for the longer
 * GUARD_WINDOW_PROMISE_TTL_MS: an_idle_connections_promise_expires). */
START_TEST(a_floods_half_open_windows_keep_nobody_waiting_long)
{
    use_limit(SMALL_LIMIT);
    static const uint8_t mss[4] = {2, 4, 0x05, 0xb4};
    for (uint32_t n = 0; n < 8; n++) {
        fixture_send_raw_tcp(0xc0000264u + n, (uint16_t)(1024 + n), ECHO_PORT, n * 7919u, 0, TCPF_SYN, mss,
                             sizeof mss, NULL, 0);
    }
    fixture_discard_tx();
    peer_init(&peers[0], FIRST_PORT, ECHO_PORT, PEER_ISS);
    peer_connect(&peers[0]);
    ck_assert_uint_eq(announced(FIRST_PORT), 0);
    fake_clock_advance(GUARD_WINDOW_HALF_OPEN_TTL_MS + GUARD_WINDOW_RETRY_MS);
    ck_assert_uint_gt(window_now(&peers[0]), 0);
    restore_limit();
}
END_TEST

/* A promise is kept by the data that fills it: once the first window's
 * bytes came, memory in use counts instead, and the next client's window
 * opens without waiting for the promise to expire. */
START_TEST(filled_windows_stop_counting_as_promised)
{
    use_limit(SMALL_LIMIT);
    connect_all(3);
    ck_assert_uint_eq(peers[2].snd_wnd, 0);
    size_t total = peers[0].snd_wnd;
    uint8_t *data = make_pattern(total);
    peers[0].stream = malloc(total);
    peers[0].stream_cap = total;
    peer_pump(&peers[0], data, total, total, 0);
    ck_assert_int_eq(memcmp(peers[0].stream, data, total), 0);
    free(peers[0].stream);
    peers[0].stream = NULL;
    free(data);
    fake_clock_advance(GUARD_WINDOW_RETRY_MS);
    ck_assert_uint_gt(window_now(&peers[2]), 0);
    restore_limit();
}
END_TEST

Suite *window_budget_suite(void)
{
    Suite *s = suite_create("window_budget");
    fixture_add_test(s, burst_windows_stay_within_half_the_memory);
    fixture_add_test(s, waiting_windows_open_in_arrival_order_as_memory_frees);
    fixture_add_test(s, an_idle_connections_promise_expires);
    fixture_add_test(s, a_floods_half_open_windows_keep_nobody_waiting_long);
    fixture_add_test(s, filled_windows_stop_counting_as_promised);
    return s;
}
