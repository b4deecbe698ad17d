/* The link stage of the ingress guard (see guard.h): frame-level checks that
 * must happen before lwIP, because lwIP trusts what it parses here
 * (etharp_input reads an ARP header without a length check; ip6_frag loops for
 * ever on a Packet Too Big below 56 bytes) or because the decision needs the
 * fragments themselves (overlaps, fragmented ICMPv6). */
#include <stdlib.h>
#include <string.h>

#include "lwiptap/byte_order.h"
#include "frag_tracker.h"
#include "lwip/sys.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"

#define ETH_HLEN 14
#define ARP_PACKET_LEN 28
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define IP6_HLEN 40
#define NH_HOP_BY_HOP 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_DEST_OPTS 60
#define NH_ICMP6 58
#define NH_TCP 6
#define NH_UDP 17
#define ICMP6_PTB 2
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_RA 134
#define ICMP6_REDIRECT 137
/* lwIP walks at most this many extension headers; a longer chain is an attack. */
#define IP6_MAX_EXT_HEADERS 8
/* A flood of bad frames must not keep one recv() call from returning. */
#define GUARD_MAX_DROPS_PER_RECV 64

struct guard_link {
    struct link base;
    struct link *inner;
    uint16_t mtu;
    struct frag_tracker frags;
};

/* 1 when the frame passes, 0 when it was dropped (and counted). */
static int note_frag_verdict(enum frag_verdict v, const char *family)
{
    switch (v) {
    case FRAG_PASS:
        return 1;
    case FRAG_OVERLAP:
        guard_note(GUARD_IP_FRAG_OVERLAP, "%s fragment overlaps an earlier one: whole datagram dropped",
                   family);
        return 0;
    case FRAG_OVERSIZE:
        guard_note(GUARD_IP_FRAG_OVERLAP,
                   "%s fragment beyond the datagram's end or 64 KiB: whole datagram dropped", family);
        return 0;
    case FRAG_CONDEMNED:
    default:
        guard_note(GUARD_IP_FRAG_POISONED, "%s fragment of a datagram already dropped", family);
        return 0;
    }
}

static int check_ipv4(struct guard_link *g, const uint8_t *ip, size_t len)
{
    /* ip4_input reads the length fields before it checks the packet is that long. */
    if (len < 20) {
        guard_note(GUARD_IP_HEADER_SHORT, "IPv4 packet of %zu bytes, shorter than its header: dropped", len);
        return 0;
    }
    /* lwIP validates the rest of the header itself; only well-formed fragments are tracked here. */
    if ((ip[0] >> 4) != 4) {
        return 1;
    }
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = get_be16(ip + 2);
    uint16_t frag = get_be16(ip + 6);
    if (hlen < 20 || total < hlen || total > len || (frag & 0x3fff) == 0) {
        return 1;
    }
    struct frag_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.src, ip + 12, 4);
    memcpy(key.dst, ip + 16, 4);
    key.id = get_be16(ip + 4);
    key.family = 4;
    key.proto = ip[9];
    return note_frag_verdict(
        frag_track(&g->frags, &key, frag & 0x1fff, (uint32_t)(total - hlen), (frag & 0x2000) != 0, sys_now()),
        "IPv4");
}

static int check_icmp6(const struct guard_link *g, const uint8_t *icmp, size_t len)
{
    if (len < 8) {
        return 1; /* lwIP drops short ICMPv6 messages itself */
    }
    switch (icmp[0]) {
    case ICMP6_PTB: {
        uint32_t mtu = get_be32(icmp + 4);
        if (mtu < GUARD_IPV6_MIN_MTU || mtu > g->mtu) {
            guard_note(GUARD_ICMP6_PTB_MTU, "Packet Too Big with MTU %u, outside %u..%u: dropped", mtu,
                       GUARD_IPV6_MIN_MTU, g->mtu);
            return 0;
        }
        return 1;
    }
    case ICMP6_REDIRECT:
        guard_note(GUARD_ICMP6_REDIRECT,
                   "Redirect dropped: lwip-tap has no IPv6 router to be redirected from");
        return 0;
    case ICMP6_RA:
        guard_note(GUARD_ICMP6_RA, "Router Advertisement dropped: lwip-tap's IPv6 configuration is static");
        return 0;
    default:
        return 1;
    }
}

/* Smallest header of an upper layer that a first fragment must hold whole (RFC 7112). */
static size_t upper_header_len(uint8_t nh)
{
    switch (nh) {
    case NH_TCP:
        return 20;
    case NH_UDP:
        return 8;
    case NH_ICMP6:
        return 4;
    default:
        return 0;
    }
}

struct ip6_frag_info {
    int present;
    uint32_t offset;
    int more;
    uint32_t id;
    size_t fragmentable_start;
};

static int check_ipv6(struct guard_link *g, const uint8_t *ip, size_t len)
{
    /* ip6_input reads the header before it checks the packet is that long. */
    if (len < IP6_HLEN) {
        guard_note(GUARD_IP_HEADER_SHORT, "IPv6 packet of %zu bytes, shorter than its header: dropped", len);
        return 0;
    }
    if ((ip[0] >> 4) != 6) {
        return 1;
    }
    size_t end = IP6_HLEN + get_be16(ip + 4);
    if (end > len) {
        return 1; /* lwIP drops truncated packets */
    }
    uint8_t nh = ip[6];
    size_t off = IP6_HLEN;
    struct ip6_frag_info frag = {0};
    for (int headers = 0;; headers++) {
        if (nh != NH_HOP_BY_HOP && nh != NH_ROUTING && nh != NH_DEST_OPTS && nh != NH_FRAGMENT) {
            break;
        }
        if (headers == IP6_MAX_EXT_HEADERS || off + 8 > end) {
            guard_note(GUARD_IP6_CHAIN_MALFORMED,
                       "IPv6 extension header chain too long or truncated: dropped");
            return 0;
        }
        const uint8_t *h = ip + off;
        if (nh == NH_FRAGMENT) {
            if (frag.present) {
                guard_note(GUARD_IP6_CHAIN_MALFORMED, "IPv6 packet with two fragment headers: dropped");
                return 0;
            }
            frag.present = 1;
            frag.offset = get_be16(h + 2) >> 3;
            frag.more = h[3] & 1;
            frag.id = get_be32(h + 4);
            frag.fragmentable_start = off + 8;
            nh = h[0];
            off += 8;
            if (frag.offset != 0) {
                break; /* what follows is the middle of a datagram, not headers */
            }
            continue;
        }
        size_t hlen = ((size_t)h[1] + 1) * 8;
        if (off + hlen > end) {
            guard_note(GUARD_IP6_CHAIN_MALFORMED, "IPv6 extension header runs past the packet: dropped");
            return 0;
        }
        nh = h[0];
        off += hlen;
    }
    int atomic = frag.present && frag.offset == 0 && !frag.more;
    if (!frag.present || atomic) {
        return nh == NH_ICMP6 ? check_icmp6(g, ip + off, end - off) : 1;
    }
    struct frag_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.src, ip + 8, 16);
    memcpy(key.dst, ip + 24, 16);
    key.id = frag.id;
    key.family = 6;
    if (frag.offset == 0) {
        if (off + upper_header_len(nh) > end) {
            guard_note(GUARD_IP6_FRAG_NO_UPPER,
                       "first IPv6 fragment without the whole upper-layer header: datagram "
                       "dropped");
            frag_condemn(&g->frags, &key, sys_now());
            return 0;
        }
        /* Only echoes may be large enough to need fragments; ND and errors never (RFC 6980). */
        if (nh == NH_ICMP6 && ip[off] != ICMP6_ECHO_REQUEST && ip[off] != ICMP6_ECHO_REPLY) {
            guard_note(GUARD_IP6_FRAG_ICMP6, "fragmented ICMPv6 type %u: datagram dropped", ip[off]);
            frag_condemn(&g->frags, &key, sys_now());
            return 0;
        }
    }
    return note_frag_verdict(frag_track(&g->frags, &key, frag.offset,
                                        (uint32_t)(end - frag.fragmentable_start), frag.more, sys_now()),
                             "IPv6");
}

static int frame_passes(struct guard_link *g, const uint8_t *frame, size_t len)
{
    if (len < ETH_HLEN) {
        return 1; /* the netif driver counts runts */
    }
    uint16_t type = get_be16(frame + 12);
    const uint8_t *payload = frame + ETH_HLEN;
    size_t payload_len = len - ETH_HLEN;
    switch (type) {
    case ETHERTYPE_ARP:
        if (payload_len < ARP_PACKET_LEN) {
            guard_note(GUARD_ARP_SHORT, "ARP frame of %zu bytes, shorter than an ARP packet: dropped", len);
            return 0;
        }
        return 1;
    case ETHERTYPE_IPV4:
        return check_ipv4(g, payload, payload_len);
    case ETHERTYPE_IPV6:
        return check_ipv6(g, payload, payload_len);
    default:
        return 1;
    }
}

static ssize_t guard_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct guard_link *g = (struct guard_link *)self;
    for (int dropped = 0; dropped < GUARD_MAX_DROPS_PER_RECV; dropped++) {
        ssize_t n = link_recv(g->inner, buf, cap, meta, err);
        if (n <= 0 || frame_passes(g, buf, (size_t)n)) {
            return n;
        }
    }
    return 0; /* poll() reports the rest on the next pass */
}

static int guard_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                      char *err)
{
    return link_send(((struct guard_link *)self)->inner, frame, len, meta, err);
}

static unsigned guard_caps(const struct link *self)
{
    return link_caps(((const struct guard_link *)self)->inner);
}

static int guard_wait_fd(const struct link *self)
{
    return link_wait_fd(((const struct guard_link *)self)->inner);
}

static void guard_destroy(struct link *self)
{
    struct guard_link *g = (struct guard_link *)self;
    link_destroy(g->inner);
    free(g);
}

static const struct link_ops guard_ops = {guard_recv, guard_send, guard_wait_fd, guard_destroy, guard_caps};

struct link *link_guard_new(struct link *inner, uint16_t mtu)
{
    struct guard_link *g = calloc(1, sizeof *g);
    if (g == NULL) {
        return NULL;
    }
    g->base.ops = &guard_ops;
    g->inner = inner;
    g->mtu = mtu;
    return &g->base;
}
