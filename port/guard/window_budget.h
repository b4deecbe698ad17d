/* Receive windows shared out of one budget (an eighth of the memory limit) across
 * all connections. A connection keeps the window it opens with (the echo
 * acknowledges input only as it writes it back), so what all windows let in
 * at once is bounded by the sum of the windows granted. Each pcb's grant is
 * kept in a pcb extension slot and returned when the pcb is freed or its
 * window is given back at close: O(1) per connection, nothing per segment. */
#ifndef LWIPTAP_WINDOW_BUDGET_H
#define LWIPTAP_WINDOW_BUDGET_H

#include <stddef.h>

#include "lwip/tcp.h"

/* The smallest window a connection opens with once the budget is spent: two
 * segments. Not one: lwIP announces a window that opened by less than an MSS
 * only... never (tcp_update_rcv_ann_wnd), and a one-segment window, rounded
 * down by the window scale, never opens by a whole MSS: the connection
 * stalled at window 0 (6,289 of 10,000 in e2e.burst_10k). */
#define WINDOW_BUDGET_FLOOR (2 * TCP_MSS)

void window_budget_init(void);
/* Whether a SYN may make a new connection: while the memory in use and the
 * windows still waiting for their first data stay below half the limit.
 * Past it a SYN waits (the client sends it again), before the memory guard
 * has to drop data at three quarters. */
int window_budget_admits(void);
/* For each segment with data: pcb's grant is no longer pending. O(1). */
void window_budget_data_arrived(struct tcp_pcb *pcb);
size_t window_budget_pending(void);
/* Sets pcb's initial window: what is left of the budget (an eighth of the
 * memory limit) shared with the waiting connections (half-open ones, each
 * about to want its share), at least floor, at most what the pcb can
 * announce. */
void window_budget_grant(struct tcp_pcb *pcb, unsigned waiting, tcpwnd_size_t floor);
/* Returns pcb's grant to the budget (its window no longer counts). */
void window_budget_release(struct tcp_pcb *pcb);
size_t window_budget_size(void);

#endif
