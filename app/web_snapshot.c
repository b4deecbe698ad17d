#include "web_snapshot.h"

#include <sys/socket.h>

#include "endpoint.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwiptap/guard.h"
#include "lwiptap/link.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/timeline.h"
#include "web_events.h"
#include "web_history.h"
#include "web_json.h"

static void direction(struct jbuf *b, const char *name, const struct timeline_direction *d)
{
    jb_printf(b, ",\"%s\":{\"seg\":%llu,\"bytes\":%llu,\"rtx\":%llu}", name, (unsigned long long)d->segments,
              (unsigned long long)d->bytes, (unsigned long long)d->retransmissions);
}

static int counts_of(const struct tcp_pcb *pcb, struct timeline_counts *counts)
{
    int v6 = IP_IS_V6(&pcb->local_ip);
    const void *local =
        v6 ? (const void *)ip_2_ip6(&pcb->local_ip)->addr : (const void *)&ip_2_ip4(&pcb->local_ip)->addr;
    const void *remote =
        v6 ? (const void *)ip_2_ip6(&pcb->remote_ip)->addr : (const void *)&ip_2_ip4(&pcb->remote_ip)->addr;
    return timeline_counts(v6 ? AF_INET6 : AF_INET, local, pcb->local_port, remote, pcb->remote_port, counts);
}

/* lwIP measures round trips in ticks of its slow timer: sa holds 8 x srtt. */
static void conn_row(struct jbuf *b, const struct tcp_pcb *pcb)
{
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    endpoint_format(&pcb->local_ip, pcb->local_port, local, sizeof local);
    endpoint_format(&pcb->remote_ip, pcb->remote_port, remote, sizeof remote);
    jb_printf(b, "{\"c\":\"%s %s\",\"state\":\"%s\"%s", local, remote, tcp_debug_state_str(pcb->state),
              web_events_is_subscriber(local, remote) ? ",\"sub\":1" : "");
    struct timeline_counts counts;
    if (counts_of(pcb, &counts) == 0) {
        direction(b, "sent", &counts.sent);
        direction(b, "recv", &counts.received);
    }
    jb_printf(b, ",\"srtt\":%d,\"rto\":%d,\"cwnd\":%u,\"ssthresh\":%u,\"snd_wnd\":%u,\"rcv_wnd\":%u}",
              (pcb->sa >> 3) * TCP_SLOW_INTERVAL, pcb->rto * TCP_SLOW_INTERVAL, (unsigned)pcb->cwnd,
              (unsigned)pcb->ssthresh, (unsigned)pcb->snd_wnd, (unsigned)pcb->rcv_wnd);
}

/* A connection gone since, so that a late page shows it closed, not as it last was. */
static void closed_conn(const char *conn, void *ctx)
{
    struct jbuf *b = ctx;
    jb_printf(b, "%s\"%s\"", b->p[b->len - 1] == '[' ? "" : ",", conn);
}

size_t web_snapshot_conns(char *out, size_t outlen)
{
    struct jbuf b;
    jb_init(&b, out, outlen);
    unsigned total = 0, listed = 0;
    jb_printf(&b, "{\"rows\":[");
    for (const struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l != NULL; l = l->next, total++) {
        if (listed < WEB_SNAPSHOT_ROWS) {
            char local[ENDPOINT_STRLEN];
            endpoint_format(&l->local_ip, l->local_port, local, sizeof local);
            jb_printf(&b, "%s{\"c\":\"%s *\",\"state\":\"LISTEN\"}", listed++ ? "," : "", local);
        }
    }
    const struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
    for (int i = 0; i < 2; i++) {
        for (const struct tcp_pcb *pcb = lists[i]; pcb != NULL; pcb = pcb->next, total++) {
            if (listed < WEB_SNAPSHOT_ROWS) {
                jb_printf(&b, "%s", listed++ ? "," : "");
                conn_row(&b, pcb);
            }
        }
    }
    jb_printf(&b, "],\"total\":%u,\"closed\":[", total);
    web_history_closed(closed_conn, &b);
    jb_printf(&b, "]}");
    return b.len;
}

static void fault_dir(struct jbuf *b, const char *name, const struct link_fault_counts *c)
{
    jb_printf(b,
              "\"%s\":{\"dropped\":%llu,\"corrupted\":%llu,\"duplicated\":%llu,\"reordered\":%llu,"
              "\"delayed\":%llu,\"overflowed\":%llu}",
              name, (unsigned long long)c->dropped, (unsigned long long)c->corrupted,
              (unsigned long long)c->duplicated, (unsigned long long)c->reordered,
              (unsigned long long)c->delayed, (unsigned long long)c->overflowed);
}

size_t web_snapshot_counters(char *out, size_t outlen)
{
    struct jbuf b;
    jb_init(&b, out, outlen);
    jb_printf(&b, "{\"guard\":{");
    int first = 1;
    for (int r = 0; r < GUARD_REASON_COUNT; r++) {
        uint64_t n = guard_count((enum guard_reason)r);
        if (n != 0) {
            jb_printf(&b, "%s\"%s\":%llu", first ? "" : ",", guard_reason_name((enum guard_reason)r),
                      (unsigned long long)n);
            first = 0;
        }
    }
    const struct link_fault_stats *f = link_fault_stats();
    jb_printf(&b, "},\"fault\":{");
    fault_dir(&b, "rx", &f->rx);
    jb_printf(&b, ",");
    fault_dir(&b, "tx", &f->tx);
    jb_printf(
        &b, "},\"mem\":{\"used\":%zu,\"peak\":%zu,\"limit\":%zu},\"subscribers\":%d,\"events_dropped\":%llu}",
        mem_budget_used(), (size_t)lwip_stats.mem.max, mem_budget_limit(), web_sub_count(),
        (unsigned long long)web_events_dropped());
    return b.len;
}
