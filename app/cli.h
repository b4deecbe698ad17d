/* Command line of lwip-tap. Parsing never exits: it reports through the return
 * value and err, so unit tests can drive it. */
#ifndef LWIPTAP_CLI_H
#define LWIPTAP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lwip/ip_addr.h"
#include "lwiptap/link.h"
#include "lwiptap/log.h"

struct lwiptap_config {
    const char *tap;
    ip4_addr_t ip4;
    ip4_addr_t netmask;
    ip4_addr_t gateway;
    int has_ip6;
    ip6_addr_t ip6;
    uint8_t mac[6];
    uint16_t echo_port;   /* 0: service off */
    uint16_t serial_port; /* 0: service off */
    uint32_t debug_mask;
    enum log_level log_level;
    int state_log;
    int trace;
    int absolute;             /* --trace with raw sequence numbers */
    int explain;              /* --trace with a plain-language line under each event */
    const char *diagram_path; /* --diagram: SVG ladder diagrams */
    const char *pcap_path;
    struct link_fault_config fault; /* its seed comes from seed */
    const char *pcap_stack_path;    /* the frames as the stack saw them */
    uint32_t seed;
    unsigned max_conns; /* a SYN beyond this many pcbs in use gets a RST */
    unsigned mem_limit_mib;
    int offload; /* ask the tap for TCP super-frames and partial checksums */
    int steer;   /* a created tap's host work on the other CPUs (tap_steer.h) */
    int iperf;   /* lwIP's lwiperf server on port 5001 */
    /* --connect: lwIP opens a connection to connect_ip:connect_port itself. */
    int has_connect;
    ip_addr_t connect_ip;
    uint16_t connect_port;
    uint32_t timeout_ms;  /* --connect: for the SYN-ACK and each reply */
    int stay;             /* keep serving after the --connect session */
    unsigned long msl_ms; /* TIME_WAIT = 2 MSL */
    int msl_given;
    int half_close;        /* services: FIN after the first answer, keep receiving */
    uint64_t abort_after;  /* services: RST once this many bytes came in; 0 never */
    uint32_t keep_idle_ms; /* 0: keepalive off */
    uint32_t keep_interval_ms;
    uint32_t keep_count;
    int cross_fins;    /* hold our first FIN until the peer's: a simultaneous close */
    uint16_t web_port; /* --web: the live page's HTTP port; 0: off */
};

enum cli_result {
    CLI_RUN,   /* config filled in: start the stack */
    CLI_DONE,  /* --help or --version was printed: exit 0 */
    CLI_ERROR, /* err says what is wrong: exit 2 */
};

/* The --ip prefix length, from the netmask. */
static inline unsigned cli_prefix_len(const struct lwiptap_config *cfg)
{
    return (unsigned)__builtin_popcount(ip4_addr_get_u32(&cfg->netmask));
}

enum cli_result cli_parse(int argc, char **argv, struct lwiptap_config *cfg, FILE *out, char *err,
                          size_t errlen);

void cli_usage(FILE *out);

#endif
