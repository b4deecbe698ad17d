#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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

void endpoint_format_raw(int family, const u8_t *bytes, u16_t port, char *out, size_t outlen)
{
    ip_addr_t ip;
    if (family == AF_INET6) {
        u32_t words[4];
        memcpy(words, bytes, sizeof words);
        IP_ADDR6(&ip, words[0], words[1], words[2], words[3]);
    } else {
        u32_t word;
        memcpy(&word, bytes, sizeof word);
        ip_addr_set_ip4_u32_val(ip, word);
    }
    endpoint_format(&ip, port, out, outlen);
}
