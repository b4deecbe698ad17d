/* Ethernet + IPv4 + TCP segments as a peer on the wire sees them: built with
 * correct checksums and options, and parsed back from what lwIP sends. */
#ifndef UNIT_SEGMENT_H
#define UNIT_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10

#define ETH_HDR_LEN 14
#define IPV4_HDR_LEN 20
#define TCP_HDR_LEN 20
/* A 1500-byte MTU minus the smallest IPv4 and TCP headers. */
#define SEGMENT_MAX_PAYLOAD 1460
#define TCP_MAX_OPTIONS 40
#define SEGMENT_MAX_FRAME (ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN + TCP_MAX_OPTIONS + SEGMENT_MAX_PAYLOAD)

struct tcp_options {
    uint16_t mss; /* 0: absent */
    int wscale;   /* -1: absent */
    int sack_permitted;
    int timestamps; /* tsval and tsecr are meaningful */
    uint32_t tsval;
    uint32_t tsecr;
    int nsack; /* SACK blocks, decoded only: segment_build sends none */
    uint32_t sack[4][2];
};

struct segment {
    uint8_t dst_mac[6];
    uint8_t src_mac[6];
    uint32_t src_ip; /* host byte order, as are all fields */
    uint32_t dst_ip;
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;
    uint16_t window; /* the raw field, before window scaling */
    struct tcp_options opts;
    size_t payload_len;
    uint8_t payload[SEGMENT_MAX_PAYLOAD];
};

/* Options with nothing set (wscale -1). */
struct tcp_options tcp_options_none(void);

/* Writes the frame into buf and returns its length. */
size_t segment_build(const struct segment *s, uint8_t *buf, size_t cap);

enum segment_parse_result {
    SEGMENT_OK,
    SEGMENT_NOT_TCP,   /* not IPv4, or IPv4 carrying another protocol */
    SEGMENT_MALFORMED, /* IPv4 TCP, but truncated, inconsistent or with a wrong checksum */
};

/* Fills s from a frame. */
enum segment_parse_result segment_parse(const uint8_t *frame, size_t len, struct segment *s);

/* The Internet checksum of an IPv4 header. */
uint16_t ipv4_header_checksum(const uint8_t *ip, size_t hlen);

/* Recomputes the checksums of a frame of len bytes built by segment_build()
 * after a test edited it: the IPv4 header's, and the TCP one when the frame
 * holds all the TCP bytes the IPv4 total length claims, checksum field included. */
void segment_fix_checksums(uint8_t *frame, size_t len);

#endif
