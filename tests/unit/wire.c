#include "wire.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)((p[i] << 8) | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t)(p[len - 1] << 8);
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* Where the checksum field of an upper-layer header sits, or -1. */
static int checksum_field(uint8_t proto, size_t len)
{
    int at = proto == 6 ? 16 : (proto == 17 ? 6 : (proto == 1 || proto == 58) ? 2 : -1);
    return at >= 0 && (size_t)at + 2 <= len ? at : -1;
}

static void eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    put16(buf + 12, type);
}

size_t wire_ip4(const uint8_t dst_mac[6], const uint8_t src_mac[6], const struct wire_ip4 *h,
                const uint8_t *payload, size_t len, uint8_t *buf, size_t cap)
{
    if (14 + 20 + len > cap || 20 + len > 0xffff) {
        return 0;
    }
    eth(buf, dst_mac, src_mac, 0x0800);
    uint8_t *ip = buf + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + len));
    put16(ip + 4, h->id);
    put16(ip + 6, h->frag);
    ip[8] = 64;
    ip[9] = h->proto;
    put32(ip + 12, h->src);
    put32(ip + 16, h->dst);
    put16(ip + 10, fold(sum_bytes(0, ip, 20)));
    if (len > 0) {
        memcpy(ip + 20, payload, len);
    }
    int at = checksum_field(h->proto, len);
    if (h->l4_checksum && at >= 0) {
        uint8_t *l4 = ip + 20;
        put16(l4 + at, 0);
        uint32_t sum = h->proto == 1 ? 0 : sum_bytes(0, ip + 12, 8) + h->proto + (uint32_t)len;
        put16(l4 + at, fold(sum_bytes(sum, l4, len)));
    }
    return 14 + 20 + len;
}

size_t wire_ip6(const uint8_t dst_mac[6], const uint8_t src_mac[6], const struct wire_ip6 *h,
                const uint8_t *payload, size_t len, uint8_t *buf, size_t cap)
{
    if (14 + 40 + len > cap || len > 0xffff) {
        return 0;
    }
    eth(buf, dst_mac, src_mac, 0x86dd);
    uint8_t *ip = buf + 14;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    put16(ip + 4, (uint16_t)len);
    ip[6] = h->next_header;
    ip[7] = h->hop_limit ? h->hop_limit : 64;
    memcpy(ip + 8, h->src, 16);
    memcpy(ip + 24, h->dst, 16);
    if (len > 0) {
        memcpy(ip + 40, payload, len);
    }
    if (h->upper_offset >= 0 && (size_t)h->upper_offset <= len) {
        uint8_t *l4 = ip + 40 + h->upper_offset;
        size_t l4_len = len - (size_t)h->upper_offset;
        int at = checksum_field(h->upper_proto, l4_len);
        if (at >= 0) {
            put16(l4 + at, 0);
            uint32_t sum = sum_bytes(0, ip + 8, 32) + (uint32_t)l4_len + h->upper_proto;
            put16(l4 + at, fold(sum_bytes(sum, l4, l4_len)));
        }
    }
    return 14 + 40 + len;
}

size_t wire_tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                const uint8_t *opts, size_t optlen, const uint8_t *payload, size_t len, uint8_t *buf,
                size_t cap)
{
    optlen &= ~(size_t)3;
    if (optlen > 40) {
        optlen = 40;
    }
    if (20 + optlen + len > cap) {
        return 0;
    }
    memset(buf, 0, 20);
    put16(buf, sport);
    put16(buf + 2, dport);
    put32(buf + 4, seq);
    put32(buf + 8, ack);
    buf[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    buf[13] = flags;
    put16(buf + 14, window);
    if (optlen > 0) {
        memcpy(buf + 20, opts, optlen);
    }
    if (len > 0) {
        memcpy(buf + 20 + optlen, payload, len);
    }
    return 20 + optlen + len;
}

void wire_ip6_doc(uint8_t out[16], uint16_t n)
{
    memset(out, 0, 16);
    out[0] = 0x20;
    out[1] = 0x01;
    out[2] = 0x0d;
    out[3] = 0xb8;
    put16(out + 14, n);
}

void wire_ip6_linklocal(uint8_t out[16], uint16_t n)
{
    memset(out, 0, 16);
    out[0] = 0xfe;
    out[1] = 0x80;
    put16(out + 14, n);
}
