/* Just enough Ethernet/ARP/IPv4/IPv6/TCP/UDP/ICMP decoding to describe a frame
 * in one line. Every field is bounds-checked: frames come from the wire. */
#ifndef LWIPTAP_FRAME_INFO_H
#define LWIPTAP_FRAME_INFO_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_TCP_FIN 0x01
#define FRAME_TCP_SYN 0x02
#define FRAME_TCP_RST 0x04
#define FRAME_TCP_PSH 0x08
#define FRAME_TCP_ACK 0x10
#define FRAME_TCP_URG 0x20

/* A TCP segment inside a frame, its fields in host byte order. */
struct frame_tcp {
    int family;               /* AF_INET or AF_INET6 */
    const uint8_t *src, *dst; /* 4 or 16 address bytes, network order */
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window; /* as sent, before any window scaling */
    const uint8_t *options;
    size_t options_len;
    size_t payload_len;
};

/* Finds the TCP segment in frame: 0, or -1 when the frame holds no whole TCP header. */
int frame_tcp_parse(const uint8_t *frame, size_t len, struct frame_tcp *tcp);

/* Where the layer-4 checksum (TCP, UDP, ICMP, ICMPv6) of frame sits, or -1 when
 * it has none we can find (ARP, a later IPv4 fragment, a truncated frame). */
long frame_l4_checksum_offset(const uint8_t *frame, size_t len);

/* TCP flags of the segment in frame, or -1 when it carries no (whole) TCP header. */
int frame_tcp_flags(const uint8_t *frame, size_t len);

/* Like frame_tcp_flags, and fills in the segment's ports. */
int frame_tcp_ports(const uint8_t *frame, size_t len, uint16_t *src_port, uint16_t *dst_port);

/* tcpdump's notation for TCP flags: "S", "S.", "F.", "P.", "R", "." */
void frame_format_tcp_flags(int flags, char *out, size_t outlen);

/* A tcpdump-like summary, e.g. "192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 1, win 64240, length 0". */
void frame_describe(const uint8_t *frame, size_t len, char *out, size_t outlen);

#endif
