/* lwIP netif driver for an Ethernet link (see link.h). It converts frames to
 * pbufs and back, and knows nothing about what runs above IP. */
#ifndef LWIPTAP_NETIF_LINK_H
#define LWIPTAP_NETIF_LINK_H

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwiptap/link.h"

/* A tap's MTU unless the link says otherwise. */
#define NETIF_LINK_DEFAULT_MTU 1500

struct netif_link {
    struct link *link;
    uint8_t mac[6];
    uint16_t mtu;
    uint8_t frame[LINK_MAX_FRAME];
    char err[LINK_ERR_LEN];
};

/* netif init function for netif_add(); the state argument is a struct netif_link. */
err_t netif_link_init(struct netif *netif);

/* Feeds waiting frames to netif->input until the link has none left or a
 * bounded batch was read (poll() reports the rest). Returns the number of
 * frames read, or -1 with err filled on a link error. */
int netif_link_drain(struct netif *netif, char *err);

#endif
