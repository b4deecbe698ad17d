/* Per-connection TCP behaviour the command line asks for, applied the same way
 * to the services' connections and to the --connect session. */
#ifndef LWIPTAP_TCP_OPTIONS_H
#define LWIPTAP_TCP_OPTIONS_H

#include <stdint.h>

#include "lwip/tcp.h"

struct keepalive_config {
    uint32_t idle_ms; /* 0: keepalive off */
    uint32_t interval_ms;
    uint32_t count;
};

/* Switches lwIP's keepalive on for pcb: after idle_ms without a segment from
 * the peer, a probe every interval_ms; count probes unanswered reset it. */
static inline void keepalive_apply(struct tcp_pcb *pcb, const struct keepalive_config *ka)
{
    if (ka->idle_ms == 0) {
        return;
    }
    ip_set_option(pcb, SOF_KEEPALIVE);
    pcb->keep_idle = ka->idle_ms;
    pcb->keep_intvl = ka->interval_ms;
    pcb->keep_cnt = ka->count;
}

#endif
