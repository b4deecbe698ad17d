/* See window_budget.h. Why a budget and not a share of the connections that
 * exist when the SYN arrives: in a burst the early connections got large
 * windows (limit/4 x ln N in all, docs/benchmark-burst.md), whose flights
 * together took several times the memory limit; the memory guard then
 * dropped data frames, each costing its sender a retransmission timeout. */
#include "window_budget.h"

#include <stdint.h>

#include "lwip/priv/tcp_priv.h"
#include "lwiptap/mem_budget.h"

/* A pcb's slot holds its grant shifted left by one, and in bit 0 whether
 * its first data is still to come (the grant then also counts as pending). */
#define PENDING 1u

static size_t granted;
static size_t pending;
static u8_t slot;
static int slot_allocated;

static void give_back(uintptr_t d)
{
    size_t grant = (size_t)(d >> 1);
    LWIP_ASSERT("window_budget: a grant is never returned twice", grant <= granted);
    granted -= grant;
    if (d & PENDING) {
        LWIP_ASSERT("window_budget: pending within granted", grant <= pending);
        pending -= grant;
    }
}

static void on_destroyed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    give_back((uintptr_t)data);
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
    return mem_budget_used() + pending + WINDOW_BUDGET_FLOOR <= mem_budget_limit() / 2;
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
    granted += wnd;
    pending += wnd;
    tcp_ext_arg_set_callbacks(pcb, slot, &grant_callbacks);
    tcp_ext_arg_set(pcb, slot, (void *)(((uintptr_t)wnd << 1) | PENDING));
}

void window_budget_data_arrived(struct tcp_pcb *pcb)
{
    uintptr_t d = (uintptr_t)tcp_ext_arg_get(pcb, slot);
    if (d & PENDING) {
        pending -= (size_t)(d >> 1);
        tcp_ext_arg_set(pcb, slot, (void *)(d & ~(uintptr_t)PENDING));
    }
}

void window_budget_release(struct tcp_pcb *pcb)
{
    if (!slot_allocated) {
        return;
    }
    give_back((uintptr_t)tcp_ext_arg_get(pcb, slot));
    tcp_ext_arg_set(pcb, slot, NULL);
}
