/* See window_budget.h. Why promises and not a fixed share per connection:
 * sized from the connections that existed when its SYN came, the windows of
 * a burst added up to several times the memory limit (limit/4 x ln N);
 * shared out of a fixed budget, 10,000 windows were two segments each, and
 * 64 KiB of echo then took 23 round trips of small frames per connection,
 * while SYNs that did not fit were dropped and waited for the clients' SYN
 * timers (docs/benchmark-burst.md). */
#include "window_budget.h"

#include <stdio.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwiptap/guard.h"
#include "lwiptap/mem_budget.h"
#include "guard_text.h"

enum record_state { RECORD_FREE, RECORD_WAITING, RECORD_PROMISED };

/* A pcb's record while it waits (in the wait queue) or while its first
 * window is promised (in one of the promise lists, oldest first). Once the
 * promise is kept or expires, the record goes back to the free list. */
struct record {
    struct record *prev, *next;
    struct record *ring; /* the sentinel of the ring it is in */
    struct tcp_pcb *pcb;
    size_t unfilled;
    u32_t since_ms;
    enum record_state state;
};

static struct record records[MEMP_NUM_TCP_PCB];
static struct record *free_records;
static struct record wait_queue; /* sentinels of the rings */
/* A half-open pcb's window is promised for a short while only: a flood's
 * SYNs never complete, and must not keep real clients waiting. */
static struct record half_open_promises;
static struct record promises;
static size_t promised;
static unsigned waiting;
static u32_t longest_wait_ms;
static int opener_scheduled;
static u8_t slot;
static int slot_allocated;

static void ring_init(struct record *sentinel)
{
    sentinel->prev = sentinel->next = sentinel;
}

static void ring_append(struct record *sentinel, struct record *r)
{
    r->ring = sentinel;
    r->prev = sentinel->prev;
    r->next = sentinel;
    sentinel->prev->next = r;
    sentinel->prev = r;
}

static void ring_unlink(struct record *r)
{
    r->prev->next = r->next;
    r->next->prev = r->prev;
}

/* Unlinks r from its ring and frees it; its promise no longer counts. */
static void retire(struct record *r)
{
    ring_unlink(r);
    if (r->state == RECORD_PROMISED) {
        LWIP_ASSERT("window_budget: promised covers each promise", r->unfilled <= promised);
        promised -= r->unfilled;
    } else {
        LWIP_ASSERT("window_budget: waiting counts each waiter", waiting > 0);
        waiting--;
    }
    r->state = RECORD_FREE;
    r->pcb = NULL;
    r->next = free_records;
    free_records = r;
}

static void on_destroyed(u8_t id, void *data)
{
    LWIP_UNUSED_ARG(id);
    /* lwIP frees the pcb right after this: do not touch it again. */
    if (data != NULL) {
        retire(data);
    }
}

static const struct tcp_ext_arg_callbacks record_callbacks = {on_destroyed, NULL};
/* lwIP asserts on NULL callbacks: an empty set is how a slot is let go. */
static const struct tcp_ext_arg_callbacks no_callbacks = {NULL, NULL};

static void detach(struct record *r)
{
    tcp_ext_arg_set_callbacks(r->pcb, slot, &no_callbacks);
    tcp_ext_arg_set(r->pcb, slot, NULL);
    retire(r);
}

static struct record *attach(struct tcp_pcb *pcb, enum record_state state, struct record *ring)
{
    struct record *r = free_records;
    LWIP_ASSERT("window_budget: a record for every pcb", r != NULL);
    if (r == NULL) {
        return NULL;
    }
    free_records = r->next;
    r->pcb = pcb;
    r->state = state;
    r->since_ms = sys_now();
    ring_append(ring, r);
    tcp_ext_arg_set_callbacks(pcb, slot, &record_callbacks);
    tcp_ext_arg_set(pcb, slot, r);
    return r;
}

/* Promises older than the TTL stop counting: from then on the memory their
 * data takes counts instead. Each list is oldest first: O(1) per promise. */
static void expire_promises(struct record *sentinel, u32_t ttl_ms)
{
    u32_t now = sys_now();
    while (sentinel->next != sentinel && (u32_t)(now - sentinel->next->since_ms) >= ttl_ms) {
        detach(sentinel->next);
    }
}

static size_t room(void)
{
    expire_promises(&half_open_promises, WINDOW_BUDGET_HALF_OPEN_TTL_MS);
    expire_promises(&promises, WINDOW_BUDGET_PROMISE_TTL_MS);
    size_t taken = mem_budget_used() + promised;
    size_t half = mem_budget_limit() / 2;
    return taken < half ? half - taken : 0;
}

static tcpwnd_size_t floor_for(const struct tcp_pcb *pcb)
{
    return (tcpwnd_size_t)LWIP_MIN((size_t)WINDOW_BUDGET_FLOOR, (size_t)TCP_WND_MAX(pcb));
}

static void promise(struct tcp_pcb *pcb, tcpwnd_size_t wnd, struct record *ring)
{
    struct record *r = attach(pcb, RECORD_PROMISED, ring);
    if (r != NULL) {
        r->unfilled = wnd;
        promised += wnd;
    }
}

static void open_waiting(void *arg);

static void schedule_opener(u32_t ms)
{
    if (!opener_scheduled) {
        opener_scheduled = 1;
        sys_timeout(ms, open_waiting, NULL);
    }
}

/* Opens the window of a waiting connection and tells its peer at once. */
static void open_window(struct record *r, tcpwnd_size_t wnd)
{
    struct tcp_pcb *pcb = r->pcb;
    u32_t waited = sys_now() - r->since_ms;
    longest_wait_ms = LWIP_MAX(longest_wait_ms, waited);
    retire(r);
    promise(pcb, wnd, pcb->state == SYN_RCVD ? &half_open_promises : &promises);
    pcb->rcv_wnd = wnd;
    char peer[IPADDR_STRLEN_MAX + 8];
    guard_endpoint(&pcb->remote_ip, pcb->remote_port, peer, sizeof peer);
    guard_event_note(GUARD_WINDOW_OPENED, "window of %s opened to %u bytes after %u ms; %u still waiting",
                     peer, (unsigned)wnd, (unsigned)waited, waiting);
    if (pcb->state == SYN_RCVD) {
        pcb->rcv_ann_wnd = wnd; /* announced by the handshake's next segment */
        return;
    }
    tcp_update_rcv_ann_wnd(pcb);
    tcp_ack_now(pcb);
    tcp_output(pcb);
}

static void open_waiting(void *arg)
{
    LWIP_UNUSED_ARG(arg);
    opener_scheduled = 0;
    while (wait_queue.next != &wait_queue) {
        struct record *r = wait_queue.next;
        /* Shared with those behind it: many windows of the floor open more
         * connections at once than a few of the largest. */
        size_t left = room(), floor = floor_for(r->pcb);
        size_t wnd = LWIP_MIN(LWIP_MAX(left / waiting, floor), (size_t)TCP_WND_MAX(r->pcb));
        if (left < floor) {
            schedule_opener(WINDOW_BUDGET_RETRY_MS);
            return;
        }
        open_window(r, (tcpwnd_size_t)wnd);
    }
}

void window_budget_init(void)
{
    if (!slot_allocated) {
        slot = tcp_ext_arg_alloc_id();
        slot_allocated = 1;
    }
    LWIP_ASSERT("window_budget_init: no promise is outstanding", promised == 0 && waiting == 0);
    if (opener_scheduled) {
        sys_untimeout(open_waiting, NULL);
        opener_scheduled = 0;
    }
    promised = 0;
    waiting = 0;
    longest_wait_ms = 0;
    ring_init(&wait_queue);
    ring_init(&half_open_promises);
    ring_init(&promises);
    free_records = NULL;
    for (size_t i = 0; i < LWIP_ARRAYSIZE(records); i++) {
        records[i].state = RECORD_FREE;
        records[i].next = free_records;
        free_records = &records[i];
    }
}

int window_budget_admits(void)
{
    /* Before the pcb exists its window scale is not known: the floor fits any pcb. */
    return waiting == 0 && room() >= (size_t)WINDOW_BUDGET_FLOOR;
}

void window_budget_grant(struct tcp_pcb *pcb)
{
    tcpwnd_size_t wnd =
        (tcpwnd_size_t)LWIP_MIN(LWIP_MAX(room(), (size_t)floor_for(pcb)), (size_t)TCP_WND_MAX(pcb));
    pcb->rcv_wnd = wnd;
    pcb->rcv_ann_wnd = wnd;
    promise(pcb, wnd, &half_open_promises);
}

void window_budget_wait(struct tcp_pcb *pcb)
{
    pcb->rcv_wnd = 0;
    pcb->rcv_ann_wnd = 0;
    if (attach(pcb, RECORD_WAITING, &wait_queue) == NULL) {
        return;
    }
    waiting++;
    char peer[IPADDR_STRLEN_MAX + 8];
    guard_endpoint(&pcb->remote_ip, pcb->remote_port, peer, sizeof peer);
    guard_event_note(GUARD_WINDOW_WAITED,
                     "%s waits with a zero window (%u waiting): %zu KiB in use and %zu KiB promised to open "
                     "windows, of the %zu KiB memory limit",
                     peer, waiting, mem_budget_used() / 1024, promised / 1024, mem_budget_limit() / 1024);
    /* The opener runs from the timers, never inside tcp_input(). */
    schedule_opener(0);
}

void window_budget_handshake_acked(struct tcp_pcb *pcb)
{
    struct record *r = tcp_ext_arg_get(pcb, slot);
    if (r != NULL && r->state == RECORD_PROMISED && r->ring == &half_open_promises) {
        ring_unlink(r);
        r->since_ms = sys_now();
        ring_append(&promises, r);
    } else if (r == NULL && pcb->rcv_wnd > 0) {
        /* Its half-open promise expired before the handshake's ACK: from
         * now on its data may come, so its window counts again. */
        promise(pcb, pcb->rcv_wnd, &promises);
    }
}

void window_budget_data_arrived(struct tcp_pcb *pcb, u16_t len)
{
    struct record *r = tcp_ext_arg_get(pcb, slot);
    if (r == NULL || r->state != RECORD_PROMISED) {
        return;
    }
    size_t kept = LWIP_MIN((size_t)len, r->unfilled);
    r->unfilled -= kept;
    promised -= kept;
    if (r->unfilled == 0) {
        detach(r);
    }
}

void window_budget_release(struct tcp_pcb *pcb)
{
    if (!slot_allocated) {
        return;
    }
    struct record *r = tcp_ext_arg_get(pcb, slot);
    if (r != NULL) {
        detach(r);
    }
    if (waiting > 0) {
        schedule_opener(0);
    }
}

size_t window_budget_promised(void)
{
    return promised;
}

unsigned window_budget_waiting(void)
{
    return waiting;
}

u32_t window_budget_longest_wait_ms(void)
{
    return longest_wait_ms;
}
