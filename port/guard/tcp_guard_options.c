/* What lwIP's tcp_parseopt() must not see, rewritten instead of refused: the
 * checksum has been verified by now, so the option bytes can change without
 * anything else changing, and a segment whose options Linux would read in
 * part is served as Linux serves it (docs/conformance.md lists each case).
 *  - An MSS on a segment without SYN (RFC 9293: only sent in a SYN) would
 *    shrink pcb->mss under queued segments ("mss_local is too small"); Linux
 *    ignores it: NOPs.
 *  - An MSS below 48 would trip the same assertion with timestamps; Linux
 *    clamps the MSS it sends with to tcp_min_snd_mss, 48: so do we.
 *  - A known option with the wrong length (Linux skips it by its length):
 *    NOPs. lwIP would stop parsing there and lose the options after it.
 *  - A length of 0 or 1, or an option running past the header: nothing after
 *    it can be parsed. Linux stops there; we blank the rest, and the caller
 *    refuses a SYN with a RST (RFC 9293 MUST-7's suggested procedure). */
#include "tcp_guard_options.h"

#include <stdio.h>

#include "lwip/ip.h"
#include "lwiptap/guard.h"

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

/* Who sent the segment, for the log: formatted only when something is wrong,
 * as nearly every segment carries options (timestamps). */
struct sender {
    const struct tcp_hdr *hdr;
    char text[IPADDR_STRLEN_MAX + 32];
};

static const char *who(struct sender *s)
{
    if (s->text[0] == '\0') {
        char addr[IPADDR_STRLEN_MAX];
        ipaddr_ntoa_r(ip_current_src_addr(), addr, sizeof addr);
        snprintf(s->text, sizeof s->text, "%s:%u -> port %u", addr, s->hdr->src, s->hdr->dest);
    }
    return s->text;
}

static u8_t *opt_at(const struct tcp_options_view *v, u16_t i)
{
    return i < v->opt1len ? &v->opt1[i] : &v->opt2[i - v->opt1len];
}

static void blank(const struct tcp_options_view *v, u16_t from, u16_t len)
{
    for (u16_t i = from; i < from + len && i < v->optlen; i++) {
        *opt_at(v, i) = TCP_OPT_NOP;
    }
}

static int length_fits_kind(u8_t kind, u8_t len)
{
    switch (kind) {
    case TCP_OPT_MSS:
        return len == 4;
    case TCP_OPT_WS:
        return len == 3;
    case TCP_OPT_SACK_PERM:
        return len == 2;
    case TCP_OPT_TS:
        return len == 10;
    case TCP_OPT_SACK:
        return len >= 10 && (len - 2) % 8 == 0;
    default:
        return 1;
    }
}

/* The MSS option at i (length checked): ignored outside a SYN, raised to the floor. */
static void fix_mss(const struct tcp_options_view *v, u16_t i, u8_t flags, struct sender *peer)
{
    if (!(flags & TCP_SYN)) {
        guard_note(GUARD_TCP_MSS_NOT_SYN, "%s: MSS option on a segment without SYN, ignored", who(peer));
        blank(v, i, 4);
        return;
    }
    unsigned mss = ((unsigned)*opt_at(v, (u16_t)(i + 2)) << 8) | *opt_at(v, (u16_t)(i + 3));
    /* 0 reads as no MSS at all (lwIP and Linux both take their default). */
    if (mss != 0 && mss < GUARD_MSS_FLOOR) {
        guard_note(GUARD_TCP_MSS_LOW, "%s: MSS %u raised to the floor of %u", who(peer), mss,
                   GUARD_MSS_FLOOR);
        *opt_at(v, (u16_t)(i + 2)) = (u8_t)(GUARD_MSS_FLOOR >> 8);
        *opt_at(v, (u16_t)(i + 3)) = (u8_t)(GUARD_MSS_FLOOR & 0xff);
    }
}

enum tcp_options_verdict tcp_guard_options(const struct tcp_options_view *v, const struct tcp_hdr *hdr,
                                           int to_listener, int *wscale)
{
    struct sender peer = {hdr, {0}};
    u8_t flags = TCPH_FLAGS(hdr);
    u16_t i = 0;
    while (i < v->optlen) {
        u8_t kind = *opt_at(v, i);
        if (kind == TCP_OPT_EOL) {
            break;
        }
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        u8_t len = i + 1 < v->optlen ? *opt_at(v, (u16_t)(i + 1)) : 0;
        if (len < 2 || i + len > v->optlen) {
            guard_note(GUARD_TCP_OPT_MALFORMED,
                       "%s: TCP option %u of length %u at byte %u cannot be parsed, %s", who(&peer), kind,
                       len, i, to_listener ? "SYN refused with RST" : "the rest ignored");
            blank(v, i, (u16_t)(v->optlen - i));
            return TCP_OPTIONS_UNPARSEABLE;
        }
        if (!length_fits_kind(kind, len)) {
            guard_note(GUARD_TCP_OPT_BAD_LENGTH, "%s: TCP option %u with a length of %u, ignored", who(&peer),
                       kind, len);
            blank(v, i, len);
        } else if (kind == TCP_OPT_MSS) {
            fix_mss(v, i, flags, &peer);
        } else if (kind == TCP_OPT_WS) {
            *wscale = 1;
        }
        i = (u16_t)(i + len);
    }
    return TCP_OPTIONS_SERVE;
}
