/* Receive windows as promises that memory must keep. A window is what a peer
 * may send at once; in a burst of 10,000 clients the windows together would
 * be many times the memory limit, the memory guard would then drop data, and
 * each drop costs its sender a retransmission timeout. So a window is opened
 * only as far as memory allows: the memory in use plus what open windows may
 * still bring stays below half the limit (the data drops start at three
 * quarters). A connection that does not fit is still accepted, with a zero
 * window, and waits in arrival order; its window opens (and an ACK tells the
 * peer, which a zero window otherwise leaves to the peer's probe timer) as
 * soon as memory frees. A zero window is a wait the server controls, where a
 * dropped SYN or data segment waits for the client's timers (1, 3, 7 s).
 *
 * What a window "may still bring" is the part of its first window not yet
 * received, for at most PROMISE_TTL_MS: then memory in use counts instead,
 * so idle connections never keep others waiting for good. A half-open
 * connection's window counts for HALF_OPEN_TTL_MS (a flood's SYNs never
 * complete), and again in full from its handshake's ACK. O(1) per
 * connection and per segment; the per-pcb record lives in an extension
 * slot. */
#ifndef LWIPTAP_WINDOW_BUDGET_H
#define LWIPTAP_WINDOW_BUDGET_H

#include <stddef.h>

#include "lwip/tcp.h"
#include "lwiptap/guard.h"

/* The smallest window worth opening: 32 segments. Small windows make small
 * flights and small offload super-frames, so more frames per byte; and
 * lwIP announces a window only when it opened by an MSS (a window of one
 * segment, rounded down by the window scale, never opens again). */
#define WINDOW_BUDGET_FLOOR (32 * TCP_MSS)
#define WINDOW_BUDGET_PROMISE_TTL_MS GUARD_WINDOW_PROMISE_TTL_MS
#define WINDOW_BUDGET_HALF_OPEN_TTL_MS GUARD_WINDOW_HALF_OPEN_TTL_MS
#define WINDOW_BUDGET_RETRY_MS GUARD_WINDOW_RETRY_MS

void window_budget_init(void);
/* Whether a new connection may open with a window now: nobody is waiting
 * and the memory allows one of at least the floor. */
int window_budget_admits(void);
/* At passive open: pcb opens with as much of its window as memory allows
 * (window_budget_admits() said it is at least the floor). */
void window_budget_grant(struct tcp_pcb *pcb);
/* At passive open: pcb opens with a zero window and waits its turn. */
void window_budget_wait(struct tcp_pcb *pcb);
/* For each ACK that reaches a half-open pcb (about to complete its handshake). */
void window_budget_handshake_acked(struct tcp_pcb *pcb);
/* For each segment with len bytes of data for pcb. O(1). */
void window_budget_data_arrived(struct tcp_pcb *pcb, u16_t len);
/* pcb's promise no longer counts, and it stops waiting. */
void window_budget_release(struct tcp_pcb *pcb);
/* Bytes that open windows may still bring; connections waiting. */
size_t window_budget_promised(void);
unsigned window_budget_waiting(void);
/* The longest any connection waited for its window, since init. */
u32_t window_budget_longest_wait_ms(void);

#endif
