/* The TCP options of a segment, made fit for lwIP's tcp_parseopt() by the
 * TCP stage of the guard (tcp_guard.c): rewritten in place where Linux
 * would ignore or clamp what lwIP mishandles. */
#ifndef LWIPTAP_TCP_GUARD_OPTIONS_H
#define LWIPTAP_TCP_GUARD_OPTIONS_H

#include "lwip/prot/tcp.h"

struct tcp_options_view {
    u8_t *opt1; /* the options that follow the header in its pbuf */
    u8_t *opt2; /* the rest, in the next pbuf, or NULL */
    u16_t optlen;
    u16_t opt1len;
};

enum tcp_options_verdict {
    TCP_OPTIONS_SERVE,       /* as rewritten, if need be */
    TCP_OPTIONS_UNPARSEABLE, /* a length of 0 or 1, or running past the header */
};

/* Rewrites the options of a segment (hdr in host byte order) as Linux's parser
 * reads them: an MSS outside a SYN and a known option of the wrong length
 * become NOPs, an MSS below GUARD_MSS_FLOOR becomes the floor, and past a
 * length that cannot be parsed everything is NOPs. Each rewrite is counted.
 * *wscale is set when a window scale option survives. to_listener (the
 * segment is a SYN to a listener, which the caller refuses when unparseable)
 * words the log line. */
enum tcp_options_verdict tcp_guard_options(const struct tcp_options_view *v, const struct tcp_hdr *hdr,
                                           int to_listener, int *wscale);

#endif
