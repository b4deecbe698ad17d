/* Declarations of the functions lwipopts.h installs as lwIP hooks
 * (LWIP_HOOK_FILENAME): lwIP's sources include this file. */
#ifndef LWIPTAP_HOOKS_H
#define LWIPTAP_HOOKS_H

#include "lwip/arch.h"
#include "lwip/err.h"

struct tcp_pcb;
struct tcp_hdr;
struct pbuf;

/* LWIP_HOOK_TCP_INPACKET_PCB: the TCP stage of the ingress guard (tcp_guard.c). */
err_t lwiptap_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                           const u8_t *opt2, struct pbuf *p);

/* LWIP_HOOK_TCP_ISN: a random ISN, or the SYN cookie while the guard
 * replays a cookie's SYN into lwIP (cookie_handshake.c). */
u32_t lwiptap_tcp_isn(void);

/* Called for every segment that passed the guard, with the pcb lwIP delivers
 * it to (a listener, an active or a TIME_WAIT pcb): the TCP state log's cue. */
typedef void (*lwiptap_tcp_input_observer_fn)(struct tcp_pcb *pcb);
void lwiptap_tcp_set_input_observer(lwiptap_tcp_input_observer_fn fn);

#endif

/* The 4-tuple hash, and with it TCP_REG/TCP_RMV for the files that use them:
 * outside the guard above, as it depends on what was read before. */
#include "lwiptap/pcb_hash.h"
