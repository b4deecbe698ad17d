#include "lwiptap/netif_link.h"

#include <stdio.h>
#include <string.h>

#include "lwip/ethip6.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwiptap/log.h"

#define ETH_HEADER_LEN 14
/* Frames read per drain: the event loop runs lwIP's timers between batches,
 * so a flood cannot starve retransmissions or TIME_WAIT expiry. */
#define DRAIN_BATCH 256

_Static_assert(LINK_MAX_FRAME > 0xffff, "any pbuf chain (tot_len is a u16_t) fits the frame buffer");

static err_t netif_link_output(struct netif *netif, struct pbuf *p)
{
    struct netif_link *nl = netif->state;
    u16_t len = pbuf_copy_partial(p, nl->frame, p->tot_len, 0);
    if (link_send(nl->link, nl->frame, len, nl->err) != 0) {
        LINK_STATS_INC(link.err);
        log_debug("netif", "frame of %u bytes not sent: %s", len, nl->err);
        return ERR_IF;
    }
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

/* Runts are dropped here rather than handed to lwIP: a frame from the wire can be anything. */
static void netif_link_input_frame(struct netif *netif, const uint8_t *frame, size_t len)
{
    if (len < ETH_HEADER_LEN || len > 0xffff) {
        LINK_STATS_INC(link.lenerr);
        LINK_STATS_INC(link.drop);
        log_debug("netif", "dropped a %zu-byte frame: not a valid Ethernet frame length", len);
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (p == NULL) {
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    LINK_STATS_INC(link.recv);
    if (netif->input(p, netif) != ERR_OK) {
        pbuf_free(p);
    }
}

int netif_link_drain(struct netif *netif, char *err)
{
    struct netif_link *nl = netif->state;
    int frames = 0;
    while (frames < DRAIN_BATCH) {
        ssize_t n = link_recv(nl->link, nl->frame, sizeof nl->frame, err);
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            return frames;
        }
        frames++;
        netif_link_input_frame(netif, nl->frame, (size_t)n);
    }
    return frames;
}

err_t netif_link_init(struct netif *netif)
{
    struct netif_link *nl = netif->state;
    LWIP_ASSERT("netif_link_init: state is a struct netif_link", nl != NULL && nl->link != NULL);
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, nl->mac, ETH_HWADDR_LEN);
    netif->mtu = nl->mtu ? nl->mtu : NETIF_LINK_DEFAULT_MTU;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
    netif->output = etharp_output;
    netif->output_ip6 = ethip6_output;
    netif->linkoutput = netif_link_output;
    return ERR_OK;
}
