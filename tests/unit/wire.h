/* Raw IPv4 and IPv6 packets from the peer, for tests and the fuzzer that need
 * headers segment.c does not build: fragments, extension headers, ICMPv6,
 * arbitrary TCP options. Lengths and checksums are filled in; the content is
 * whatever the caller says, however wrong. */
#ifndef UNIT_WIRE_H
#define UNIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAX_FRAME 2048

struct wire_ip4 {
    uint32_t src, dst; /* host byte order */
    uint8_t proto;
    uint16_t id;
    uint16_t frag;   /* the flags + offset field, e.g. 0x2000 for MF */
    int l4_checksum; /* fill in the TCP/UDP/ICMP checksum (only whole datagrams) */
};

struct wire_ip6 {
    uint8_t src[16], dst[16];
    uint8_t next_header;
    uint8_t hop_limit;
    /* Offset in the payload of the upper-layer header whose checksum to fill
     * (TCP, UDP or ICMPv6 as upper_proto), or -1 for none. */
    int upper_offset;
    uint8_t upper_proto;
};

/* Ethernet + IPv4 header + payload into buf; returns the frame length, 0 when it does not fit. */
size_t wire_ip4(const uint8_t dst_mac[6], const uint8_t src_mac[6], const struct wire_ip4 *h,
                const uint8_t *payload, size_t len, uint8_t *buf, size_t cap);

size_t wire_ip6(const uint8_t dst_mac[6], const uint8_t src_mac[6], const struct wire_ip6 *h,
                const uint8_t *payload, size_t len, uint8_t *buf, size_t cap);

/* A TCP header with raw options (optlen a multiple of 4, at most 40) and payload, checksum zero. */
size_t wire_tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                const uint8_t *opts, size_t optlen, const uint8_t *payload, size_t len, uint8_t *buf,
                size_t cap);

/* 2001:db8::N and fe80::N. */
void wire_ip6_doc(uint8_t out[16], uint16_t n);
void wire_ip6_linklocal(uint8_t out[16], uint16_t n);

#endif
