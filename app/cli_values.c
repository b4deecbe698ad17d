#include "cli_values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int cli_parse_uint(const char *text, unsigned long max, unsigned long *value)
{
    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return -1;
    }
    *value = v;
    return 0;
}

int cli_parse_count64(const char *text, uint64_t *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (v == 0 || errno != 0 || *end != '\0') {
        return -1;
    }
    *value = v;
    return 0;
}

int cli_parse_port(const char *text, const char *what, uint16_t *port, char *err, size_t errlen)
{
    unsigned long v;
    if (cli_parse_uint(text, 65535, &v) != 0) {
        cli_fail(err, errlen, "invalid %s '%s': expected a number from 0 to 65535", what, text);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

int cli_parse_ip4(const char *text, ip4_addr_t *addr)
{
    struct in_addr in;
    if (inet_pton(AF_INET, text, &in) != 1) {
        return -1;
    }
    ip4_addr_set_u32(addr, in.s_addr);
    return 0;
}

int cli_parse_ip4_prefix(const char *text, ip4_addr_t *addr, ip4_addr_t *netmask, char *err, size_t errlen)
{
    char host_text[INET_ADDRSTRLEN + 4];
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    unsigned long prefix = 24;
    if (addr_len >= sizeof host_text) {
        cli_fail(err, errlen, "invalid --ip '%s': expected an IPv4 address such as 192.0.2.2/24", text);
        return -1;
    }
    memcpy(host_text, text, addr_len);
    host_text[addr_len] = '\0';
    if (cli_parse_ip4(host_text, addr) != 0) {
        cli_fail(err, errlen, "invalid --ip '%s': expected an IPv4 address such as 192.0.2.2/24", text);
        return -1;
    }
    if (slash && (cli_parse_uint(slash + 1, 32, &prefix) != 0 || prefix < 1 || prefix > 30)) {
        cli_fail(err, errlen, "invalid prefix length in --ip '%s': expected /1 to /30", text);
        return -1;
    }
    uint32_t host = lwip_ntohl(ip4_addr_get_u32(addr));
    uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
    if (host == 0 || (host >> 24) == 127 || (host >> 28) >= 14 || (host & ~mask) == 0 ||
        (host & ~mask) == ~mask) {
        cli_fail(err, errlen,
                 "invalid --ip '%s': not a usable host address (zero, loopback, multicast, or the "
                 "subnet's network/broadcast address)",
                 text);
        return -1;
    }
    ip4_addr_set_u32(netmask, lwip_htonl(mask));
    return 0;
}

int cli_parse_ip6(const char *text, ip6_addr_t *addr, char *err, size_t errlen)
{
    char host_text[INET6_ADDRSTRLEN + 4];
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    struct in6_addr in6;
    if (addr_len >= sizeof host_text) {
        cli_fail(err, errlen, "invalid --ip6 '%s': expected an IPv6 address such as 2001:db8::2/64", text);
        return -1;
    }
    memcpy(host_text, text, addr_len);
    host_text[addr_len] = '\0';
    if (inet_pton(AF_INET6, host_text, &in6) != 1) {
        cli_fail(err, errlen, "invalid --ip6 '%s': expected an IPv6 address such as 2001:db8::2/64", text);
        return -1;
    }
    unsigned long prefix = 64;
    if (slash && (cli_parse_uint(slash + 1, 128, &prefix) != 0 || prefix != 64)) {
        cli_fail(err, errlen,
                 "invalid prefix length in --ip6 '%s': lwIP treats every IPv6 prefix as /64, so only /64 is "
                 "accepted",
                 text);
        return -1;
    }
    memcpy(addr->addr, &in6, sizeof addr->addr);
    ip6_addr_clear_zone(addr);
    if (ip6_addr_isany(addr) || ip6_addr_ismulticast(addr) || ip6_addr_isloopback(addr) ||
        ip6_addr_islinklocal(addr)) {
        cli_fail(err, errlen,
                 "invalid --ip6 '%s': needs a unicast global or unique-local address "
                 "(the link-local one is derived from the MAC)",
                 text);
        return -1;
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx": sscanf("%2x") would also take blanks, signs and "0x". */
int cli_parse_mac(const char *text, uint8_t mac[6], char *err, size_t errlen)
{
    int ok = strlen(text) == 17;
    for (size_t i = 0; ok && i < 6; i++) {
        const char *pair = text + i * 3;
        int hi = hex_value(pair[0]);
        int lo = hex_value(pair[1]);
        ok = hi >= 0 && lo >= 0 && (i == 5 || pair[2] == ':');
        if (ok) {
            mac[i] = (uint8_t)((hi << 4) | lo);
        }
    }
    if (!ok) {
        cli_fail(err, errlen, "invalid --mac '%s': expected six hex bytes such as 02:00:00:00:00:02", text);
        return -1;
    }
    if (mac[0] & 1) {
        cli_fail(err, errlen, "invalid --mac '%s': a multicast address cannot be an interface address", text);
        return -1;
    }
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
        cli_fail(err, errlen, "invalid --mac '%s': the all-zero address is not usable", text);
        return -1;
    }
    return 0;
}

/* What the kernel accepts as an interface name (dev_valid_name): 1 to 15
 * bytes, not "." or "..", no '/', ':' or white space. */
int cli_parse_tap_name(const char *text, char *err, size_t errlen)
{
    size_t len = strlen(text);
    int ok = len >= 1 && len < 16 && strcmp(text, ".") != 0 && strcmp(text, "..") != 0;
    for (const char *c = text; ok && *c != '\0'; c++) {
        ok = *c != '/' && *c != ':' && *c > ' ' && *c != 0x7f;
    }
    if (!ok) {
        cli_fail(err, errlen,
                 "invalid --tap '%s': an interface name is 1 to 15 characters without '/', ':' or spaces, "
                 "e.g. tap0",
                 text);
        return -1;
    }
    return 0;
}

/* lwIP resolves no names: an address it is. */
int cli_parse_endpoint(const char *text, ip_addr_t *ip, uint16_t *port, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 2];
    int v6 = text[0] == '[';
    const char *colon = v6 ? strstr(text, "]:") : strrchr(text, ':');
    size_t host_len = colon == NULL ? 0 : (size_t)(colon - text) - (size_t)v6;
    if (colon == NULL || host_len == 0 || host_len >= sizeof host) {
        cli_fail(err, errlen,
                 "invalid --connect '%s': expected ADDR:PORT, e.g. 192.0.2.1:1234 or [2001:db8::1]:1234",
                 text);
        return -1;
    }
    memcpy(host, text + v6, host_len);
    host[host_len] = '\0';
    if (!ipaddr_aton(host, ip) || IP_IS_V6(ip) != v6) {
        cli_fail(err, errlen,
                 "invalid --connect '%s': '%s' is not an %s address (lwIP resolves no names; IPv6 goes in "
                 "brackets)",
                 text, host, v6 ? "IPv6" : "IPv4");
        return -1;
    }
    unsigned long v;
    if (cli_parse_uint(colon + 1 + v6, 65535, &v) != 0 || v == 0) {
        cli_fail(err, errlen, "invalid port in --connect '%s': expected 1 to 65535", text);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

int cli_parse_keepalive(const char *text, uint32_t *idle_ms, uint32_t *interval_ms, uint32_t *count,
                        char *err, size_t errlen)
{
    unsigned long v[3] = {0, CLI_KEEP_INTERVAL_DEFAULT_S, CLI_KEEP_COUNT_DEFAULT};
    char buf[64];
    if (strlen(text) >= sizeof buf) {
        goto bad;
    }
    memcpy(buf, text, strlen(text) + 1);
    char *save = NULL;
    size_t n = 0;
    for (char *field = strtok_r(buf, ",", &save); field != NULL; field = strtok_r(NULL, ",", &save)) {
        if (n == 3 || cli_parse_uint(field, CLI_KEEP_MAX_S, &v[n]) != 0 || v[n] == 0) {
            goto bad;
        }
        n++;
    }
    if (n == 0 || text[strlen(text) - 1] == ',' || v[2] > 255) {
        goto bad;
    }
    *idle_ms = (uint32_t)v[0] * 1000u;
    *interval_ms = (uint32_t)v[1] * 1000u;
    *count = (uint32_t)v[2];
    return 0;
bad:
    cli_fail(
        err, errlen,
        "invalid --keepalive '%s': expected IDLE[,INTVL[,COUNT]], seconds from 1 to %u and a count from 1 "
        "to 255, e.g. 2,1,3",
        text, CLI_KEEP_MAX_S);
    return -1;
}
