#include "gso_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwiptap/byte_order.h"

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += get_be16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
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

/* What the kernel expects in a super-frame's checksum field: the folded
 * pseudo-header sum over the whole TCP length, not inverted. */
static uint16_t pseudo_sum(const uint8_t *frame, size_t len, size_t l4)
{
    const uint8_t *ip = frame + 14;
    uint32_t sum = get_be16(frame + 12) == 0x86dd ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
    return fold(sum + 6 + (uint32_t)(len - l4));
}

/* The complete TCP checksum of the segment in out, IPv4 or IPv6. */
static void complete_tcp_checksum(uint8_t *out, size_t len, size_t l4)
{
    int ipv6 = get_be16(out + 12) == 0x86dd;
    const uint8_t *ip = out + 14;
    size_t tcp_len = len - l4;
    uint32_t sum = ipv6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
    sum += 6 + (uint32_t)tcp_len;
    put_be16(out + l4 + 16, 0);
    put_be16(out + l4 + 16, (uint16_t)~fold(sum16(out + l4, tcp_len, sum)));
}

size_t gso_segment(const uint8_t *frame, size_t len, const struct link_meta *meta, size_t index, uint8_t *out,
                   size_t cap)
{
    if (meta == NULL || meta->gso_type == LINK_GSO_NONE) {
        if (index > 0 || len > cap) {
            return 0;
        }
        memcpy(out, frame, len);
        if (meta != NULL && meta->csum == LINK_CSUM_PARTIAL) {
            complete_tcp_checksum(out, len, meta->csum_start);
        }
        return len;
    }
    size_t l4 = meta->csum_start;
    size_t hdr = l4 + (size_t)(frame[l4 + 12] >> 4) * 4;
    if (meta->csum != LINK_CSUM_PARTIAL || meta->csum_offset != 16 ||
        get_be16(frame + l4 + 16) != pseudo_sum(frame, len, l4)) {
        fprintf(stderr, "%s: a super-frame without the partial checksum the kernel needs\n", __FILE__);
        abort();
    }
    size_t payload = len - hdr;
    size_t first = index * meta->gso_size;
    if (first >= payload) {
        return 0;
    }
    size_t piece = payload - first < meta->gso_size ? payload - first : meta->gso_size;
    int last = first + piece == payload;
    if (hdr + piece > cap) {
        return 0;
    }
    memcpy(out, frame, hdr);
    memcpy(out + hdr, frame + hdr + first, piece);
    uint8_t *ip = out + 14;
    uint8_t *tcp = out + l4;
    uint32_t seq = ((uint32_t)get_be16(tcp + 4) << 16 | get_be16(tcp + 6)) + (uint32_t)first;
    put_be16(tcp + 4, (uint16_t)(seq >> 16));
    put_be16(tcp + 6, (uint16_t)seq);
    if (!last) {
        tcp[13] &= (uint8_t)~0x09; /* PSH and FIN belong to the last segment */
    }
    if (meta->gso_type == LINK_GSO_TCPV6) {
        put_be16(ip + 4, (uint16_t)(hdr + piece - 54));
    } else {
        put_be16(ip + 2, (uint16_t)(hdr + piece - 14));
        put_be16(ip + 4, (uint16_t)(get_be16(ip + 4) + index));
        put_be16(ip + 10, 0);
        put_be16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
    }
    complete_tcp_checksum(out, hdr + piece, l4);
    return hdr + piece;
}
