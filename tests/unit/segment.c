#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwiptap/byte_order.h"

/* Used by Check tests and by the fuzzer alike, so no ck_assert here: an abort
 * is reported by both. */
static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: %s\n", __FILE__, what);
        abort();
    }
}

#define ETHERTYPE_IPV4 0x0800
#define PROTO_TCP 6

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WSCALE 3
#define OPT_SACK_PERM 4
#define OPT_SACK 5
#define OPT_TIMESTAMPS 8

static uint32_t sum_words(const uint8_t *p, size_t len, uint32_t sum)
{
    for (; len > 1; p += 2, len -= 2) {
        sum += get_be16(p);
    }
    if (len == 1) {
        sum += (uint32_t)p[0] << 8;
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

uint16_t ipv4_header_checksum(const uint8_t *ip, size_t hlen)
{
    return fold(sum_words(ip, hlen, 0));
}

static uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len)
{
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + PROTO_TCP + (uint32_t)len;
    return fold(sum_words(tcp, len, sum));
}

struct tcp_options tcp_options_none(void)
{
    struct tcp_options o = {0};
    o.wscale = -1;
    return o;
}

/* Each option starts on a 4-byte boundary, padded with NOPs the way common
 * stacks lay them out, so the header length needs no trailing padding. */
static size_t put_option(uint8_t *opts, size_t used, const uint8_t *opt, size_t len)
{
    while ((used + len) % 4 != 0) {
        opts[used++] = OPT_NOP;
    }
    memcpy(opts + used, opt, len);
    return used + len;
}

static size_t encode_options(const struct tcp_options *o, uint8_t *opts)
{
    size_t used = 0;
    if (o->mss != 0) {
        uint8_t mss[4] = {OPT_MSS, 4, 0, 0};
        put_be16(mss + 2, o->mss);
        used = put_option(opts, used, mss, sizeof mss);
    }
    if (o->wscale >= 0) {
        uint8_t ws[3] = {OPT_WSCALE, 3, (uint8_t)o->wscale};
        used = put_option(opts, used, ws, sizeof ws);
    }
    if (o->sack_permitted) {
        uint8_t sp[2] = {OPT_SACK_PERM, 2};
        used = put_option(opts, used, sp, sizeof sp);
    }
    if (o->timestamps) {
        uint8_t ts[10] = {OPT_TIMESTAMPS, 10};
        put_be32(ts + 2, o->tsval);
        put_be32(ts + 6, o->tsecr);
        used = put_option(opts, used, ts, sizeof ts);
    }
    return used;
}

static int decode_options(const uint8_t *opts, size_t len, struct tcp_options *o)
{
    *o = tcp_options_none();
    size_t i = 0;
    while (i < len && opts[i] != OPT_EOL) {
        if (opts[i] == OPT_NOP) {
            i++;
            continue;
        }
        if (i + 2 > len || opts[i + 1] < 2 || i + opts[i + 1] > len) {
            return -1;
        }
        const uint8_t *opt = opts + i;
        uint8_t optlen = opt[1];
        if (opt[0] == OPT_MSS && optlen == 4) {
            o->mss = get_be16(opt + 2);
        } else if (opt[0] == OPT_WSCALE && optlen == 3) {
            o->wscale = opt[2];
        } else if (opt[0] == OPT_SACK_PERM && optlen == 2) {
            o->sack_permitted = 1;
        } else if (opt[0] == OPT_TIMESTAMPS && optlen == 10) {
            o->timestamps = 1;
            o->tsval = get_be32(opt + 2);
            o->tsecr = get_be32(opt + 6);
        } else if (opt[0] == OPT_SACK && optlen >= 10 && (optlen - 2) % 8 == 0) {
            for (size_t b = 0; b < (size_t)(optlen - 2) / 8 && o->nsack < 4; b++, o->nsack++) {
                o->sack[o->nsack][0] = get_be32(opt + 2 + 8 * b);
                o->sack[o->nsack][1] = get_be32(opt + 6 + 8 * b);
            }
        }
        i += optlen;
    }
    return 0;
}

size_t segment_build(const struct segment *s, uint8_t *buf, size_t cap)
{
    uint8_t opts[TCP_MAX_OPTIONS];
    size_t optlen = encode_options(&s->opts, opts);
    size_t tcp_len = TCP_HDR_LEN + optlen + s->payload_len;
    size_t frame_len = ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len;
    require(s->payload_len <= sizeof s->payload, "frame larger than the buffer");
    require(frame_len <= cap, "frame larger than the buffer");

    memcpy(buf, s->dst_mac, 6);
    memcpy(buf + 6, s->src_mac, 6);
    put_be16(buf + 12, ETHERTYPE_IPV4);

    uint8_t *ip = buf + ETH_HDR_LEN;
    memset(ip, 0, IPV4_HDR_LEN);
    ip[0] = 0x45;
    put_be16(ip + 2, (uint16_t)(IPV4_HDR_LEN + tcp_len));
    put_be16(ip + 6, 0x4000); /* DF, as TCP peers send */
    ip[8] = 64;
    ip[9] = PROTO_TCP;
    put_be32(ip + 12, s->src_ip);
    put_be32(ip + 16, s->dst_ip);
    put_be16(ip + 10, ipv4_header_checksum(ip, IPV4_HDR_LEN));

    uint8_t *tcp = ip + IPV4_HDR_LEN;
    put_be16(tcp, s->src_port);
    put_be16(tcp + 2, s->dst_port);
    put_be32(tcp + 4, s->seq);
    put_be32(tcp + 8, s->ack);
    tcp[12] = (uint8_t)(((TCP_HDR_LEN + optlen) / 4) << 4);
    tcp[13] = s->flags;
    put_be16(tcp + 14, s->window);
    put_be16(tcp + 16, 0);
    put_be16(tcp + 18, 0);
    memcpy(tcp + TCP_HDR_LEN, opts, optlen);
    memcpy(tcp + TCP_HDR_LEN + optlen, s->payload, s->payload_len);
    put_be16(tcp + 16, tcp_checksum(s->src_ip, s->dst_ip, tcp, tcp_len));
    return frame_len;
}

void segment_fix_checksums(uint8_t *frame, size_t len)
{
    uint8_t *ip = frame + ETH_HDR_LEN;
    size_t tcp_len = get_be16(ip + 2) - IPV4_HDR_LEN;
    put_be16(ip + 10, 0);
    put_be16(ip + 10, ipv4_header_checksum(ip, IPV4_HDR_LEN));
    if (tcp_len >= 18 && ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len <= len) {
        uint8_t *tcp = ip + IPV4_HDR_LEN;
        put_be16(tcp + 16, 0);
        put_be16(tcp + 16, tcp_checksum(get_be32(ip + 12), get_be32(ip + 16), tcp, tcp_len));
    }
}

enum segment_parse_result segment_parse(const uint8_t *frame, size_t len, struct segment *s)
{
    if (len < ETH_HDR_LEN + IPV4_HDR_LEN || get_be16(frame + 12) != ETHERTYPE_IPV4 ||
        frame[ETH_HDR_LEN + 9] != PROTO_TCP) {
        return SEGMENT_NOT_TCP;
    }
    const uint8_t *ip = frame + ETH_HDR_LEN;
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = get_be16(ip + 2);
    if ((ip[0] >> 4) != 4 || hlen < IPV4_HDR_LEN || total < hlen + TCP_HDR_LEN || total > len - ETH_HDR_LEN ||
        ipv4_header_checksum(ip, hlen) != 0) {
        return SEGMENT_MALFORMED;
    }
    const uint8_t *tcp = ip + hlen;
    size_t tcp_len = total - hlen;
    size_t thlen = (size_t)(tcp[12] >> 4) * 4;
    uint32_t src = get_be32(ip + 12);
    uint32_t dst = get_be32(ip + 16);
    if (thlen < TCP_HDR_LEN || thlen > tcp_len || tcp_len - thlen > sizeof s->payload ||
        tcp_checksum(src, dst, tcp, tcp_len) != 0 ||
        decode_options(tcp + TCP_HDR_LEN, thlen - TCP_HDR_LEN, &s->opts) != 0) {
        return SEGMENT_MALFORMED;
    }
    memcpy(s->dst_mac, frame, 6);
    memcpy(s->src_mac, frame + 6, 6);
    s->src_ip = src;
    s->dst_ip = dst;
    s->src_port = get_be16(tcp);
    s->dst_port = get_be16(tcp + 2);
    s->seq = get_be32(tcp + 4);
    s->ack = get_be32(tcp + 8);
    s->flags = tcp[13] & 0x3f;
    s->window = get_be16(tcp + 14);
    s->payload_len = tcp_len - thlen;
    memcpy(s->payload, tcp + thlen, s->payload_len);
    return SEGMENT_OK;
}
