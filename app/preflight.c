#include "preflight.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "lwiptap/log.h"

struct host_side {
    int found;
    int up;
    int has_ip4_in_subnet; /* an address other than lwIP's own */
    int has_ip6_in_prefix;
    int has_lwip_ip4, has_lwip_ip6; /* lwIP's own address: the kernel would answer it itself */
};

static int same_ip6_prefix64(const struct in6_addr *a, const ip6_addr_t *b)
{
    return memcmp(a->s6_addr, b->addr, 8) == 0;
}

static void inspect(const char *tap, const struct lwiptap_config *cfg, struct host_side *host)
{
    struct ifaddrs *list;
    memset(host, 0, sizeof *host);
    if (getifaddrs(&list) != 0) {
        return;
    }
    uint32_t mask = ip4_addr_get_u32(&cfg->netmask);
    for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_name == NULL || strcmp(ifa->ifa_name, tap) != 0) {
            continue;
        }
        host->found = 1;
        host->up = (ifa->ifa_flags & IFF_UP) != 0;
        if (ifa->ifa_addr == NULL) {
            continue;
        }
        if (ifa->ifa_addr->sa_family == AF_INET) {
            uint32_t a = ((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr.s_addr;
            int own = a == ip4_addr_get_u32(&cfg->ip4);
            host->has_lwip_ip4 |= own;
            host->has_ip4_in_subnet |= !own && (a & mask) == (ip4_addr_get_u32(&cfg->ip4) & mask);
        } else if (ifa->ifa_addr->sa_family == AF_INET6 && cfg->has_ip6) {
            const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)ifa->ifa_addr)->sin6_addr;
            int own = memcmp(a->s6_addr, cfg->ip6.addr, 16) == 0;
            host->has_lwip_ip6 |= own;
            host->has_ip6_in_prefix |= !own && same_ip6_prefix64(a, &cfg->ip6);
        }
    }
    freeifaddrs(list);
}

int preflight_check(const struct lwiptap_config *cfg)
{
    struct host_side host;
    inspect(cfg->tap, cfg, &host);
    if (!host.found) {
        return 0;
    }
    int warnings = 0;
    if (!host.up) {
        log_warn("lwip-tap", "%s is down: the kernel passes nothing through it. Fix: sudo ip link set %s up",
                 cfg->tap, cfg->tap);
        warnings++;
    }
    if (!host.has_ip4_in_subnet) {
        char net[IP4ADDR_STRLEN_MAX];
        ip4_addr_t network;
        ip4_addr_set_u32(&network, ip4_addr_get_u32(&cfg->ip4) & ip4_addr_get_u32(&cfg->netmask));
        ip4addr_ntoa_r(&network, net, sizeof net);
        unsigned prefix = cli_prefix_len(cfg);
        char own[IP4ADDR_STRLEN_MAX + 96] = "";
        if (host.has_lwip_ip4) {
            char lwip[IP4ADDR_STRLEN_MAX];
            ip4addr_ntoa_r(&cfg->ip4, lwip, sizeof lwip);
            snprintf(own, sizeof own, " (it has lwIP's own address %s, which the kernel then answers itself)",
                     lwip);
        }
        log_warn("lwip-tap",
                 "the host side of %s has no IPv4 address in %s/%u%s, so the host cannot reach lwIP. "
                 "Fix: sudo ip addr add ADDR/%u dev %s (another address of %s/%u than lwIP's)",
                 cfg->tap, net, prefix, own, prefix, cfg->tap, net, prefix);
        warnings++;
    }
    if (cfg->has_ip6 && !host.has_ip6_in_prefix) {
        log_warn("lwip-tap",
                 "the host side of %s has no IPv6 address in lwIP's /64%s, so the host cannot reach it over "
                 "IPv6. Fix: sudo ip -6 addr add ADDR/64 dev %s nodad (another address than lwIP's)",
                 cfg->tap,
                 host.has_lwip_ip6 ? " (it has lwIP's own address, which the kernel then answers itself)"
                                   : "",
                 cfg->tap);
        warnings++;
    }
    return warnings;
}
