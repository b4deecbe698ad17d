/* A hash of the 4-tuple over lwIP's active and TIME_WAIT pcbs, so that
 * tcp_input() finds a segment's connection in O(1), not by walking every
 * connection (issue 15). lwIP has no hook for its lookup: patches/ replaces
 * the heads of tcp_input()'s two list walks (cmake/lwip.cmake), and this
 * header, read by lwIP's tcp.c and tcp_in.c after tcp_priv.h (through
 * hooks.h), routes TCP_REG/TCP_RMV through functions that keep the hash in
 * step with the lists. tcp_slowtmr() unlinks pcbs by hand: a patch calls
 * lwiptap_pcb_hash_remove() there. */
#ifndef LWIPTAP_PCB_HASH_H
#define LWIPTAP_PCB_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/arch.h"
#include "lwip/ip_addr.h"

struct tcp_pcb;
struct netif;

/* Pcbs lwIP's list walks looked at (patches/tcp_count_pcb_visit.c) and the
 * TCP_RMV walk: the test that no segment costs O(connections) reads it. */
extern uint64_t lwiptap_pcb_visits;

/* The active or TIME_WAIT pcb of this 4-tuple that accepts segments from
 * inp, or NULL. */
struct tcp_pcb *lwiptap_pcb_hash_find(const struct netif *inp, const ip_addr_t *local_ip, u16_t local_port,
                                      const ip_addr_t *remote_ip, u16_t remote_port);

/* Forgets pcb, which is leaving the active or TIME_WAIT list. */
void lwiptap_pcb_hash_remove(struct tcp_pcb *pcb);

/* TCP_REG and TCP_RMV: lwIP's list operations plus the hash. */
void lwiptap_tcp_reg(struct tcp_pcb **list, struct tcp_pcb *pcb);
void lwiptap_tcp_rmv(struct tcp_pcb **list, struct tcp_pcb *pcb);

/* Checks that every pcb on the active and TIME_WAIT lists is found by its
 * hash and that the hash holds nothing else, and lwIP's own tcp_pcbs_sane()
 * (which no longer runs after every segment). Returns 0, or -1 with what is
 * wrong in err. For the unit tests and the fuzzer: O(connections). */
int lwiptap_pcb_hash_check(char *err, size_t errlen);

/* How many pcbs the hash holds. */
size_t lwiptap_pcb_hash_count(void);

#endif

/* Outside the include guard: only a file that read tcp_priv.h first (lwIP's
 * tcp.c and tcp_in.c, which read hooks.h after it) gets the new TCP_REG and
 * TCP_RMV; TCP_REG_ACTIVE and friends expand to them where they are used. */
#if defined(TCP_REG) && !defined(LWIPTAP_TCP_LISTS_HASHED)
#define LWIPTAP_TCP_LISTS_HASHED 1
#undef TCP_REG
#undef TCP_RMV
#define TCP_REG(pcbs, npcb) lwiptap_tcp_reg((pcbs), (npcb))
#define TCP_RMV(pcbs, npcb) lwiptap_tcp_rmv((pcbs), (npcb))
#endif
