/* See window_budget.h. Why a budget and not a share of the connections that
 * exist when the SYN arrives: in a burst the early connections got large
 * windows (limit/4 x ln N in all, docs/benchmark-burst.md), whose flights
 * together took several times the memory limit; the memory guard then
 * dropped data frames, each costing its sender a retransmission timeout. */
#include "window_budget.h"

#include "lwip/priv/tcp_priv.h"
#include "lwiptap/mem_budget.h"

/* A pcb's slot points at its grant: the window, and whether its first data
 * is still to come (the grant then also counts as pending). One record per
 * pcb the pool can hold, on a free list: O(1). */
struct grant {
    struct grant *next_free;
    size_t wnd;
    int pending;
};

static struct grant records[MEMP_NUM_TCP_PCB];
static struct grant *free_records;
static size_t granted;
static size_t pending;
static u8_t slot;
static int slot_allocated;

static void give_back(struct grant *g)
{
    if (g == NULL) {
        return;
    }
    LWIP_ASSERT("window_budget: a grant is never returned twice", g->wnd <= granted);
    granted -= g->wnd;
    if (g->pending) {
        LWIP_ASSERT("window_budget: pending within granted", g->wnd <= pending);
        pending -= g->wnd;
    }
    g->next_free = free_records;
    free_records = g;
}

static void on_destroyed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    give_back(data);
}

static const struct tcp_ext_arg_callbacks grant_callbacks = {on_destroyed, NULL};

void window_budget_init(void)
{
    if (!slot_allocated) {
        slot = tcp_ext_arg_alloc_id();
        slot_allocated = 1;
    }
    LWIP_ASSERT("window_budget_init: no grant is outstanding", granted == 0 && pending == 0);
    granted = 0;
    pending = 0;
    free_records = NULL;
    for (size_t i = 0; i < LWIP_ARRAYSIZE(records); i++) {
        records[i].next_free = free_records;
        free_records = &records[i];
    }
}

size_t window_budget_size(void)
{
    return mem_budget_limit() / 8;
}

size_t window_budget_pending(void)
{
    return pending;
}

int window_budget_admits(void)
{
    /* In a burst every SYN arrives before any data: the windows granted
     * count until their first data comes, then the memory it takes does.
     * A flood's half-open pcbs are at most max_half_open (the rest get
     * cookies), and their grants shrink with their number, so a flood alone
     * never fills this. */
    return mem_budget_used() + pending + (size_t)WINDOW_BUDGET_FLOOR <= mem_budget_limit() / 2;
}

void window_budget_grant(struct tcp_pcb *pcb, unsigned waiting, tcpwnd_size_t floor)
{
    size_t size = window_budget_size();
    size_t left = granted < size ? size - granted : 0;
    size_t share = left / ((size_t)waiting + 1);
    /* Without window scaling (the SYN's options are parsed by now) 64 KiB at most. */
    tcpwnd_size_t wnd = (tcpwnd_size_t)LWIP_MIN(LWIP_MAX(share, (size_t)floor), (size_t)TCP_WND_MAX(pcb));
    pcb->rcv_wnd = wnd;
    pcb->rcv_ann_wnd = wnd;
    struct grant *g = free_records;
    LWIP_ASSERT("window_budget: a record for every pcb", g != NULL);
    if (g == NULL) {
        return;
    }
    free_records = g->next_free;
    g->wnd = wnd;
    g->pending = 1;
    granted += wnd;
    pending += wnd;
    tcp_ext_arg_set_callbacks(pcb, slot, &grant_callbacks);
    tcp_ext_arg_set(pcb, slot, g);
}

void window_budget_data_arrived(struct tcp_pcb *pcb)
{
    struct grant *g = tcp_ext_arg_get(pcb, slot);
    if (g != NULL && g->pending) {
        /* From now on the memory its data takes counts instead. */
        pending -= g->wnd;
        g->pending = 0;
    }
}

void window_budget_release(struct tcp_pcb *pcb)
{
    if (!slot_allocated) {
        return;
    }
    give_back(tcp_ext_arg_get(pcb, slot));
    tcp_ext_arg_set(pcb, slot, NULL);
}
