#include "stack.h"

#include <stdio.h>
#include <string.h>

#include "endpoint.h"
#include "netif/ethernet.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tap_queue.h"

int stack_up(struct stack *stack, const struct lwiptap_config *cfg, struct link *link, char *err,
             size_t errlen)
{
    memset(stack, 0, sizeof *stack);
    stack->link_state.link = link;
    memcpy(stack->link_state.mac, cfg->mac, sizeof cfg->mac);
    if (netif_add(&stack->netif, &cfg->ip4, &cfg->netmask, &cfg->gateway, &stack->link_state, netif_link_init,
                  ethernet_input) == NULL) {
        snprintf(err, errlen, "lwIP refused the network interface");
        return -1;
    }
    netif_create_ip6_linklocal_address(&stack->netif, 1);
    /* No duplicate address detection: the addresses are the user's to choose. */
    netif_ip6_addr_set_state(&stack->netif, 0, IP6_ADDR_PREFERRED);
    if (cfg->has_ip6) {
        netif_ip6_addr_set(&stack->netif, 1, &cfg->ip6);
        netif_ip6_addr_set_state(&stack->netif, 1, IP6_ADDR_PREFERRED);
    }
    netif_set_default(&stack->netif);
    netif_set_link_up(&stack->netif);
    netif_set_up(&stack->netif);
    return 0;
}

void stack_down(struct stack *stack)
{
    char err[LINK_ERR_LEN];
    if (netif_link_flush(&stack->netif, err) != 0) {
        log_warn("lwip-tap", "last frames not sent: %s", err);
    }
    netif_set_down(&stack->netif);
    netif_remove(&stack->netif);
    netif_link_release(&stack->link_state);
    link_destroy(stack->link_state.link);
    stack->link_state.link = NULL;
}

int stack_open_connections(void)
{
    int n = 0;
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
        n++;
    }
    return n;
}

void stack_abort_all(void)
{
    while (tcp_active_pcbs != NULL) {
        tcp_abort(tcp_active_pcbs);
    }
    while (tcp_tw_pcbs != NULL) {
        tcp_abort(tcp_tw_pcbs);
    }
}

void stack_log_stats(void)
{
    const struct link_fault_stats *fault = link_fault_stats();
    const struct link_fault_counts *dirs[2] = {&fault->rx, &fault->tx};
    for (int i = 0; i < 2; i++) {
        const struct link_fault_counts *c = dirs[i];
        if (c->dropped + c->corrupted + c->duplicated + c->reordered + c->delayed + c->overflowed != 0) {
            log_info("stats",
                     "fault %s dropped=%llu corrupted=%llu duplicated=%llu reordered=%llu delayed=%llu "
                     "overflowed=%llu",
                     i == 0 ? "rx" : "tx", (unsigned long long)c->dropped, (unsigned long long)c->corrupted,
                     (unsigned long long)c->duplicated, (unsigned long long)c->reordered,
                     (unsigned long long)c->delayed, (unsigned long long)c->overflowed);
        }
    }
    log_info("stats", "link rx=%u tx=%u drop=%u err=%u", (unsigned)lwip_stats.link.recv,
             (unsigned)lwip_stats.link.xmit, (unsigned)lwip_stats.link.drop,
             (unsigned)(lwip_stats.link.err + lwip_stats.link.lenerr + lwip_stats.link.memerr));
    log_info("stats", "arp rx=%u tx=%u; ip rx=%u tx=%u drop=%u; ip6 rx=%u tx=%u drop=%u",
             (unsigned)lwip_stats.etharp.recv, (unsigned)lwip_stats.etharp.xmit, (unsigned)lwip_stats.ip.recv,
             (unsigned)lwip_stats.ip.xmit, (unsigned)lwip_stats.ip.drop, (unsigned)lwip_stats.ip6.recv,
             (unsigned)lwip_stats.ip6.xmit, (unsigned)lwip_stats.ip6.drop);
    log_info("stats", "icmp rx=%u tx=%u; icmp6 rx=%u tx=%u", (unsigned)lwip_stats.icmp.recv,
             (unsigned)lwip_stats.icmp.xmit, (unsigned)lwip_stats.icmp6.recv,
             (unsigned)lwip_stats.icmp6.xmit);
    log_info("stats", "tcp rx=%u tx=%u drop=%u chkerr=%u memerr=%u", (unsigned)lwip_stats.tcp.recv,
             (unsigned)lwip_stats.tcp.xmit, (unsigned)lwip_stats.tcp.drop, (unsigned)lwip_stats.tcp.chkerr,
             (unsigned)lwip_stats.tcp.memerr);
    if (netif_default != NULL) {
        const struct netif_link *nl = netif_default->state;
        const struct netif_link_stats *o = &nl->stats;
        log_info(
            "stats",
            "offload %s: rx super-frames=%llu partial-csum=%llu; tx super-frames=%llu carrying %llu segments",
            nl->offload ? "on" : "off", (unsigned long long)o->rx_super_frames,
            (unsigned long long)o->rx_partial_csum, (unsigned long long)o->tx_super_frames,
            (unsigned long long)o->tx_segments_in_super_frames);
    }
    log_info("stats", "memory used=%zu KiB peak=%zu KiB limit=%zu KiB refused=%u", mem_budget_used() / 1024,
             (size_t)lwip_stats.mem.max / 1024, mem_budget_limit() / 1024, (unsigned)lwip_stats.mem.err);
    guard_log_counts("stats");
    tap_queue_log_stats();
}

static void log_pcb_list(const char *list, struct tcp_pcb *pcb)
{
    for (; pcb != NULL; pcb = pcb->next) {
        char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
        endpoint_format(&pcb->local_ip, pcb->local_port, local, sizeof local);
        endpoint_format(&pcb->remote_ip, pcb->remote_port, remote, sizeof remote);
        log_info("pcbs", "%s %s %s %s snd_buf=%u rcv_wnd=%u", list, local, remote,
                 tcp_debug_state_str(pcb->state), (unsigned)pcb->snd_buf, (unsigned)pcb->rcv_wnd);
    }
}

void stack_log_pcbs(void)
{
    for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l != NULL; l = l->next) {
        log_info("pcbs", "listen port %u %s", l->local_port, tcp_debug_state_str(l->state));
    }
    log_pcb_list("active", tcp_active_pcbs);
    log_pcb_list("time-wait", tcp_tw_pcbs);
}
