/* The TCP state log: one line per state transition of every lwIP pcb,
 * listeners included, as it happens:
 *
 *   <time> INFO tcp-state: <local> <remote> <OLD> -> <NEW> via <cause>
 *
 * <cause> is "rx [<flags>]" (the received segment, tcpdump notation), "rx [-]"
 * (a received frame that is not TCP), "app" (our own call, e.g. tcp_close),
 * "timer" (an lwIP timer, e.g. TIME_WAIT expiring) or "shutdown" (lwip-tap
 * resetting what is still open when its shutdown grace ends); a change to
 * CLOSED that sent a RST adds ", tx [R.]".
 *
 * lwIP has no state-change hook, so the log compares pcbs with their last
 * logged state at each point where a change can happen: each frame in or out,
 * each callback into our services, after each of our own calls, and when lwIP
 * frees a pcb (via its ext-arg destroy callback, which catches "-> CLOSED").
 * Only pcbs that may have changed are compared, so a frame costs the same
 * with 10 connections as with 10,000: the pcb a segment was delivered to
 * (lwIP's TCP input hook), a pcb a listener spawned (ext-arg passive open),
 * and a pcb our services are about to act on. lwIP's timers change states
 * only by freeing pcbs, which the destroy callback sees; every pcb is
 * compared anyway once per run of lwIP's slow timer, so nothing can hide. */
#ifndef LWIPTAP_TCP_STATELOG_H
#define LWIPTAP_TCP_STATELOG_H

#include <stdint.h>

#include "lwip/tcp.h"
#include "lwiptap/link.h"

enum statelog_cause {
    STATELOG_CAUSE_CONTEXT, /* whatever the stack is doing now: rx of a frame, a timer, or the app */
    STATELOG_CAUSE_APP,
    STATELOG_CAUSE_TIMER,
    STATELOG_CAUSE_SHUTDOWN, /* lwip-tap resets what the shutdown grace left open */
};

/* Must run after lwip_init() and before any pcb exists. */
void tcp_statelog_init(void);
void tcp_statelog_set_enabled(int enabled);
/* --explain: a plain-language line under each transition. */
void tcp_statelog_set_explain(int explain);

/* Wraps the link so every frame gives the log its rx/tx context. */
struct link *tcp_statelog_wrap(struct link *inner);

/* Sets what an unexplained change is blamed on while no frame is being handled. */
void tcp_statelog_set_context(enum statelog_cause cause);

/* Compares the pcbs that may have changed with their last logged state and
 * logs the differences. */
void tcp_statelog_checkpoint(enum statelog_cause cause);

/* Every transition of a connection (listeners aside) also goes to the
 * connection model (lwiptap/conn_events.h), which the views draw from. */

/* A tcp-conn line for every open connection: traffic each way (the
 * timeline's counts), time in each state, lwIP's RTT estimates and windows. */
void tcp_statelog_log_connections(void);

/* How many pcb comparisons the log has made: what a frame costs it. */
uint64_t tcp_statelog_comparisons(void);

/* Marks pcb as one that may change next (before the call that may free it). */
void tcp_statelog_touch(struct tcp_pcb *pcb);

/* The services' probe (stream_service_set_probe): with a pcb, that pcb is
 * about to be acted on; without, a checkpoint, blamed on the app for
 * PROBE_APP and on the context otherwise; PROBE_APP_BEGIN/END bracket an app
 * action run from a timer. */
void tcp_statelog_probe(struct tcp_pcb *pcb, int app_action);

#endif
