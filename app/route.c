#include "route.h"

#include <stdio.h>

#include "lwip/netif.h"

int route_reachable(const ip_addr_t *ip, const char *peer, char *err, size_t errlen)
{
    struct netif *netif = netif_default;
    if (netif == NULL) {
        snprintf(err, errlen, "no network interface");
        return 0;
    }
    if (IP_IS_V4(ip)) {
        if (ip4_addr_netcmp(ip_2_ip4(ip), netif_ip4_addr(netif), netif_ip4_netmask(netif)) ||
            !ip4_addr_isany(netif_ip4_gw(netif))) {
            return 1;
        }
        snprintf(err, errlen, "no route to %s: it is outside lwIP's IPv4 subnet and there is no --gw", peer);
        return 0;
    }
    const ip6_addr_t *target = ip_2_ip6(ip);
    for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
        if (ip6_addr_isvalid(netif_ip6_addr_state(netif, i)) &&
            ip6_addr_netcmp(target, netif_ip6_addr(netif, i))) {
            return 1;
        }
    }
    snprintf(err, errlen,
             "no route to %s: it is outside lwIP's IPv6 prefixes (give --ip6 an address in its /64)", peer);
    return 0;
}
