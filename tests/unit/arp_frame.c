#include "arp_frame.h"

#include <string.h>

#include "lwiptap/byte_order.h"

#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV4 0x0800
#define HTYPE_ETHERNET 1

void arp_frame_build(const struct arp_frame *a, uint8_t *buf)
{
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    memcpy(buf, a->op == ARP_REQUEST ? broadcast : a->target_mac, 6);
    memcpy(buf + 6, a->sender_mac, 6);
    put_be16(buf + 12, ETHERTYPE_ARP);
    uint8_t *arp = buf + 14;
    put_be16(arp, HTYPE_ETHERNET);
    put_be16(arp + 2, ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    put_be16(arp + 6, a->op);
    memcpy(arp + 8, a->sender_mac, 6);
    put_be32(arp + 14, a->sender_ip);
    memcpy(arp + 18, a->target_mac, 6);
    put_be32(arp + 24, a->target_ip);
}

int arp_frame_parse(const uint8_t *frame, size_t len, struct arp_frame *a)
{
    const uint8_t *arp = frame + 14;
    if (len < ARP_FRAME_LEN || get_be16(frame + 12) != ETHERTYPE_ARP || get_be16(arp) != HTYPE_ETHERNET ||
        get_be16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4) {
        return -1;
    }
    a->op = get_be16(arp + 6);
    memcpy(a->sender_mac, arp + 8, 6);
    a->sender_ip = get_be32(arp + 14);
    memcpy(a->target_mac, arp + 18, 6);
    a->target_ip = get_be32(arp + 24);
    return 0;
}
