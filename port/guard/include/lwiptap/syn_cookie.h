/* SYN cookies (RFC 4987): what the guard answers a SYN with when the
 * half-open table is full, keeping no state, and how the ACK that returns
 * one becomes a connection. The design is in port/guard/cookie_handshake.c and
 * docs/syn-cookies.md.
 *
 * The cookie is our initial sequence number:
 *   bits 31..29  the 64 s period it was made in, modulo 8
 *   bits 28..27  the index of the MSS in syn_cookie_mss_table
 *   bits 26..0   SipHash-2-4 under a secret drawn at start, over the
 *                4-tuple, the client's ISN, the whole period number and the
 *                MSS index
 * Window scale and SACK-permitted do not fit: when the client sent
 * timestamps they ride in the low 5 bits of our TSval, which it echoes. */
#ifndef LWIPTAP_SYN_COOKIE_H
#define LWIPTAP_SYN_COOKIE_H

#include <stdint.h>

#include "lwip/ip_addr.h"

/* Linux's 'minute': a cookie is valid in its period and in the next one. */
#define SYN_COOKIE_PERIOD_MS 64000u
#define SYN_COOKIE_MSS_COUNT 4
/* An ACK to a listener is checked for a cookie while one was sent in the last
 * 8 periods (what the period bits tell apart); otherwise it is a stray ACK. */
#define SYN_COOKIE_CHECKED_PERIODS 8u
/* No window scale: what the low 4 bits of the TSval say then. */
#define SYN_COOKIE_NO_WSCALE 0xf

extern const uint16_t syn_cookie_mss_table[SYN_COOKIE_MSS_COUNT];

struct syn_cookie_tuple {
    const ip_addr_t *local, *remote;
    uint16_t local_port, remote_port;
};

/* Draws the secret (getrandom); the first cookie draws it if this was not called. */
void syn_cookie_init(void);
/* A fixed secret, for tests that must recompute a cookie. */
void syn_cookie_set_secret(const uint8_t key[16]);

/* The cookie for a SYN announcing client_mss (0: no MSS option); *mss_out is
 * the MSS the connection will have (the largest entry not above client_mss). */
uint32_t syn_cookie_make(const struct syn_cookie_tuple *t, uint32_t client_isn, unsigned client_mss,
                         uint32_t now_ms, uint16_t *mss_out);

enum syn_cookie_verdict {
    SYN_COOKIE_VALID,
    SYN_COOKIE_FORGED, /* not one of ours (or older than 8 periods) */
    SYN_COOKIE_STALE,  /* ours, but from before the previous period */
};

/* Checks the cookie an ACK returns (its ackno - 1, its seqno - 1 the client's
 * ISN); on SYN_COOKIE_VALID *mss_out is the MSS it encodes, on
 * SYN_COOKIE_STALE *age_out how many periods old it is. */
enum syn_cookie_verdict syn_cookie_check(const struct syn_cookie_tuple *t, uint32_t client_isn,
                                         uint32_t cookie, uint32_t now_ms, uint16_t *mss_out,
                                         unsigned *age_out);

/* Our TSval in a cookie SYN-ACK: the timestamp clock (never ahead of it,
 * so that the connection's later TSvals never go back) with wscale (or
 * SYN_COOKIE_NO_WSCALE) and SACK-permitted in its low 5 bits. */
uint32_t syn_cookie_tsval(uint32_t now_ms, int wscale, int sack_permitted);
/* The reverse, from the TSecr of the ACK; *wscale_out -1 for none. */
void syn_cookie_ts_options(uint32_t tsecr, int *wscale_out, int *sack_permitted_out);

#endif
