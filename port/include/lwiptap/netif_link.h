/* lwIP netif driver for an Ethernet link (see link.h). It converts frames to
 * pbufs and back, and knows nothing about what runs above IP. On a link with
 * LINK_CAP_OFFLOAD it takes the kernel's TCP super-frames and partial
 * checksums as they come, and hands the kernel super-frames of its own (see
 * tso_batch.h): call netif_link_flush() before the event loop sleeps. */
#ifndef LWIPTAP_NETIF_LINK_H
#define LWIPTAP_NETIF_LINK_H

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwiptap/link.h"

/* A tap's MTU unless the link says otherwise. */
#define NETIF_LINK_DEFAULT_MTU 1500

struct tso_batch;

struct netif_link_stats {
    uint64_t rx_super_frames; /* GSO frames from the kernel */
    uint64_t rx_partial_csum; /* frames whose L4 checksum the local kernel left to us */
    uint64_t tx_super_frames;
    uint64_t tx_segments_in_super_frames;
};

struct netif_link {
    struct link *link;
    uint8_t mac[6];
    uint16_t mtu;
    int offload; /* set by netif_link_init from the link's capabilities */
    struct tso_batch *tx;
    struct netif_link_stats stats;
    uint8_t frame[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
};

/* netif init function for netif_add(); the state argument is a struct netif_link. */
err_t netif_link_init(struct netif *netif);

/* Frees what netif_link_init allocated; call after netif_remove(). */
void netif_link_release(struct netif_link *nl);

/* Feeds waiting frames to netif->input until the link has none left or a
 * bounded batch was read (poll() reports the rest), then flushes what lwIP
 * sent meanwhile. Returns the number of frames read, or -1 with err filled on
 * a link error. */
int netif_link_drain(struct netif *netif, char *err);

/* Sends the pending super-frame, if any: 0, or -1 with err filled in. */
int netif_link_flush(struct netif *netif, char *err);

#endif
