#include "lwiptap/debug_flags.h"

#include <stdio.h>
#include <string.h>

uint32_t lwiptap_debug_mask;

static const char *const category_names[LWIPTAP_DBG_COUNT] = {
    [LWIPTAP_DBG_ETHARP] = "etharp",   [LWIPTAP_DBG_NETIF] = "netif",     [LWIPTAP_DBG_PBUF] = "pbuf",
    [LWIPTAP_DBG_INET] = "inet",       [LWIPTAP_DBG_IP] = "ip",           [LWIPTAP_DBG_IP_REASS] = "ip_reass",
    [LWIPTAP_DBG_IP6] = "ip6",         [LWIPTAP_DBG_ICMP] = "icmp",       [LWIPTAP_DBG_MEM] = "mem",
    [LWIPTAP_DBG_MEMP] = "memp",       [LWIPTAP_DBG_TIMERS] = "timers",   [LWIPTAP_DBG_UDP] = "udp",
    [LWIPTAP_DBG_TCP] = "tcp",         [LWIPTAP_DBG_TCP_IN] = "tcp_in",   [LWIPTAP_DBG_TCP_OUT] = "tcp_out",
    [LWIPTAP_DBG_TCP_FR] = "tcp_fr",   [LWIPTAP_DBG_TCP_RTO] = "tcp_rto", [LWIPTAP_DBG_TCP_CWND] = "tcp_cwnd",
    [LWIPTAP_DBG_TCP_WND] = "tcp_wnd", [LWIPTAP_DBG_TCP_RST] = "tcp_rst", [LWIPTAP_DBG_TCP_QLEN] = "tcp_qlen",
};

static int lookup(const char *name, size_t len, uint32_t *bits)
{
    if (len == 3 && strncmp(name, "all", 3) == 0) {
        *bits = (UINT32_C(1) << LWIPTAP_DBG_COUNT) - 1;
        return 0;
    }
    for (int i = 0; i < LWIPTAP_DBG_COUNT; i++) {
        if (strlen(category_names[i]) == len && strncmp(category_names[i], name, len) == 0) {
            *bits = UINT32_C(1) << i;
            return 0;
        }
    }
    return -1;
}

int lwiptap_debug_parse(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t result = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        uint32_t bits;
        if (lookup(p, len, &bits) != 0) {
            snprintf(err, errlen, "unknown debug category '%.*s' (known: all,%s)", (int)len, p,
                     lwiptap_debug_names());
            return -1;
        }
        result |= bits;
        if (p[len] == '\0') {
            break;
        }
        p += len + 1;
    }
    *mask = result;
    return 0;
}

const char *lwiptap_debug_names(void)
{
    static char names[256];
    if (names[0] == '\0') {
        size_t used = 0;
        for (int i = 0; i < LWIPTAP_DBG_COUNT; i++) {
            used +=
                (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "", category_names[i]);
        }
    }
    return names;
}

const char *lwiptap_debug_name(int bit)
{
    return bit >= 0 && bit < LWIPTAP_DBG_COUNT ? category_names[bit] : NULL;
}
