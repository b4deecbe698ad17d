#include "lwiptap/netif_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ethip6.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tso_batch.h"

#define ETH_HEADER_LEN 14
/* Frames read per drain: the event loop runs lwIP's timers between batches,
 * so a flood cannot starve retransmissions or TIME_WAIT expiry. */
#define DRAIN_BATCH 256
/* Enough for Ethernet, IPv6 and a TCP header with every option. */
#define HEADERS_MAX (ETH_HEADER_LEN + 40 + 60)
/* Where a partial checksum sits inside its L4 header. */
#define TCP_CSUM_OFFSET 16
#define UDP_CSUM_OFFSET 6

_Static_assert(LINK_MAX_FRAME > 0xffff, "any pbuf chain (tot_len is a u16_t) fits the frame buffer");
_Static_assert(TSO_MAX_FRAME >= 0xffff, "any pbuf chain fits a super-frame");

static int emit_frame(void *ctx, const uint8_t *frame, size_t len, const struct link_meta *meta)
{
    struct netif_link *nl = ctx;
    int sent = link_send(nl->link, frame, len, meta, nl->err);
    if (sent == LINK_SEND_DROPPED) {
        LINK_STATS_INC(link.drop);
        return 0;
    }
    if (sent != 0) {
        LINK_STATS_INC(link.err);
        log_debug("netif", "frame of %zu bytes not sent: %s", len, nl->err);
        return -1;
    }
    if (meta != NULL && meta->gso_type != LINK_GSO_NONE) {
        nl->stats.tx_super_frames++;
        nl->stats.tx_segments_in_super_frames += nl->tx->segs;
    }
    LINK_STATS_INC(link.xmit);
    return 0;
}

static void copy_from_pbuf(const void *src, uint8_t *dst, size_t len, size_t offset)
{
    pbuf_copy_partial((const struct pbuf *)src, dst, (u16_t)len, (u16_t)offset);
}

static err_t netif_link_output(struct netif *netif, struct pbuf *p)
{
    struct netif_link *nl = netif->state;
    if (!nl->offload) {
        u16_t len = pbuf_copy_partial(p, nl->frame, p->tot_len, 0);
        return emit_frame(nl, nl->frame, len, NULL) == 0 ? ERR_OK : ERR_IF;
    }
    uint8_t head[HEADERS_MAX];
    size_t head_len = LWIP_MIN((size_t)p->tot_len, sizeof head);
    const uint8_t *headers = p->payload;
    if (p->len < head_len) {
        pbuf_copy_partial(p, head, (u16_t)head_len, 0);
        headers = head;
    }
    return tso_batch_add(nl->tx, headers, head_len, p->tot_len, copy_from_pbuf, p) == 0 ? ERR_OK : ERR_IF;
}

int netif_link_flush(struct netif *netif, char *err)
{
    struct netif_link *nl = netif->state;
    if (nl->tx == NULL || tso_batch_flush(nl->tx) == 0) {
        return 0;
    }
    snprintf(err, LINK_ERR_LEN, "%s", nl->err);
    return -1;
}

/* The check lwIP may skip for a frame whose L4 checksum the local kernel left
 * partial: only that one, and only for that frame. */
static u16_t checks_to_skip(const struct link_meta *meta)
{
    if (meta->csum != LINK_CSUM_PARTIAL) {
        return 0;
    }
    switch (meta->csum_offset) {
    case TCP_CSUM_OFFSET:
        return NETIF_CHECKSUM_CHECK_TCP;
    case UDP_CSUM_OFFSET:
        return NETIF_CHECKSUM_CHECK_UDP;
    default:
        return 0;
    }
}

/* Runts are dropped here rather than handed to lwIP: a frame from the wire can be anything. */
static void netif_link_input_frame(struct netif *netif, const uint8_t *frame, size_t len,
                                   const struct link_meta *meta)
{
    struct netif_link *nl = netif->state;
    if (len < ETH_HEADER_LEN || len > 0xffff) {
        LINK_STATS_INC(link.lenerr);
        LINK_STATS_INC(link.drop);
        log_debug("netif", "dropped a %zu-byte frame: not a valid Ethernet frame length", len);
        return;
    }
    if (!mem_budget_admits_rx(len)) {
        /* The peer sends it again once we have sent back (and freed) more. */
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        guard_note(GUARD_RX_LOW_MEMORY, "%zu-byte frame dropped: %zu KiB of the %zu KiB memory limit in use",
                   len, mem_budget_used() / 1024, mem_budget_limit() / 1024);
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
    if (p == NULL) {
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    LINK_STATS_INC(link.recv);
    if (meta->gso_type != LINK_GSO_NONE) {
        nl->stats.rx_super_frames++;
    }
    u16_t skip = checks_to_skip(meta);
    u16_t checks = netif->chksum_flags;
    if (skip != 0) {
        nl->stats.rx_partial_csum++;
        NETIF_SET_CHECKSUM_CTRL(netif, checks & (u16_t)~skip);
    }
    if (netif->input(p, netif) != ERR_OK) {
        pbuf_free(p);
    }
    NETIF_SET_CHECKSUM_CTRL(netif, checks);
}

int netif_link_drain(struct netif *netif, char *err)
{
    struct netif_link *nl = netif->state;
    int frames = 0;
    while (frames < DRAIN_BATCH) {
        struct link_meta meta;
        ssize_t n = link_recv(nl->link, nl->frame, sizeof nl->frame, &meta, err);
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        frames++;
        netif_link_input_frame(netif, nl->frame, (size_t)n, &meta);
    }
    return netif_link_flush(netif, err) == 0 ? frames : -1;
}

err_t netif_link_init(struct netif *netif)
{
    struct netif_link *nl = netif->state;
    LWIP_ASSERT("netif_link_init: state is a struct netif_link", nl != NULL && nl->link != NULL);
    nl->offload = (link_caps(nl->link) & LINK_CAP_OFFLOAD) != 0;
    if (nl->offload && nl->tx == NULL) {
        nl->tx = malloc(sizeof *nl->tx);
        if (nl->tx == NULL) {
            return ERR_MEM;
        }
        tso_batch_init(nl->tx, emit_frame, nl, 1);
    }
    if (nl->offload) {
        /* The kernel completes TCP checksums (TSO does anyway): lwIP's own
         * per-segment checksum was a fifth of its CPU at line rate. */
        NETIF_SET_CHECKSUM_CTRL(netif, NETIF_CHECKSUM_ENABLE_ALL & (u16_t)~NETIF_CHECKSUM_GEN_TCP);
    }
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

void netif_link_release(struct netif_link *nl)
{
    free(nl->tx);
    nl->tx = NULL;
}
