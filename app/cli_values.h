/* The kinds of values the command line takes, one parser each: numbers,
 * ports, IPv4 addresses with a prefix, IPv6 addresses, MAC addresses,
 * interface names, HOST:PORT endpoints, and keepalive timings (the fault
 * values are cli_fault.h's, the debug lists debug_flags.h's). Each returns 0,
 * or -1 with err saying which option got what and what it expects. */
#ifndef LWIPTAP_CLI_VALUES_H
#define LWIPTAP_CLI_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"

#define CLI_KEEP_INTERVAL_DEFAULT_S 75u /* lwIP's TCP_KEEPINTVL_DEFAULT */
#define CLI_KEEP_COUNT_DEFAULT 9u       /* lwIP's TCP_KEEPCNT_DEFAULT */
#define CLI_KEEP_MAX_S 86400u

void cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A decimal from 0 to max, nothing before or after it; no message. */
int cli_parse_uint(const char *text, unsigned long max, unsigned long *value);

/* A decimal of at least 1 that fits 64 bits; no message. */
int cli_parse_count64(const char *text, uint64_t *value);

/* 0 to 65535; what names the option in the message. */
int cli_parse_port(const char *text, const char *what, uint16_t *port, char *err, size_t errlen);

/* A dotted-quad IPv4 address; no message. */
int cli_parse_ip4(const char *text, ip4_addr_t *addr);

/* --ip: ADDR[/PREFIX], a usable host address of its subnet (default /24). */
int cli_parse_ip4_prefix(const char *text, ip4_addr_t *addr, ip4_addr_t *netmask, char *err, size_t errlen);

/* --ip6: ADDR[/64], a unicast global or unique-local address. */
int cli_parse_ip6(const char *text, ip6_addr_t *addr, char *err, size_t errlen);

/* --mac: exactly six hex bytes "xx:xx:xx:xx:xx:xx", unicast, not all zero. */
int cli_parse_mac(const char *text, uint8_t mac[6], char *err, size_t errlen);

/* --tap: a name the kernel accepts for an interface. */
int cli_parse_tap_name(const char *text, char *err, size_t errlen);

/* --connect: HOST:PORT, or [ADDR]:PORT for IPv6; addresses only. */
int cli_parse_endpoint(const char *text, ip_addr_t *ip, uint16_t *port, char *err, size_t errlen);

/* --keepalive: IDLE[,INTVL[,COUNT]], seconds and a count. */
int cli_parse_keepalive(const char *text, uint32_t *idle_ms, uint32_t *interval_ms, uint32_t *count,
                        char *err, size_t errlen);

#endif
