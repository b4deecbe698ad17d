#include "lwiptap/frame_info.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lwiptap/byte_order.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

struct l3_view {
    int family;
    const uint8_t *src;
    const uint8_t *dst;
    uint8_t proto;
    const uint8_t *l4;
    size_t l4_len;
};

/* Finds the layer-4 header; returns -1 for non-IP or truncated frames. */
static int parse_l3(const uint8_t *frame, size_t len, struct l3_view *v)
{
    if (len < ETH_HLEN) {
        return -1;
    }
    uint16_t type = get_be16(frame + 12);
    const uint8_t *ip = frame + ETH_HLEN;
    size_t ip_len = len - ETH_HLEN;
    if (type == ETHERTYPE_IPV4) {
        if (ip_len < 20 || (ip[0] >> 4) != 4) {
            return -1;
        }
        size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
        size_t total = get_be16(ip + 2);
        if (hlen < 20 || total < hlen || total > ip_len) {
            return -1;
        }
        /* Later fragments carry no layer-4 header. */
        if ((get_be16(ip + 6) & 0x1fff) != 0) {
            return -1;
        }
        v->family = AF_INET;
        v->src = ip + 12;
        v->dst = ip + 16;
        v->proto = ip[9];
        v->l4 = ip + hlen;
        v->l4_len = total - hlen;
        return 0;
    }
    if (type == ETHERTYPE_IPV6) {
        if (ip_len < 40 || (ip[0] >> 4) != 6) {
            return -1;
        }
        size_t payload = get_be16(ip + 4);
        if (payload > ip_len - 40) {
            return -1;
        }
        v->family = AF_INET6;
        v->src = ip + 8;
        v->dst = ip + 24;
        v->proto = ip[6];
        v->l4 = ip + 40;
        v->l4_len = payload;
        /* MLD reports ride behind a hop-by-hop header; skip the options-style ones. */
        while ((v->proto == 0 || v->proto == 43 || v->proto == 60) && v->l4_len >= 8) {
            size_t ext_len = ((size_t)v->l4[1] + 1) * 8;
            if (ext_len > v->l4_len) {
                return -1;
            }
            v->proto = v->l4[0];
            v->l4 += ext_len;
            v->l4_len -= ext_len;
        }
        return 0;
    }
    return -1;
}

int frame_tcp_parse(const uint8_t *frame, size_t len, struct frame_tcp *tcp)
{
    struct l3_view v;
    if (parse_l3(frame, len, &v) != 0 || v.proto != PROTO_TCP || v.l4_len < 20) {
        return -1;
    }
    const uint8_t *t = v.l4;
    size_t header_len = (size_t)(t[12] >> 4) * 4;
    if (header_len < 20 || header_len > v.l4_len) {
        return -1;
    }
    tcp->family = v.family;
    tcp->src = v.src;
    tcp->dst = v.dst;
    tcp->src_port = get_be16(t);
    tcp->dst_port = get_be16(t + 2);
    tcp->seq = get_be32(t + 4);
    tcp->ack = get_be32(t + 8);
    tcp->flags = t[13] & 0x3f;
    tcp->window = get_be16(t + 14);
    tcp->options = t + 20;
    tcp->options_len = header_len - 20;
    tcp->payload_len = v.l4_len - header_len;
    return 0;
}

long frame_l4_checksum_offset(const uint8_t *frame, size_t len)
{
    struct l3_view v;
    if (parse_l3(frame, len, &v) != 0) {
        return -1;
    }
    size_t at;
    switch (v.proto) {
    case PROTO_TCP:
        at = 16;
        break;
    case PROTO_UDP:
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        at = v.proto == PROTO_UDP ? 6 : 2;
        break;
    default:
        return -1;
    }
    if (v.l4_len < at + 2) {
        return -1;
    }
    return (long)(v.l4 - frame) + (long)at;
}

int frame_tcp_flags(const uint8_t *frame, size_t len)
{
    struct l3_view v;
    if (parse_l3(frame, len, &v) != 0 || v.proto != PROTO_TCP || v.l4_len < 20) {
        return -1;
    }
    return v.l4[13] & 0x3f;
}

int frame_tcp_ports(const uint8_t *frame, size_t len, uint16_t *src_port, uint16_t *dst_port)
{
    struct l3_view v;
    if (parse_l3(frame, len, &v) != 0 || v.proto != PROTO_TCP || v.l4_len < 20) {
        return -1;
    }
    *src_port = get_be16(v.l4);
    *dst_port = get_be16(v.l4 + 2);
    return v.l4[13] & 0x3f;
}

void frame_format_tcp_flags(int flags, char *out, size_t outlen)
{
    char buf[8];
    size_t n = 0;
    if (flags & FRAME_TCP_SYN) {
        buf[n++] = 'S';
    }
    if (flags & FRAME_TCP_FIN) {
        buf[n++] = 'F';
    }
    if (flags & FRAME_TCP_RST) {
        buf[n++] = 'R';
    }
    if (flags & FRAME_TCP_PSH) {
        buf[n++] = 'P';
    }
    if (flags & FRAME_TCP_URG) {
        buf[n++] = 'U';
    }
    if (flags & FRAME_TCP_ACK) {
        buf[n++] = '.';
    }
    if (n == 0) {
        buf[n++] = 'n';
        buf[n++] = 'o';
        buf[n++] = 'n';
        buf[n++] = 'e';
    }
    buf[n] = '\0';
    snprintf(out, outlen, "%s", buf);
}

static void format_endpoint(const struct l3_view *v, const uint8_t *addr, int port, char *out, size_t outlen)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(v->family, addr, text, sizeof text);
    if (port < 0) {
        snprintf(out, outlen, "%s", text);
    } else {
        snprintf(out, outlen, "%s.%d", text, port);
    }
}

static void describe_tcp(const struct l3_view *v, char *out, size_t outlen)
{
    char src[64], dst[64], flags[8];
    if (v->l4_len < 20 || (size_t)(v->l4[12] >> 4) * 4 > v->l4_len || (v->l4[12] >> 4) < 5) {
        format_endpoint(v, v->src, -1, src, sizeof src);
        format_endpoint(v, v->dst, -1, dst, sizeof dst);
        snprintf(out, outlen, "%s > %s: TCP, malformed header", src, dst);
        return;
    }
    const uint8_t *t = v->l4;
    format_endpoint(v, v->src, get_be16(t), src, sizeof src);
    format_endpoint(v, v->dst, get_be16(t + 2), dst, sizeof dst);
    frame_format_tcp_flags(t[13] & 0x3f, flags, sizeof flags);
    size_t payload = v->l4_len - (size_t)(t[12] >> 4) * 4;
    snprintf(out, outlen, "%s > %s: Flags [%s], seq %u, ack %u, win %u, length %zu", src, dst, flags,
             get_be32(t + 4), get_be32(t + 8), get_be16(t + 14), payload);
}

static void describe_ip(const struct l3_view *v, char *out, size_t outlen)
{
    char src[64], dst[64];
    if (v->proto == PROTO_TCP) {
        describe_tcp(v, out, outlen);
        return;
    }
    if (v->proto == PROTO_UDP && v->l4_len >= 8) {
        format_endpoint(v, v->src, get_be16(v->l4), src, sizeof src);
        format_endpoint(v, v->dst, get_be16(v->l4 + 2), dst, sizeof dst);
        snprintf(out, outlen, "%s > %s: UDP, length %zu", src, dst, v->l4_len - 8);
        return;
    }
    format_endpoint(v, v->src, -1, src, sizeof src);
    format_endpoint(v, v->dst, -1, dst, sizeof dst);
    if ((v->proto == PROTO_ICMP || v->proto == PROTO_ICMPV6) && v->l4_len >= 4) {
        const char *what = "type";
        uint8_t type = v->l4[0];
        if ((v->proto == PROTO_ICMP && type == 8) || (v->proto == PROTO_ICMPV6 && type == 128)) {
            what = "echo request";
        } else if ((v->proto == PROTO_ICMP && type == 0) || (v->proto == PROTO_ICMPV6 && type == 129)) {
            what = "echo reply";
        } else if (v->proto == PROTO_ICMPV6 && type == 133) {
            what = "router solicitation";
        } else if (v->proto == PROTO_ICMPV6 && type == 134) {
            what = "router advertisement";
        } else if (v->proto == PROTO_ICMPV6 && type == 135) {
            what = "neighbor solicitation";
        } else if (v->proto == PROTO_ICMPV6 && type == 136) {
            what = "neighbor advertisement";
        } else if (v->proto == PROTO_ICMPV6 && (type == 131 || type == 143)) {
            what = "multicast listener report";
        } else if (v->proto == PROTO_ICMP && type == 3) {
            what = "unreachable";
        }
        snprintf(out, outlen, "%s > %s: %s %s (type %u)", src, dst, v->proto == PROTO_ICMP ? "ICMP" : "ICMP6",
                 what, type);
        return;
    }
    snprintf(out, outlen, "%s > %s: ip-proto-%u, length %zu", src, dst, v->proto, v->l4_len);
}

static void describe_arp(const uint8_t *frame, size_t len, char *out, size_t outlen)
{
    const uint8_t *a = frame + ETH_HLEN;
    if (len < ETH_HLEN + 28 || get_be16(a) != 1 || get_be16(a + 2) != ETHERTYPE_IPV4) {
        snprintf(out, outlen, "ARP, malformed or not Ethernet/IPv4, length %zu", len);
        return;
    }
    char sender[INET_ADDRSTRLEN], target[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, a + 14, sender, sizeof sender);
    inet_ntop(AF_INET, a + 24, target, sizeof target);
    uint16_t op = get_be16(a + 6);
    if (op == 1) {
        snprintf(out, outlen, "ARP, Request who-has %s tell %s", target, sender);
    } else if (op == 2) {
        snprintf(out, outlen, "ARP, Reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", sender, a[8], a[9], a[10],
                 a[11], a[12], a[13]);
    } else {
        snprintf(out, outlen, "ARP, opcode %u", op);
    }
}

void frame_describe(const uint8_t *frame, size_t len, char *out, size_t outlen)
{
    if (len < ETH_HLEN) {
        snprintf(out, outlen, "malformed: %zu bytes is shorter than an Ethernet header", len);
        return;
    }
    uint16_t type = get_be16(frame + 12);
    if (type == ETHERTYPE_ARP) {
        describe_arp(frame, len, out, outlen);
        return;
    }
    struct l3_view v;
    if (parse_l3(frame, len, &v) == 0) {
        describe_ip(&v, out, outlen);
    } else if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6) {
        snprintf(out, outlen, "%s, truncated, malformed or fragment, length %zu",
                 type == ETHERTYPE_IPV4 ? "IPv4" : "IPv6", len);
    } else {
        snprintf(out, outlen, "ethertype 0x%04x, length %zu", type, len);
    }
}
