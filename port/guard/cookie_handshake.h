/* The SYN-cookie handshake inside the guard's TCP stage (tcp_guard.c calls
 * it; see cookie_handshake.c for how a cookie ACK becomes an lwIP pcb). */
#ifndef LWIPTAP_COOKIE_HANDSHAKE_H
#define LWIPTAP_COOKIE_HANDSHAKE_H

#include "lwip/arch.h"

struct pbuf;
struct tcp_hdr;
struct tcp_pcb;

/* The option bytes of the segment being processed, as lwIP split them and
 * tcp_guard_options() left them (parseable). */
struct tcp_raw_options {
    u16_t len, len1;
    const u8_t *part1, *part2;
};

/* Forgets that cookies were sent and draws a new secret (tcp_guard_init). */
void cookie_handshake_init(void);

/* Answers the SYN lwIP is processing with a cookie SYN-ACK, keeping nothing. */
void cookie_send_synack(const struct tcp_hdr *hdr, const struct tcp_raw_options *raw, unsigned half_open);

/* An ACK that reached a listener while cookies are in use: 1 when the guard
 * took it (a valid cookie: now a connection, or dropped for want of room or
 * memory; or no cookie of ours: dropped, counted), 0 when lwIP should answer
 * it as any ACK to a listener, with a RST (a stale cookie, counted; or no
 * cookie sent lately). */
int cookie_take_ack(const struct tcp_hdr *hdr, const struct tcp_raw_options *raw, struct pbuf *p);

/* While a cookie ACK's SYN is replayed into lwIP (guard_cookie_replaying()):
 * the guard admits that SYN past the half-open limit, and reports the pcb
 * lwIP made for it here. */
void cookie_replayed_pcb(struct tcp_pcb *pcb);

#endif
