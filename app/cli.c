#include "cli.h"
#include "cli_fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/opt.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tcp_msl.h"

#define LWIPTAP_VERSION "0.1.0"
#define CLI_DEFAULT_TIMEOUT_S 10u
#define CLI_MSL_MIN_MS 100u
#define CLI_MSL_MAX_MS 600000UL
#define CLI_KEEP_INTERVAL_DEFAULT_S 75u /* lwIP's TCP_KEEPINTVL_DEFAULT */
#define CLI_KEEP_COUNT_DEFAULT 9u       /* lwIP's TCP_KEEPCNT_DEFAULT */
#define CLI_KEEP_MAX_S 86400u

enum long_only_option {
    OPT_TAP = 256,
    OPT_IP,
    OPT_GW,
    OPT_IP6,
    OPT_MAC,
    OPT_ECHO_PORT,
    OPT_SERIAL_PORT,
    OPT_DEBUG,
    OPT_TRACE,
    OPT_ABSOLUTE,
    OPT_EXPLAIN,
    OPT_DIAGRAM,
    OPT_PCAP,
    OPT_PCAP_STACK,
    OPT_SEED,
    OPT_MAX_CONNS,
    OPT_NO_STATE_LOG,
    OPT_NO_OFFLOAD,
    OPT_MEM_LIMIT,
    OPT_IPERF,
    OPT_CONNECT,
    OPT_TIMEOUT,
    OPT_STAY,
    OPT_MSL,
    OPT_HALF_CLOSE,
    OPT_ABORT_AFTER,
    OPT_KEEPALIVE,
    OPT_CROSS_FINS,
    OPT_WEB,
    OPT_VERSION,
    /* OPT_FAULT + kind * FAULT_SCOPES + scope (cli_fault.h) */
    OPT_FAULT,
};

static const struct option long_options[] = {
    {"tap", required_argument, NULL, OPT_TAP},
    {"ip", required_argument, NULL, OPT_IP},
    {"gw", required_argument, NULL, OPT_GW},
    {"ip6", required_argument, NULL, OPT_IP6},
    {"mac", required_argument, NULL, OPT_MAC},
    {"echo-port", required_argument, NULL, OPT_ECHO_PORT},
    {"serial-port", required_argument, NULL, OPT_SERIAL_PORT},
    {"debug", required_argument, NULL, OPT_DEBUG},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"absolute", no_argument, NULL, OPT_ABSOLUTE},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"diagram", required_argument, NULL, OPT_DIAGRAM},
    {"pcap", required_argument, NULL, OPT_PCAP},
#define FAULT_OPTIONS(name, kind)                                                                            \
    {name, required_argument, NULL, OPT_FAULT + (kind)*FAULT_SCOPES + FAULT_BOTH},                           \
        {"rx-" name, required_argument, NULL, OPT_FAULT + (kind)*FAULT_SCOPES + FAULT_RX},                   \
    {                                                                                                        \
        "tx-" name, required_argument, NULL, OPT_FAULT + (kind)*FAULT_SCOPES + FAULT_TX                      \
    }
    FAULT_OPTIONS("drop", FAULT_DROP),
    FAULT_OPTIONS("corrupt", FAULT_CORRUPT),
    FAULT_OPTIONS("duplicate", FAULT_DUPLICATE),
    FAULT_OPTIONS("reorder", FAULT_REORDER),
    FAULT_OPTIONS("delay", FAULT_DELAY),
    FAULT_OPTIONS("rate", FAULT_RATE),
    {"pcap-stack", required_argument, NULL, OPT_PCAP_STACK},
    {"seed", required_argument, NULL, OPT_SEED},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"no-state-log", no_argument, NULL, OPT_NO_STATE_LOG},
    {"no-offload", no_argument, NULL, OPT_NO_OFFLOAD},
    {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
    {"iperf", no_argument, NULL, OPT_IPERF},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"stay", no_argument, NULL, OPT_STAY},
    {"msl", required_argument, NULL, OPT_MSL},
    {"half-close", no_argument, NULL, OPT_HALF_CLOSE},
    {"abort-after", required_argument, NULL, OPT_ABORT_AFTER},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"cross-fins", no_argument, NULL, OPT_CROSS_FINS},
    {"web", optional_argument, NULL, OPT_WEB},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void cli_usage(FILE *out)
{
    fprintf(out,
            "Usage: lwip-tap --tap NAME --ip ADDR[/PREFIX] [options]\n"
            "Runs the lwIP TCP/IP stack in this process on a TAP device and serves\n"
            "TCP echo (RFC 862) and serial echo on it.\n"
            "\n"
            "  --tap NAME          TAP interface to attach to (created if missing and allowed)\n"
            "  --ip ADDR[/PREFIX]  IPv4 address of the stack, e.g. 192.0.2.2/24 (default /24)\n"
            "  --gw ADDR           IPv4 default gateway (inside the --ip subnet)\n"
            "  --ip6 ADDR/64       IPv6 address of the stack, e.g. 2001:db8::2/64\n"
            "  --mac MAC           Ethernet address (default 02:00:00:00:00:02)\n"
            "  --echo-port PORT    RFC 862 echo service port, 0 to disable (default 7)\n"
            "  --serial-port PORT  serial echo service port, 0 to disable (default 1234)\n"
            "  --debug LIST        lwIP debug categories, comma-separated, or 'all':\n"
            "                      %s\n"
            "  --trace             log every frame in and out, in causal order with the\n"
            "                      state changes: TCP with relative seq/ack, scaled\n"
            "                      windows, options and labels (retransmission, ...)\n"
            "  --absolute          --trace: raw sequence numbers, like tcpdump -S\n"
            "  --explain           --trace, with a plain-language line under each segment\n"
            "                      and each state change, for learning TCP\n"
            "  --diagram FILE.svg  draw each TCP connection as a ladder diagram: the first\n"
            "                      in FILE.svg, the next in FILE-2.svg, FILE-3.svg, ...\n"
            "  --pcap FILE         write every frame that crossed the tap, both ways, to a\n"
            "                      pcap file (what tcpdump -i on the tap would see)\n"
            "  --pcap-stack FILE   the same as lwIP saw and sent them: before --drop on\n"
            "                      output, after --drop and the ingress guard on input\n"
            "\n"
            "Faults (link stages on the wire, each way; --rx-X or --tx-X for one way):\n"
            "  --drop PERCENT      drop this share of frames\n"
            "  --corrupt PERCENT   flip a checksum bit: the receiver discards the frame\n"
            "  --duplicate PERCENT send the frame twice\n"
            "  --reorder PERCENT   hold the frame back %u ms, so later ones overtake it\n"
            "  --delay MS[:JITTER] delay every frame, by MS +- up to JITTER\n"
            "  --rate BITS/S       a link this fast (k, M, G suffixes), frames queue up\n"
            "  --seed N            seed of the fault decisions (default 1): the same seed\n"
            "                      gives the same decisions\n"
            "\n"
            "  --max-conns N       TCP connections at once (listeners aside); a SYN beyond\n"
            "                      them gets a RST (1 to %u, default %u)\n"
            "  --mem-limit MIB     memory lwIP may take for all connections together\n"
            "                      (%u to %u, default %u); input beyond it is dropped\n"
            "  --no-offload        exchange only plain frames of at most the MTU with the\n"
            "                      kernel (default: TCP super-frames and partial checksums\n"
            "                      through IFF_VNET_HDR, where the kernel offers them)\n"
            "  --iperf             run lwIP's iperf2 server (lwiperf) on TCP port 5001\n"
            "  --web [PORT]        lwIP serves a live page about its connections on PORT\n"
            "                      (default 80): open http://ADDR/ (see docs/web.md)\n"
            "\n"
            "Connection lifecycle:\n"
            "  --connect HOST:PORT lwIP opens a connection (IPv6 as [ADDR]:PORT) and sends\n"
            "                      each line of standard input as one message, printing\n"
            "                      each reply before the next line; \"bye\" or the end of\n"
            "                      input closes it, and then lwip-tap exits\n"
            "  --timeout S         --connect: longest wait for the SYN-ACK and for each\n"
            "                      reply (default %u, 0 for none)\n"
            "  --stay              keep serving after the --connect session\n"
            "  --msl MS            maximum segment lifetime: TIME_WAIT lasts 2 MSL\n"
            "                      (%u to %lu, default %lu, lwIP's own)\n"
            "  --half-close        the services send FIN after their first answer and\n"
            "                      keep receiving until the peer closes\n"
            "  --abort-after BYTES the services reset (RST) a connection once it has\n"
            "                      sent them this many bytes\n"
            "  --keepalive IDLE[,INTVL[,COUNT]]\n"
            "                      keepalive probes after IDLE seconds of silence, every\n"
            "                      INTVL seconds (default %u); COUNT unanswered (default %u)\n"
            "                      reset the connection\n"
            "  --cross-fins        hold lwIP's first FIN until the peer's FIN arrives, so\n"
            "                      that both cross on the wire: a simultaneous close\n"
            "\n"
            "  --no-state-log      do not log TCP state transitions\n"
            "  -v, --verbose       log debug messages too\n"
            "  -q, --quiet         log only warnings and errors\n"
            "  -h, --help          show this help\n"
            "      --version       show the version\n"
            "\n"
            "On a terminal (and without --connect) lwip-tap also reads commands:\n"
            "stats, pcbs, debug [+CAT|-CAT ...] (switch lwIP's debug categories at run\n"
            "time), help, quit. Ctrl-D closes the console; Ctrl-C stops lwip-tap.\n",
            lwiptap_debug_names(), (unsigned)LINK_FAULT_REORDER_MS, (unsigned)MEMP_NUM_TCP_PCB,
            (unsigned)MEMP_NUM_TCP_PCB, (unsigned)MEM_BUDGET_MIN_MIB, (unsigned)MEM_BUDGET_MAX_MIB,
            (unsigned)MEM_BUDGET_DEFAULT_MIB, (unsigned)CLI_DEFAULT_TIMEOUT_S, (unsigned)CLI_MSL_MIN_MS,
            CLI_MSL_MAX_MS, LWIPTAP_TCP_MSL_DEFAULT_MS, (unsigned)CLI_KEEP_INTERVAL_DEFAULT_S,
            (unsigned)CLI_KEEP_COUNT_DEFAULT);
}

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int parse_uint(const char *text, unsigned long max, unsigned long *value)
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

static int parse_port(const char *text, const char *what, uint16_t *port, char *err, size_t errlen)
{
    unsigned long v;
    if (parse_uint(text, 65535, &v) != 0) {
        fail(err, errlen, "invalid %s '%s': expected a number from 0 to 65535", what, text);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

static int parse_ip4(const char *text, ip4_addr_t *addr)
{
    struct in_addr in;
    if (inet_pton(AF_INET, text, &in) != 1) {
        return -1;
    }
    ip4_addr_set_u32(addr, in.s_addr);
    return 0;
}

static int parse_ip4_cidr(const char *text, struct lwiptap_config *cfg, char *err, size_t errlen)
{
    char addr[INET_ADDRSTRLEN + 4];
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    unsigned long prefix = 24;
    if (addr_len >= sizeof addr) {
        fail(err, errlen, "invalid --ip '%s': expected an IPv4 address such as 192.0.2.2/24", text);
        return -1;
    }
    memcpy(addr, text, addr_len);
    addr[addr_len] = '\0';
    if (parse_ip4(addr, &cfg->ip4) != 0) {
        fail(err, errlen, "invalid --ip '%s': expected an IPv4 address such as 192.0.2.2/24", text);
        return -1;
    }
    if (slash && (parse_uint(slash + 1, 32, &prefix) != 0 || prefix < 1 || prefix > 30)) {
        fail(err, errlen, "invalid prefix length in --ip '%s': expected /1 to /30", text);
        return -1;
    }
    uint32_t host = lwip_ntohl(ip4_addr_get_u32(&cfg->ip4));
    uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
    if (host == 0 || (host >> 24) == 127 || (host >> 28) >= 14 || (host & ~mask) == 0 ||
        (host & ~mask) == ~mask) {
        fail(err, errlen,
             "invalid --ip '%s': not a usable host address (zero, loopback, multicast, or the "
             "subnet's network/broadcast address)",
             text);
        return -1;
    }
    ip4_addr_set_u32(&cfg->netmask, lwip_htonl(mask));
    return 0;
}

static int parse_ip6(const char *text, struct lwiptap_config *cfg, char *err, size_t errlen)
{
    char addr[INET6_ADDRSTRLEN + 4];
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    struct in6_addr in6;
    if (addr_len >= sizeof addr) {
        fail(err, errlen, "invalid --ip6 '%s': expected an IPv6 address such as 2001:db8::2/64", text);
        return -1;
    }
    memcpy(addr, text, addr_len);
    addr[addr_len] = '\0';
    if (inet_pton(AF_INET6, addr, &in6) != 1) {
        fail(err, errlen, "invalid --ip6 '%s': expected an IPv6 address such as 2001:db8::2/64", text);
        return -1;
    }
    unsigned long prefix = 64;
    if (slash && (parse_uint(slash + 1, 128, &prefix) != 0 || prefix != 64)) {
        fail(err, errlen,
             "invalid prefix length in --ip6 '%s': lwIP treats every IPv6 prefix as /64, so only /64 is "
             "accepted",
             text);
        return -1;
    }
    memcpy(cfg->ip6.addr, &in6, sizeof cfg->ip6.addr);
    ip6_addr_clear_zone(&cfg->ip6);
    if (ip6_addr_isany(&cfg->ip6) || ip6_addr_ismulticast(&cfg->ip6) || ip6_addr_isloopback(&cfg->ip6) ||
        ip6_addr_islinklocal(&cfg->ip6)) {
        fail(err, errlen,
             "invalid --ip6 '%s': needs a unicast global or unique-local address "
             "(the link-local one is derived from the MAC)",
             text);
        return -1;
    }
    cfg->has_ip6 = 1;
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
static int parse_mac(const char *text, uint8_t mac[6], char *err, size_t errlen)
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
        fail(err, errlen, "invalid --mac '%s': expected six hex bytes such as 02:00:00:00:00:02", text);
        return -1;
    }
    if (mac[0] & 1) {
        fail(err, errlen, "invalid --mac '%s': a multicast address cannot be an interface address", text);
        return -1;
    }
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
        fail(err, errlen, "invalid --mac '%s': the all-zero address is not usable", text);
        return -1;
    }
    return 0;
}

/* What the kernel accepts as an interface name (dev_valid_name): 1 to 15
 * bytes, not "." or "..", no '/', ':' or white space. */
static int parse_tap_name(const char *text, char *err, size_t errlen)
{
    size_t len = strlen(text);
    int ok = len >= 1 && len < 16 && strcmp(text, ".") != 0 && strcmp(text, "..") != 0;
    for (const char *c = text; ok && *c != '\0'; c++) {
        ok = *c != '/' && *c != ':' && *c > ' ' && *c != 0x7f;
    }
    if (!ok) {
        fail(err, errlen,
             "invalid --tap '%s': an interface name is 1 to 15 characters without '/', ':' or spaces, e.g. "
             "tap0",
             text);
        return -1;
    }
    return 0;
}

/* HOST:PORT with an IPv4 address, or [ADDR]:PORT with an IPv6 one: lwIP
 * resolves no names. */
static int parse_connect(const char *text, struct lwiptap_config *cfg, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_text;
    int v6 = text[0] == '[';
    const char *colon = v6 ? strstr(text, "]:") : strrchr(text, ':');
    size_t host_len = colon == NULL ? 0 : (size_t)(colon - text) - (size_t)v6;
    if (colon == NULL || host_len == 0 || host_len >= sizeof host) {
        fail(err, errlen,
             "invalid --connect '%s': expected ADDR:PORT, e.g. 192.0.2.1:1234 or [2001:db8::1]:1234", text);
        return -1;
    }
    memcpy(host, text + v6, host_len);
    host[host_len] = '\0';
    port_text = colon + 1 + v6;
    if (!ipaddr_aton(host, &cfg->connect_ip) || IP_IS_V6(&cfg->connect_ip) != v6) {
        fail(err, errlen,
             "invalid --connect '%s': '%s' is not an %s address (lwIP resolves no names; IPv6 goes in "
             "brackets)",
             text, host, v6 ? "IPv6" : "IPv4");
        return -1;
    }
    unsigned long port;
    if (parse_uint(port_text, 65535, &port) != 0 || port == 0) {
        fail(err, errlen, "invalid port in --connect '%s': expected 1 to 65535", text);
        return -1;
    }
    cfg->connect_port = (uint16_t)port;
    cfg->has_connect = 1;
    return 0;
}

/* IDLE[,INTVL[,COUNT]], seconds and a count. */
static int parse_keepalive(const char *text, struct lwiptap_config *cfg, char *err, size_t errlen)
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
        if (n == 3 || parse_uint(field, CLI_KEEP_MAX_S, &v[n]) != 0 || v[n] == 0) {
            goto bad;
        }
        n++;
    }
    if (n == 0 || text[strlen(text) - 1] == ',' || v[2] > 255) {
        goto bad;
    }
    cfg->keep_idle_ms = (uint32_t)v[0] * 1000u;
    cfg->keep_interval_ms = (uint32_t)v[1] * 1000u;
    cfg->keep_count = (uint32_t)v[2];
    return 0;
bad:
    fail(err, errlen,
         "invalid --keepalive '%s': expected IDLE[,INTVL[,COUNT]], seconds from 1 to %u and a count from 1 "
         "to 255, e.g. 2,1,3",
         text, CLI_KEEP_MAX_S);
    return -1;
}

static void set_defaults(struct lwiptap_config *cfg)
{
    static const uint8_t default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->mac, default_mac, sizeof cfg->mac);
    cfg->echo_port = 7;
    cfg->serial_port = 1234;
    cfg->log_level = LOG_INFO;
    cfg->state_log = 1;
    cfg->seed = 1;
    cfg->max_conns = MEMP_NUM_TCP_PCB;
    cfg->offload = 1;
    cfg->mem_limit_mib = MEM_BUDGET_DEFAULT_MIB;
    cfg->timeout_ms = CLI_DEFAULT_TIMEOUT_S * 1000u;
    cfg->msl_ms = LWIPTAP_TCP_MSL_DEFAULT_MS;
}

static int check_combination(struct lwiptap_config *cfg, int has_ip, const char *gw_text, char *err,
                             size_t errlen)
{
    if (cfg->tap == NULL) {
        fail(err, errlen, "missing --tap NAME");
        return -1;
    }
    if (!has_ip) {
        fail(err, errlen, "missing --ip ADDR[/PREFIX], e.g. --ip 192.0.2.2/24");
        return -1;
    }
    if (gw_text != NULL) {
        if (parse_ip4(gw_text, &cfg->gateway) != 0) {
            fail(err, errlen, "invalid --gw '%s': expected an IPv4 address", gw_text);
            return -1;
        }
        if (!ip4_addr_netcmp(&cfg->gateway, &cfg->ip4, &cfg->netmask) ||
            ip4_addr_cmp(&cfg->gateway, &cfg->ip4)) {
            fail(err, errlen, "invalid --gw '%s': must be another address inside the --ip subnet", gw_text);
            return -1;
        }
    }
    if (cfg->has_connect && IP_IS_V6(&cfg->connect_ip) && !cfg->has_ip6) {
        fail(err, errlen, "--connect to an IPv6 address needs --ip6 ADDR/64 for lwIP");
        return -1;
    }
    if (cfg->stay && !cfg->has_connect) {
        fail(err, errlen, "--stay only makes sense with --connect");
        return -1;
    }
    if (cfg->web_port != 0 && (cfg->web_port == cfg->echo_port || cfg->web_port == cfg->serial_port ||
                               (cfg->iperf && cfg->web_port == 5001))) {
        fail(err, errlen, "--web %u: that port is already another service's", cfg->web_port);
        return -1;
    }
    if (cfg->echo_port != 0 && cfg->echo_port == cfg->serial_port) {
        fail(err, errlen, "--echo-port and --serial-port are both %u: they must differ", cfg->echo_port);
        return -1;
    }
    return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct lwiptap_config *cfg, FILE *out, char *err,
                          size_t errlen)
{
    set_defaults(cfg);
    const char *gw_text = NULL;
    int has_ip = 0;
    int verbose = 0, quiet = 0;
    unsigned long seed = 0;
    optind = 0; /* GNU getopt: start over, so repeated calls (unit tests) parse afresh */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":vqh", long_options, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case OPT_TAP:
            rc = parse_tap_name(optarg, err, errlen);
            cfg->tap = optarg;
            break;
        case OPT_IP:
            rc = parse_ip4_cidr(optarg, cfg, err, errlen);
            has_ip = 1;
            break;
        case OPT_GW:
            gw_text = optarg;
            break;
        case OPT_IP6:
            rc = parse_ip6(optarg, cfg, err, errlen);
            break;
        case OPT_MAC:
            rc = parse_mac(optarg, cfg->mac, err, errlen);
            break;
        case OPT_ECHO_PORT:
            rc = parse_port(optarg, "--echo-port", &cfg->echo_port, err, errlen);
            break;
        case OPT_SERIAL_PORT:
            rc = parse_port(optarg, "--serial-port", &cfg->serial_port, err, errlen);
            break;
        case OPT_DEBUG:
            rc = lwiptap_debug_parse(optarg, &cfg->debug_mask, err, errlen);
            break;
        case OPT_EXPLAIN:
            cfg->explain = 1;
            cfg->trace = 1;
            break;
        case OPT_DIAGRAM:
            cfg->diagram_path = optarg;
            break;
        case OPT_ABSOLUTE:
            cfg->absolute = 1;
            break;
        case OPT_TRACE:
            cfg->trace = 1;
            break;
        case OPT_PCAP:
            cfg->pcap_path = optarg;
            break;
        case OPT_PCAP_STACK:
            cfg->pcap_stack_path = optarg;
            break;
        case OPT_SEED:
            if (parse_uint(optarg, 0xffffffffUL, &seed) != 0 || seed == 0) {
                fail(err, errlen, "invalid --seed '%s': expected a number from 1 to 4294967295", optarg);
                rc = -1;
            }
            cfg->seed = (uint32_t)seed;
            break;
        case OPT_MAX_CONNS: {
            unsigned long conns = 0;
            if (parse_uint(optarg, MEMP_NUM_TCP_PCB, &conns) != 0 || conns == 0) {
                fail(err, errlen, "invalid --max-conns '%s': expected a number from 1 to %u", optarg,
                     (unsigned)MEMP_NUM_TCP_PCB);
                rc = -1;
            }
            cfg->max_conns = (unsigned)conns;
            break;
        }
        case OPT_NO_STATE_LOG:
            cfg->state_log = 0;
            break;
        case OPT_NO_OFFLOAD:
            cfg->offload = 0;
            break;
        case OPT_IPERF:
            cfg->iperf = 1;
            break;
        case OPT_CONNECT:
            rc = parse_connect(optarg, cfg, err, errlen);
            break;
        case OPT_TIMEOUT: {
            unsigned long sec = 0;
            if (parse_uint(optarg, 3600, &sec) != 0) {
                fail(err, errlen, "invalid --timeout '%s': expected seconds from 0 (none) to 3600", optarg);
                rc = -1;
            }
            cfg->timeout_ms = (uint32_t)sec * 1000u;
            break;
        }
        case OPT_STAY:
            cfg->stay = 1;
            break;
        case OPT_MSL: {
            unsigned long ms = 0;
            if (parse_uint(optarg, CLI_MSL_MAX_MS, &ms) != 0 || ms < CLI_MSL_MIN_MS) {
                fail(err, errlen, "invalid --msl '%s': expected milliseconds from %u to %lu", optarg,
                     CLI_MSL_MIN_MS, CLI_MSL_MAX_MS);
                rc = -1;
            }
            cfg->msl_ms = ms;
            cfg->msl_given = 1;
            break;
        }
        case OPT_HALF_CLOSE:
            cfg->half_close = 1;
            break;
        case OPT_ABORT_AFTER: {
            unsigned long long bytes = 0;
            char *end = NULL;
            errno = 0;
            bytes = optarg[0] >= '0' && optarg[0] <= '9' ? strtoull(optarg, &end, 10) : 0;
            if (bytes == 0 || errno != 0 || *end != '\0') {
                fail(err, errlen, "invalid --abort-after '%s': expected a number of bytes, at least 1",
                     optarg);
                rc = -1;
            }
            cfg->abort_after = bytes;
            break;
        }
        case OPT_KEEPALIVE:
            rc = parse_keepalive(optarg, cfg, err, errlen);
            break;
        case OPT_CROSS_FINS:
            cfg->cross_fins = 1;
            break;
        case OPT_WEB:
            /* "--web 8080" as well as "--web=8080": a following number is the port. */
            if (optarg == NULL && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9') {
                optarg = argv[optind++];
            }
            cfg->web_port = 80;
            rc = optarg != NULL ? parse_port(optarg, "--web", &cfg->web_port, err, errlen) : 0;
            if (rc == 0 && cfg->web_port == 0) {
                fail(err, errlen, "invalid --web '0': expected a port from 1 to 65535");
                rc = -1;
            }
            break;
        case OPT_MEM_LIMIT: {
            unsigned long mib = 0;
            if (parse_uint(optarg, MEM_BUDGET_MAX_MIB, &mib) != 0 || mib < MEM_BUDGET_MIN_MIB) {
                fail(err, errlen, "invalid --mem-limit '%s': expected MiB from %u to %u", optarg,
                     (unsigned)MEM_BUDGET_MIN_MIB, (unsigned)MEM_BUDGET_MAX_MIB);
                rc = -1;
            }
            cfg->mem_limit_mib = (unsigned)mib;
            break;
        }
        case 'v':
            verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            cli_usage(out);
            return CLI_DONE;
        case OPT_VERSION:
            fprintf(out, "lwip-tap %s (lwIP %s)\n", LWIPTAP_VERSION, LWIP_VERSION_STRING);
            return CLI_DONE;
        case ':':
            fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
            return CLI_ERROR;
        default:
            if (opt >= OPT_FAULT && opt < OPT_FAULT + FAULT_KINDS * FAULT_SCOPES) {
                int index = opt - OPT_FAULT;
                rc = cli_fault_parse((enum fault_kind)(index / FAULT_SCOPES),
                                     (enum fault_scope)(index % FAULT_SCOPES), optarg, &cfg->fault, err,
                                     errlen);
                break;
            }
            fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
            return CLI_ERROR;
        }
        if (rc != 0) {
            return CLI_ERROR;
        }
    }
    if (optind < argc) {
        fail(err, errlen, "unexpected argument '%s'", argv[optind]);
        return CLI_ERROR;
    }
    if (verbose && quiet) {
        fail(err, errlen, "-v and -q contradict each other: choose one");
        return CLI_ERROR;
    }
    cfg->log_level = verbose ? LOG_DEBUG : quiet ? LOG_WARN : LOG_INFO;
    if (check_combination(cfg, has_ip, gw_text, err, errlen) != 0) {
        return CLI_ERROR;
    }
    return CLI_RUN;
}
