/* Ethernet/IPv4 ARP frames, so a test can teach lwIP the peer's MAC address
 * and answer lwIP's own requests. */
#ifndef UNIT_ARP_FRAME_H
#define UNIT_ARP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ARP_FRAME_LEN 42

struct arp_frame {
    uint16_t op;
    uint8_t sender_mac[6];
    uint32_t sender_ip; /* host byte order */
    uint8_t target_mac[6];
    uint32_t target_ip;
};

/* Writes ARP_FRAME_LEN bytes; requests are broadcast, replies go to the target. */
void arp_frame_build(const struct arp_frame *a, uint8_t *buf);
/* 0 when frame is an Ethernet/IPv4 ARP packet, -1 otherwise. */
int arp_frame_parse(const uint8_t *frame, size_t len, struct arp_frame *a);

#endif
