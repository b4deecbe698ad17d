/* One notation for a TCP endpoint in every log line: 192.0.2.1:40000,
 * [2001:db8::1]:40000, and * for a wildcard address or port (a listener). */
#ifndef LWIPTAP_ENDPOINT_H
#define LWIPTAP_ENDPOINT_H

#include <stddef.h>

#include "lwip/ip_addr.h"

/* Room for the longest endpoint: an IPv6 address in brackets and a port. */
#define ENDPOINT_STRLEN (IPADDR_STRLEN_MAX + 8)

void endpoint_format(const ip_addr_t *ip, u16_t port, char *out, size_t outlen);

/* The same, from an address in network byte order as the connection model
 * carries it (lwiptap/conn_events.h): 4 bytes for AF_INET, 16 for AF_INET6. */
void endpoint_format_raw(int family, const u8_t *bytes, u16_t port, char *out, size_t outlen);

/* lwIP writes IPv6 in upper case; ip(8), tcpdump and RFC 5952 in lower. */
void endpoint_lowercase(char *text);

#endif
