/* Brings up lwIP on one Ethernet link with the configured addresses. */
#ifndef LWIPTAP_STACK_H
#define LWIPTAP_STACK_H

#include "cli.h"
#include "lwip/netif.h"
#include "lwiptap/netif_link.h"

struct stack {
    struct netif netif;
    struct netif_link link_state;
};

/* lwip_init() must have run. Takes ownership of link. */
int stack_up(struct stack *stack, const struct lwiptap_config *cfg, struct link *link, char *err,
             size_t errlen);
void stack_down(struct stack *stack);

/* Connections that still exchange segments (TIME_WAIT excluded). */
int stack_open_connections(void);
/* Frees every remaining pcb; active ones get a RST. */
void stack_abort_all(void);

/* Log lines with lwIP's counters, and one line listing every pcb. */
void stack_log_stats(void);
void stack_log_pcbs(void);

#endif
