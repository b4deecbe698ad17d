#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>

void endpoint_lowercase(char *text)
{
    for (; *text != '\0'; text++) {
        *text = (char)tolower((unsigned char)*text);
    }
}

void endpoint_format(const ip_addr_t *ip, u16_t port, char *out, size_t outlen)
{
    char addr[IPADDR_STRLEN_MAX] = "*";
    if (!ip_addr_isany(ip)) {
        ipaddr_ntoa_r(ip, addr, sizeof addr);
        endpoint_lowercase(addr);
    }
    const char *open = IP_IS_V6(ip) && !ip_addr_isany(ip) ? "[" : "";
    const char *close = *open != '\0' ? "]" : "";
    if (port == 0) {
        snprintf(out, outlen, "%s%s%s:*", open, addr, close);
    } else {
        snprintf(out, outlen, "%s%s%s:%u", open, addr, close, port);
    }
}
