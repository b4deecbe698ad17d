#include "lwiptap/tso_batch.h"

#include <string.h>

#include "lwiptap/byte_order.h"

#define ETH_HLEN 14
#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define IP_PROTO_TCP 6
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CSUM_OFFSET 16

struct segment {
    int ipv6;
    size_t l4_start;
    size_t hdr_len;
    size_t payload;
    uint32_t seq;
    uint8_t flags;
};

/* Where the TCP header of an outgoing TCP frame starts (lwIP sends no IPv6
 * extension headers with TCP), or 0 for anything else. */
static size_t tcp_start(const uint8_t *frame, size_t len, int *ipv6)
{
    if (len < ETH_HLEN + IP4_HLEN + TCP_HLEN) {
        return 0;
    }
    const uint8_t *ip = frame + ETH_HLEN;
    uint16_t type = get_be16(frame + 12);
    if (type == 0x0800 && (ip[0] >> 4) == 4 && ip[9] == IP_PROTO_TCP && (get_be16(ip + 6) & 0x3fff) == 0) {
        *ipv6 = 0;
        size_t l4 = ETH_HLEN + (size_t)(ip[0] & 0x0f) * 4;
        return l4 + TCP_HLEN <= len ? l4 : 0;
    }
    if (type == 0x86dd && len >= ETH_HLEN + IP6_HLEN + TCP_HLEN && (ip[0] >> 4) == 6 &&
        ip[6] == IP_PROTO_TCP) {
        *ipv6 = 1;
        return ETH_HLEN + IP6_HLEN;
    }
    return 0;
}

/* 1 for a TCP segment with data and nothing but ACK (and PSH) set, in an IP
 * packet without options that fills the frame exactly. */
static int parse_data_segment(const uint8_t *h, size_t head_len, size_t frame_len, struct segment *s)
{
    if (head_len > frame_len) {
        return 0;
    }
    s->l4_start = tcp_start(h, head_len, &s->ipv6);
    if (s->l4_start == 0) {
        return 0;
    }
    const uint8_t *ip = h + ETH_HLEN;
    size_t ip_len = s->ipv6 ? (size_t)get_be16(ip + 4) + IP6_HLEN : ip[0] == 0x45 ? get_be16(ip + 2) : 0;
    if (ip_len + ETH_HLEN != frame_len) {
        return 0;
    }
    const uint8_t *tcp = h + s->l4_start;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    s->hdr_len = s->l4_start + doff;
    s->flags = tcp[13];
    if (doff < TCP_HLEN || s->hdr_len > head_len || s->hdr_len >= frame_len ||
        (s->flags & (uint8_t)~TCP_PSH) != TCP_ACK) {
        return 0;
    }
    s->payload = frame_len - s->hdr_len;
    s->seq = get_be32(tcp + 4);
    return 1;
}

/* Whether s continues the batch: the same headers but for IPv4's id, length
 * and checksum, TCP's seq, PSH and checksum. */
static int continues_batch(const struct tso_batch *b, const uint8_t *h, const struct segment *s)
{
    if (b->closed || s->ipv6 != b->ipv6 || s->hdr_len != b->hdr_len || s->seq != b->next_seq ||
        s->payload > b->seg_size || b->len + s->payload > TSO_MAX_FRAME) {
        return 0;
    }
    const uint8_t *first = b->frame;
    if (memcmp(h, first, ETH_HLEN) != 0) {
        return 0;
    }
    const uint8_t *ip = h + ETH_HLEN, *fip = first + ETH_HLEN;
    if (s->ipv6) {
        if (memcmp(ip, fip, 4) != 0 || memcmp(ip + 6, fip + 6, IP6_HLEN - 6) != 0) {
            return 0;
        }
    } else if (ip[1] != fip[1] || memcmp(ip + 6, fip + 6, 4) != 0 || memcmp(ip + 12, fip + 12, 8) != 0) {
        return 0;
    }
    const uint8_t *tcp = h + s->l4_start, *ftcp = first + b->l4_start;
    return memcmp(tcp, ftcp, 4) == 0 && memcmp(tcp + 8, ftcp + 8, 5) == 0 &&
           (tcp[13] & (uint8_t)~TCP_PSH) == (ftcp[13] & (uint8_t)~TCP_PSH) &&
           memcmp(tcp + 14, ftcp + 14, 2) == 0 &&
           memcmp(tcp + 18, ftcp + 18, s->hdr_len - s->l4_start - 18) == 0;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += get_be16(p + i);
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/* The TCP checksum field becomes the pseudo-header sum (not inverted) that
 * the kernel completes for each segment it cuts, or for the whole frame. */
static void set_partial_checksum(uint8_t *frame, size_t len, size_t l4_start, int ipv6,
                                 struct link_meta *meta)
{
    const uint8_t *ip = frame + ETH_HLEN;
    uint32_t l4_len = (uint32_t)(len - l4_start);
    uint32_t pseudo = (ipv6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0)) + IP_PROTO_TCP + l4_len;
    put_be16(frame + l4_start + TCP_CSUM_OFFSET, fold(pseudo));
    memset(meta, 0, sizeof *meta);
    meta->csum = LINK_CSUM_PARTIAL;
    meta->csum_start = (uint16_t)l4_start;
    meta->csum_offset = TCP_CSUM_OFFSET;
}

/* Rewrites the first segment's headers for the whole super-frame. */
static void finish_super_frame(struct tso_batch *b, struct link_meta *meta)
{
    uint8_t *ip = b->frame + ETH_HLEN;
    if (b->ipv6) {
        put_be16(ip + 4, (uint16_t)(b->len - b->l4_start));
    } else {
        put_be16(ip + 2, (uint16_t)(b->len - ETH_HLEN));
        put_be16(ip + 10, 0);
        put_be16(ip + 10, (uint16_t)~fold(sum16(ip, IP4_HLEN, 0)));
    }
    set_partial_checksum(b->frame, b->len, b->l4_start, b->ipv6, meta);
    meta->gso_type = b->ipv6 ? LINK_GSO_TCPV6 : LINK_GSO_TCPV4;
    meta->gso_size = b->seg_size;
}

int tso_batch_flush(struct tso_batch *b)
{
    if (b->len == 0) {
        return 0;
    }
    struct link_meta meta;
    const struct link_meta *m = NULL;
    int ipv6;
    size_t l4;
    if (b->segs > 1) {
        finish_super_frame(b, &meta);
        m = &meta;
    } else if (b->tcp_csum_partial && (l4 = tcp_start(b->frame, b->len, &ipv6)) != 0) {
        set_partial_checksum(b->frame, b->len, l4, ipv6, &meta);
        m = &meta;
    }
    size_t len = b->len;
    b->len = 0;
    int rc = b->emit(b->emit_ctx, b->frame, len, m);
    b->segs = 0;
    return rc;
}

int tso_batch_add(struct tso_batch *b, const uint8_t *head, size_t head_len, size_t frame_len,
                  tso_copy_fn copy, const void *src)
{
    struct segment s;
    int coalescable = parse_data_segment(head, head_len, frame_len, &s);
    if (coalescable && b->len > 0 && continues_batch(b, head, &s)) {
        copy(src, b->frame + b->len, s.payload, s.hdr_len);
        b->len += s.payload;
        b->segs++;
        b->next_seq += (uint32_t)s.payload;
        b->frame[b->l4_start + 13] |= (uint8_t)(s.flags & TCP_PSH);
        b->closed = s.payload < b->seg_size || (s.flags & TCP_PSH) != 0;
        return 0;
    }
    int rc = tso_batch_flush(b);
    if (rc != 0) {
        return rc;
    }
    copy(src, b->frame, frame_len, 0);
    b->len = frame_len;
    if (!coalescable) {
        b->segs = 1;
        return tso_batch_flush(b);
    }
    b->hdr_len = s.hdr_len;
    b->l4_start = s.l4_start;
    b->ipv6 = s.ipv6;
    b->seg_size = (uint16_t)s.payload;
    b->segs = 1;
    b->next_seq = s.seq + (uint32_t)s.payload;
    b->closed = (s.flags & TCP_PSH) != 0;
    return 0;
}

void tso_batch_init(struct tso_batch *b, tso_emit_fn emit, void *emit_ctx, int tcp_csum_partial)
{
    b->tcp_csum_partial = tcp_csum_partial;
    b->emit = emit;
    b->emit_ctx = emit_ctx;
    b->len = 0;
    b->segs = 0;
}
