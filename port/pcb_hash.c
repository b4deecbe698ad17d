/* The 4-tuple hash over lwIP's active and TIME_WAIT pcbs (see pcb_hash.h).
 *
 * Open addressing with linear probing in a static table twice the size of
 * lwIP's pcb pool, so it is never more than half full and never allocates.
 * Each slot also keeps the pcb's predecessor on its list, which makes
 * TCP_RMV O(1) on these lists instead of a walk to the pcb. The hash is
 * keyed with a random seed: a peer that picks its ports cannot aim them at
 * one chain without knowing it. */
#include "lwiptap/pcb_hash.h"

#include <stdio.h>
#include <string.h>

#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwiptap/diag.h"

#define SLOT_COUNT 32768u
#define SLOT_MASK (SLOT_COUNT - 1u)
_Static_assert(2u * MEMP_NUM_TCP_PCB <= SLOT_COUNT, "the hash must stay at most half full");

struct slot {
    struct tcp_pcb *pcb;   /* NULL: free */
    struct tcp_pcb *prev;  /* predecessor on the pcb's list, NULL at its head */
    struct tcp_pcb **list; /* the list it is on: tcp_active_pcbs or tcp_tw_pcbs */
    uint32_t hash;
};

static struct slot slots[SLOT_COUNT];
static size_t used;
static uint32_t seed;
static int seeded;
uint64_t lwiptap_pcb_visits;

static uint32_t mix(uint32_t h, uint32_t word)
{
    h ^= word;
    h *= 0x9e3779b1u;
    return h ^ (h >> 15);
}

static uint32_t mix_addr(uint32_t h, const ip_addr_t *addr)
{
#if LWIP_IPV6
    if (IP_IS_V6(addr)) {
        for (int i = 0; i < 4; i++) {
            h = mix(h, ip_2_ip6(addr)->addr[i]);
        }
        return h;
    }
#endif
    return mix(h, ip4_addr_get_u32(ip_2_ip4(addr)));
}

static uint32_t tuple_hash(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
                           u16_t remote_port)
{
    if (!seeded) {
        seed = lwiptap_random();
        seeded = 1;
    }
    uint32_t h = mix(seed, ((uint32_t)local_port << 16) | remote_port);
    h = mix_addr(h, local_ip);
    h = mix_addr(h, remote_ip);
    /* murmur3's finalizer: every input bit reaches the low bits the table uses. */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

static uint32_t pcb_hash(const struct tcp_pcb *pcb)
{
    return tuple_hash(&pcb->local_ip, pcb->local_port, &pcb->remote_ip, pcb->remote_port);
}

static int hashed_list(struct tcp_pcb *const *list)
{
    return list == &tcp_active_pcbs || list == &tcp_tw_pcbs;
}

/* The slot holding pcb, or NULL. */
static struct slot *slot_of(const struct tcp_pcb *pcb)
{
    for (uint32_t i = pcb_hash(pcb) & SLOT_MASK;; i = (i + 1u) & SLOT_MASK) {
        if (slots[i].pcb == pcb) {
            return &slots[i];
        }
        if (slots[i].pcb == NULL) {
            return NULL;
        }
    }
}

struct tcp_pcb *lwiptap_pcb_hash_find(const struct netif *inp, const ip_addr_t *local_ip, u16_t local_port,
                                      const ip_addr_t *remote_ip, u16_t remote_port)
{
    const u8_t inp_idx = netif_get_index(inp);
    for (uint32_t i = tuple_hash(local_ip, local_port, remote_ip, remote_port) & SLOT_MASK;
         slots[i].pcb != NULL; i = (i + 1u) & SLOT_MASK) {
        struct tcp_pcb *pcb = slots[i].pcb;
        if (pcb->local_port == local_port && pcb->remote_port == remote_port &&
            ip_addr_eq(&pcb->local_ip, local_ip) && ip_addr_eq(&pcb->remote_ip, remote_ip) &&
            (pcb->netif_idx == NETIF_NO_INDEX || pcb->netif_idx == inp_idx)) {
            return pcb;
        }
    }
    return NULL;
}

static void slot_insert(struct tcp_pcb **list, struct tcp_pcb *pcb, struct tcp_pcb *prev)
{
    LWIP_ASSERT("pcb hash: never more than half full", used < SLOT_COUNT / 2u);
    const uint32_t h = pcb_hash(pcb);
    uint32_t i = h & SLOT_MASK;
    while (slots[i].pcb != NULL) {
        i = (i + 1u) & SLOT_MASK;
    }
    slots[i] = (struct slot){.pcb = pcb, .prev = prev, .list = list, .hash = h};
    used++;
}

/* Empties slot s, moving later members of its run back so that a probe from
 * their home slot still reaches them (no tombstones). */
static void slot_delete(struct slot *s)
{
    uint32_t hole = (uint32_t)(s - slots);
    for (uint32_t j = (hole + 1u) & SLOT_MASK; slots[j].pcb != NULL; j = (j + 1u) & SLOT_MASK) {
        const uint32_t home = slots[j].hash & SLOT_MASK;
        /* slots[j] stays if its home lies cyclically in (hole, j]. */
        const int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole].pcb = NULL;
    used--;
}

void lwiptap_pcb_hash_remove(struct tcp_pcb *pcb)
{
    struct slot *s = slot_of(pcb);
    LWIP_ASSERT("pcb hash: a listed pcb is hashed", s != NULL);
    if (s == NULL) {
        return;
    }
    if (pcb->next != NULL) {
        struct slot *next = slot_of(pcb->next);
        LWIP_ASSERT("pcb hash: the next pcb is hashed", next != NULL);
        if (next != NULL) {
            next->prev = s->prev;
        }
    }
    slot_delete(s);
}

void lwiptap_tcp_reg(struct tcp_pcb **list, struct tcp_pcb *pcb)
{
    if (hashed_list(list)) {
        if (*list != NULL) {
            struct slot *head = slot_of(*list);
            LWIP_ASSERT("pcb hash: the head pcb is hashed", head != NULL);
            if (head != NULL) {
                head->prev = pcb;
            }
        }
        slot_insert(list, pcb, NULL);
    }
    pcb->next = *list;
    *list = pcb;
    tcp_timer_needed();
}

void lwiptap_tcp_rmv(struct tcp_pcb **list, struct tcp_pcb *pcb)
{
    struct tcp_pcb *prev = NULL;
    if (hashed_list(list)) {
        /* Like lwIP's own walk, removing a pcb that is not on the list does
         * nothing: lwIP does it, e.g. tcp_close() of a connection with unread
         * data resets it and takes it off the list, and tcp_input() then
         * removes it once more. */
        struct slot *s = slot_of(pcb);
        if (s == NULL || s->list != list) {
            return;
        }
        prev = s->prev;
        lwiptap_pcb_hash_remove(pcb);
    } else if (*list != pcb) {
        /* The bound and listening lists: a few pcbs, one per service. */
        for (prev = *list; prev != NULL && prev->next != pcb; prev = prev->next) {
            lwiptap_pcb_visits++;
        }
        if (prev == NULL) {
            return;
        }
    }
    if (prev == NULL) {
        *list = pcb->next;
    } else {
        prev->next = pcb->next;
    }
    pcb->next = NULL;
}

static int check_list(struct tcp_pcb *list, const char *name, size_t *listed, char *err, size_t errlen)
{
    struct tcp_pcb *prev = NULL;
    for (struct tcp_pcb *pcb = list; pcb != NULL; prev = pcb, pcb = pcb->next) {
        const struct slot *s = slot_of(pcb);
        if (s == NULL) {
            snprintf(err, errlen, "%s pcb :%u -> :%u is not in the hash", name, pcb->local_port,
                     pcb->remote_port);
            return -1;
        }
        if (s->hash != pcb_hash(pcb)) {
            snprintf(err, errlen, "%s pcb :%u -> :%u changed its 4-tuple in the hash", name, pcb->local_port,
                     pcb->remote_port);
            return -1;
        }
        if (s->prev != prev) {
            snprintf(err, errlen, "%s pcb :%u -> :%u has the wrong predecessor", name, pcb->local_port,
                     pcb->remote_port);
            return -1;
        }
        (*listed)++;
    }
    return 0;
}

int lwiptap_pcb_hash_check(char *err, size_t errlen)
{
    size_t listed = 0;
    if (check_list(tcp_active_pcbs, "active", &listed, err, errlen) != 0 ||
        check_list(tcp_tw_pcbs, "TIME_WAIT", &listed, err, errlen) != 0) {
        return -1;
    }
    if (listed != used) {
        snprintf(err, errlen, "the hash holds %zu pcbs, the active and TIME_WAIT lists %zu", used, listed);
        return -1;
    }
    /* Asserts if a state and a list disagree. */
    (void)tcp_pcbs_sane();
    return 0;
}

size_t lwiptap_pcb_hash_count(void)
{
    return used;
}
