/* How the guard's log lines name a peer (guard_stats.c). */
#ifndef LWIPTAP_GUARD_TEXT_H
#define LWIPTAP_GUARD_TEXT_H

#include <stddef.h>

#include "lwip/ip_addr.h"

/* "192.0.2.1:40000", or "[2001:db8::1]:40000". */
void guard_endpoint(const ip_addr_t *addr, u16_t port, char *out, size_t outlen);

#endif
