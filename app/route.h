/* Whether lwIP can reach an address before it sends a SYN there: on the
 * link of its default interface, or through the --gw for IPv4. lwIP itself
 * would only fail later, without saying why. */
#ifndef LWIPTAP_ROUTE_H
#define LWIPTAP_ROUTE_H

#include <stddef.h>

#include "lwip/ip_addr.h"

/* 1, or 0 with err saying why not (peer names the address in it). */
int route_reachable(const ip_addr_t *ip, const char *peer, char *err, size_t errlen);

#endif
