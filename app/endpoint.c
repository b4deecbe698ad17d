#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>

void endpoint_format(const ip_addr_t *ip, u16_t port, char *out, size_t outlen)
{
    char addr[IPADDR_STRLEN_MAX] = "*";
    if (!ip_addr_isany(ip)) {
        /* lwIP writes IPv6 in upper case; ip(8), tcpdump and RFC 5952 in lower. */
        ipaddr_ntoa_r(ip, addr, sizeof addr);
        for (char *c = addr; *c != '\0'; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
    }
    const char *open = IP_IS_V6(ip) && !ip_addr_isany(ip) ? "[" : "";
    const char *close = *open != '\0' ? "]" : "";
    if (port == 0) {
        snprintf(out, outlen, "%s%s%s:*", open, addr, close);
    } else {
        snprintf(out, outlen, "%s%s%s:%u", open, addr, close, port);
    }
}
