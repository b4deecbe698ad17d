/* The window budget (port/guard/window_budget.c): in a burst of SYNs the
 * initial windows together stay within the budget instead of growing with
 * the log of the connection count, and a SYN waits while the windows granted
 * but not yet filled would take more than half the memory limit. */
#include <check.h>
#include <stdint.h>

#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwiptap/guard.h"
#include "lwiptap/mem_budget.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 5000u
#define FIRST_PORT 20000
#define BURST 300

static struct peer peers[BURST];

/* The peer's SYN; returns whether lwIP answered it with a SYN-ACK. */
static int syn_answered(struct peer *p, uint16_t port)
{
    struct segment s;
    peer_init(p, port, ECHO_PORT, PEER_ISS);
    peer_send(p, TCPF_SYN, NULL, 0);
    int answered = 0;
    while (peer_recv(p, &s) == 1) {
        answered |= s.flags == (TCPF_SYN | TCPF_ACK);
    }
    return answered;
}

static size_t windows_of_half_open_pcbs(void)
{
    size_t sum = 0;
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        sum += pcb->state == SYN_RCVD ? pcb->rcv_wnd : 0;
    }
    return sum;
}

/* Before, each SYN got a quarter of the limit shared among the pcbs that
 * existed when it came: 300 SYNs at once opened 34 MB of windows, more than
 * twice that quarter, and 10,000 several times the whole limit. */
START_TEST(burst_windows_stay_within_the_budget)
{
    for (int i = 0; i < BURST; i++) {
        ck_assert(syn_answered(&peers[i], (uint16_t)(FIRST_PORT + i)));
    }
    size_t sum = windows_of_half_open_pcbs();
    ck_assert_msg(sum <= mem_budget_limit() / 4, "%d SYNs at once opened %zu bytes of windows, limit %zu",
                  BURST, sum, mem_budget_limit());
}
END_TEST

START_TEST(syn_waits_while_unfilled_windows_would_take_the_memory)
{
    size_t saved = mem_budget_limit();
    mem_budget_set_limit((size_t)256 * 1024);
    int admitted = 0;
    while (admitted < BURST && syn_answered(&peers[admitted], (uint16_t)(FIRST_PORT + admitted))) {
        admitted++;
    }
    ck_assert_int_gt(admitted, 1);
    ck_assert_int_lt(admitted, BURST);
    ck_assert_uint_eq(guard_count(GUARD_TCP_SYN_LOW_MEMORY), 1);
    ck_assert(fixture_log_has("KiB of windows awaiting their first data"));
    /* The first connection's data comes: its window counts no more, the
     * memory its data takes does, and there is room for one more SYN. */
    peer_send(&peers[0], TCPF_ACK, NULL, 0);
    peer_send(&peers[0], TCPF_ACK | TCPF_PSH, "hello", 5);
    struct segment s;
    while (peer_recv(&peers[0], &s) == 1) {
    }
    struct peer late;
    ck_assert(syn_answered(&late, (uint16_t)(FIRST_PORT + BURST)));
    mem_budget_set_limit(saved);
}
END_TEST

Suite *window_budget_suite(void)
{
    Suite *s = suite_create("window_budget");
    fixture_add_test(s, burst_windows_stay_within_the_budget);
    fixture_add_test(s, syn_waits_while_unfilled_windows_would_take_the_memory);
    return s;
}
