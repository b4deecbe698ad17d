#include "cli_options.h"

#include <stddef.h>
#include <string.h>

#include "cli_fault.h"
#include "cli_values.h"
#include "lwip/init.h"
#include "lwip/opt.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tcp_msl.h"

#define LWIPTAP_VERSION "0.1.0"

static enum cli_apply result(int rc)
{
    return rc == 0 ? CLI_APPLIED : CLI_REFUSED;
}

/* A number from min to max, with a message in the option's own words. */
static enum cli_apply number(const struct cli_option *o, const char *value, unsigned long min,
                             unsigned long max, const char *expected, struct cli_state *st,
                             unsigned long *out)
{
    if (cli_parse_uint(value, max, out) != 0 || *out < min) {
        cli_fail(st->err, st->errlen, "invalid --%s '%s': expected %s", o->name, value, expected);
        return CLI_REFUSED;
    }
    return CLI_APPLIED;
}

#define FIELD(member) offsetof(struct lwiptap_config, member)

static void *field_of(const struct cli_option *o, struct cli_state *st)
{
    return (char *)st->cfg + o->field;
}

static enum cli_apply set_flag(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)value;
    *(int *)field_of(o, st) = 1;
    return CLI_APPLIED;
}

static enum cli_apply clear_flag(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)value;
    *(int *)field_of(o, st) = 0;
    return CLI_APPLIED;
}

static enum cli_apply set_text(const struct cli_option *o, const char *value, struct cli_state *st)
{
    *(const char **)field_of(o, st) = value;
    return CLI_APPLIED;
}

static enum cli_apply set_port(const struct cli_option *o, const char *value, struct cli_state *st)
{
    char what[32];
    snprintf(what, sizeof what, "--%s", o->name);
    return result(cli_parse_port(value, what, field_of(o, st), st->err, st->errlen));
}

static enum cli_apply set_web(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    st->cfg->web_port = 80;
    if (value == NULL) {
        return CLI_APPLIED;
    }
    if (cli_parse_port(value, "--web", &st->cfg->web_port, st->err, st->errlen) != 0) {
        return CLI_REFUSED;
    }
    if (st->cfg->web_port == 0) {
        cli_fail(st->err, st->errlen, "invalid --web '0': expected a port from 1 to 65535");
        return CLI_REFUSED;
    }
    return CLI_APPLIED;
}

static enum cli_apply set_tap(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    st->cfg->tap = value;
    return result(cli_parse_tap_name(value, st->err, st->errlen));
}

static enum cli_apply set_ip(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    st->has_ip = 1;
    return result(cli_parse_ip4_prefix(value, &st->cfg->ip4, &st->cfg->netmask, st->err, st->errlen));
}

static enum cli_apply set_gw(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    st->gw_text = value;
    return CLI_APPLIED;
}

static enum cli_apply set_ip6(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    st->cfg->has_ip6 = 1;
    return result(cli_parse_ip6(value, &st->cfg->ip6, st->err, st->errlen));
}

static enum cli_apply set_mac(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    return result(cli_parse_mac(value, st->cfg->mac, st->err, st->errlen));
}

static enum cli_apply set_debug(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    return result(lwiptap_debug_parse(value, &st->cfg->debug_mask, st->err, st->errlen));
}

static enum cli_apply set_explain(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    (void)value;
    st->cfg->explain = 1;
    st->cfg->trace = 1;
    return CLI_APPLIED;
}

static enum cli_apply set_verbose(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    (void)value;
    st->verbose = 1;
    return CLI_APPLIED;
}

static enum cli_apply set_quiet(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    (void)value;
    st->quiet = 1;
    return CLI_APPLIED;
}

static enum cli_apply set_fault(const struct cli_option *o, const char *value, struct cli_state *st)
{
    return result(cli_fault_parse((enum fault_kind)o->fault_kind, (enum fault_scope)o->fault_scope, value,
                                  &st->cfg->fault, st->err, st->errlen));
}

static enum cli_apply set_seed(const struct cli_option *o, const char *value, struct cli_state *st)
{
    unsigned long seed = 0;
    enum cli_apply rc = number(o, value, 1, 0xffffffffUL, "a number from 1 to 4294967295", st, &seed);
    st->cfg->seed = (uint32_t)seed;
    return rc;
}

static enum cli_apply set_max_conns(const struct cli_option *o, const char *value, struct cli_state *st)
{
    unsigned long conns = 0;
    char expected[48];
    snprintf(expected, sizeof expected, "a number from 1 to %u", (unsigned)MEMP_NUM_TCP_PCB);
    enum cli_apply rc = number(o, value, 1, MEMP_NUM_TCP_PCB, expected, st, &conns);
    st->cfg->max_conns = (unsigned)conns;
    return rc;
}

static enum cli_apply set_mem_limit(const struct cli_option *o, const char *value, struct cli_state *st)
{
    unsigned long mib = 0;
    char expected[48];
    snprintf(expected, sizeof expected, "MiB from %u to %u", (unsigned)MEM_BUDGET_MIN_MIB,
             (unsigned)MEM_BUDGET_MAX_MIB);
    enum cli_apply rc = number(o, value, MEM_BUDGET_MIN_MIB, MEM_BUDGET_MAX_MIB, expected, st, &mib);
    st->cfg->mem_limit_mib = (unsigned)mib;
    return rc;
}

static enum cli_apply set_connect(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    if (cli_parse_endpoint(value, &st->cfg->connect_ip, &st->cfg->connect_port, st->err, st->errlen) != 0) {
        return CLI_REFUSED;
    }
    st->cfg->has_connect = 1;
    return CLI_APPLIED;
}

static enum cli_apply set_timeout(const struct cli_option *o, const char *value, struct cli_state *st)
{
    unsigned long sec = 0;
    enum cli_apply rc = number(o, value, 0, 3600, "seconds from 0 (none) to 3600", st, &sec);
    st->cfg->timeout_ms = (uint32_t)sec * 1000u;
    return rc;
}

static enum cli_apply set_msl(const struct cli_option *o, const char *value, struct cli_state *st)
{
    unsigned long ms = 0;
    char expected[48];
    snprintf(expected, sizeof expected, "milliseconds from %u to %lu", CLI_MSL_MIN_MS, CLI_MSL_MAX_MS);
    enum cli_apply rc = number(o, value, CLI_MSL_MIN_MS, CLI_MSL_MAX_MS, expected, st, &ms);
    st->cfg->msl_ms = ms;
    st->cfg->msl_given = 1;
    return rc;
}

static enum cli_apply set_abort_after(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    if (cli_parse_count64(value, &st->cfg->abort_after) != 0) {
        cli_fail(st->err, st->errlen, "invalid --abort-after '%s': expected a number of bytes, at least 1",
                 value);
        return CLI_REFUSED;
    }
    return CLI_APPLIED;
}

static enum cli_apply set_keepalive(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    struct lwiptap_config *cfg = st->cfg;
    return result(cli_parse_keepalive(value, &cfg->keep_idle_ms, &cfg->keep_interval_ms, &cfg->keep_count,
                                      st->err, st->errlen));
}

static enum cli_apply show_help(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    (void)value;
    cli_usage(st->out);
    return CLI_FINISHED;
}

static enum cli_apply show_version(const struct cli_option *o, const char *value, struct cli_state *st)
{
    (void)o;
    (void)value;
    fprintf(st->out, "lwip-tap %s (lwIP %s)\n", LWIPTAP_VERSION, LWIP_VERSION_STRING);
    return CLI_FINISHED;
}

#define HEADING(text)                                                                                        \
    {                                                                                                        \
        .help = (text)                                                                                       \
    }
#define FAULT_OPTION(option, value_name, kind, scope, text)                                                  \
    {                                                                                                        \
        .name = (option), .metavar = (value_name), .apply = set_fault, .help = (text), .fault_kind = (kind), \
        .fault_scope = (scope)                                                                               \
    }
/* --KIND for both ways, listed; --rx-KIND and --tx-KIND, under the heading. */
#define FAULT(kind_name, value_name, kind, text)                                                             \
    FAULT_OPTION(kind_name, value_name, kind, FAULT_BOTH, text),                                             \
        FAULT_OPTION("rx-" kind_name, value_name, kind, FAULT_RX, NULL),                                     \
        FAULT_OPTION("tx-" kind_name, value_name, kind, FAULT_TX, NULL)

/* In --help's order. */
const struct cli_option cli_options[] = {
    {.name = "tap",
     .metavar = "NAME",
     .apply = set_tap,
     .help = "TAP interface to attach to (created if missing and allowed)"},
    {.name = "ip",
     .metavar = "ADDR[/PREFIX]",
     .apply = set_ip,
     .help = "IPv4 address of the stack, e.g. 192.0.2.2/24 (default /24)"},
    {.name = "gw",
     .metavar = "ADDR",
     .apply = set_gw,
     .help = "IPv4 default gateway (inside the --ip subnet)"},
    {.name = "ip6",
     .metavar = "ADDR/64",
     .apply = set_ip6,
     .help = "IPv6 address of the stack, e.g. 2001:db8::2/64"},
    {.name = "mac",
     .metavar = "MAC",
     .apply = set_mac,
     .help = "Ethernet address (default 02:00:00:00:00:02)"},
    {.name = "echo-port",
     .metavar = "PORT",
     .apply = set_port,
     .field = FIELD(echo_port),
     .help = "RFC 862 echo service port, 0 to disable (default 7)"},
    {.name = "serial-port",
     .metavar = "PORT",
     .apply = set_port,
     .field = FIELD(serial_port),
     .help = "serial echo service port, 0 to disable (default 1234)"},
    {.name = "debug",
     .metavar = "LIST",
     .apply = set_debug,
     .help = "lwIP debug categories, comma-separated, or 'all':\n{debug}"},
    {.name = "trace",
     .apply = set_flag,
     .field = FIELD(trace),
     .help = "log every frame in and out, in causal order with the\n"
             "state changes: TCP with relative seq/ack, scaled\n"
             "windows, options and labels (retransmission, ...)"},
    {.name = "absolute",
     .apply = set_flag,
     .field = FIELD(absolute),
     .help = "--trace: raw sequence numbers, like tcpdump -S"},
    {.name = "explain",
     .apply = set_explain,
     .help = "--trace, with a plain-language line under each segment\n"
             "and each state change, for learning TCP"},
    {.name = "diagram",
     .metavar = "FILE.svg",
     .apply = set_text,
     .field = FIELD(diagram_path),
     .help = "draw each TCP connection as a ladder diagram, in the\n"
             "order they opened: FILE-1.svg, FILE-2.svg, ..."},
    {.name = "pcap",
     .metavar = "FILE",
     .apply = set_text,
     .field = FIELD(pcap_path),
     .help = "write every frame that crossed the tap, both ways, to a\n"
             "pcap file (what tcpdump -i on the tap would see)"},
    {.name = "pcap-stack",
     .metavar = "FILE",
     .apply = set_text,
     .field = FIELD(pcap_stack_path),
     .help = "the same as lwIP saw and sent them: before --drop on\n"
             "output, after --drop and the ingress guard on input"},
    HEADING("\nFaults (link stages on the wire, each way; --rx-X or --tx-X for one way):"),
    FAULT("drop", "PERCENT", FAULT_DROP, "drop this share of frames"),
    FAULT("corrupt", "PERCENT", FAULT_CORRUPT, "flip a checksum bit: the receiver discards the frame"),
    FAULT("duplicate", "PERCENT", FAULT_DUPLICATE, "send the frame twice"),
    FAULT("reorder", "PERCENT", FAULT_REORDER,
          "hold the frame back {reorder_ms} ms, so later ones overtake it"),
    FAULT("delay", "MS[:JITTER]", FAULT_DELAY, "delay every frame, by MS +- up to JITTER"),
    FAULT("rate", "BITS/S", FAULT_RATE, "a link this fast (k, M, G suffixes), frames queue up"),
    {.name = "seed",
     .metavar = "N",
     .apply = set_seed,
     .help = "seed of the fault decisions (default 1): the same seed\n"
             "gives the same decisions"},
    HEADING(""),
    {.name = "max-conns",
     .metavar = "N",
     .apply = set_max_conns,
     .help = "TCP connections at once (listeners aside); a SYN beyond\n"
             "them gets a RST (1 to {max_conns}, default {max_conns})"},
    {.name = "mem-limit",
     .metavar = "MIB",
     .apply = set_mem_limit,
     .help = "memory lwIP may take for all connections together\n"
             "({mem_min} to {mem_max}, default {mem_default}); input beyond it is dropped"},
    {.name = "no-offload",
     .apply = clear_flag,
     .field = FIELD(offload),
     .help = "exchange only plain frames of at most the MTU with the\n"
             "kernel (default: TCP super-frames and partial checksums\n"
             "through IFF_VNET_HDR, where the kernel offers them)"},
    {.name = "no-steer",
     .apply = clear_flag,
     .field = FIELD(steer),
     .help = "leave the host's work for the frames lwip-tap sends where\n"
             "the kernel puts it (default, on a tap lwip-tap creates: on\n"
             "the other CPUs, lwip-tap staying on one)"},
    {.name = "iperf",
     .apply = set_flag,
     .field = FIELD(iperf),
     .help = "run lwIP's iperf2 server (lwiperf) on TCP port 5001"},
    {.name = "web",
     .metavar = "[PORT]",
     .optional_value = 1,
     .apply = set_web,
     .help = "lwIP serves a live page about its connections on PORT\n"
             "(default 80): open http://ADDR/ (see docs/web.md)"},
    HEADING("\nConnection lifecycle:"),
    {.name = "connect",
     .metavar = "HOST:PORT",
     .apply = set_connect,
     .help = "lwIP opens a connection (IPv6 as [ADDR]:PORT) and sends\n"
             "each line of standard input as one message, printing\n"
             "each reply before the next line; \"bye\" or the end of\n"
             "input closes it, and then lwip-tap exits"},
    {.name = "timeout",
     .metavar = "S",
     .apply = set_timeout,
     .help = "--connect: longest wait for the SYN-ACK and for each\n"
             "reply (default {timeout_default}, 0 for none)"},
    {.name = "stay",
     .apply = set_flag,
     .field = FIELD(stay),
     .help = "keep serving after the --connect session"},
    {.name = "msl",
     .metavar = "MS",
     .apply = set_msl,
     .help = "maximum segment lifetime: TIME_WAIT lasts 2 MSL\n"
             "({msl_min} to {msl_max}, default {msl_default}, lwIP's own)"},
    {.name = "half-close",
     .apply = set_flag,
     .field = FIELD(half_close),
     .help = "the services send FIN after their first answer and\n"
             "keep receiving until the peer closes"},
    {.name = "abort-after",
     .metavar = "BYTES",
     .apply = set_abort_after,
     .help = "the services reset (RST) a connection once it has\n"
             "sent them this many bytes"},
    {.name = "keepalive",
     .metavar = "IDLE[,INTVL[,COUNT]]",
     .apply = set_keepalive,
     .help = "keepalive probes after IDLE seconds of silence, every\n"
             "INTVL seconds (default {keep_interval}); COUNT unanswered (default {keep_count})\n"
             "reset the connection"},
    {.name = "cross-fins",
     .apply = set_flag,
     .field = FIELD(cross_fins),
     .help = "hold lwIP's first FIN until the peer's FIN arrives, so\n"
             "that both cross on the wire: a simultaneous close"},
    HEADING(""),
    {.name = "no-state-log",
     .apply = clear_flag,
     .field = FIELD(state_log),
     .help = "do not log TCP state transitions"},
    {.name = "verbose", .short_name = 'v', .apply = set_verbose, .help = "log debug messages too"},
    {.name = "quiet", .short_name = 'q', .apply = set_quiet, .help = "log only warnings and errors"},
    {.name = "help", .short_name = 'h', .apply = show_help, .help = "show this help"},
    {.name = "version", .apply = show_version, .help = "show the version"},
};

const size_t cli_option_count = sizeof cli_options / sizeof cli_options[0];

int cli_help_value(FILE *out, const char *key, size_t len)
{
    static const struct {
        const char *key;
        unsigned long value;
    } numbers[] = {
        {"reorder_ms", LINK_FAULT_REORDER_MS},
        {"max_conns", MEMP_NUM_TCP_PCB},
        {"mem_min", MEM_BUDGET_MIN_MIB},
        {"mem_max", MEM_BUDGET_MAX_MIB},
        {"mem_default", MEM_BUDGET_DEFAULT_MIB},
        {"timeout_default", CLI_DEFAULT_TIMEOUT_S},
        {"msl_min", CLI_MSL_MIN_MS},
        {"msl_max", CLI_MSL_MAX_MS},
        {"msl_default", LWIPTAP_TCP_MSL_DEFAULT_MS},
        {"keep_interval", CLI_KEEP_INTERVAL_DEFAULT_S},
        {"keep_count", CLI_KEEP_COUNT_DEFAULT},
    };
    if (len == strlen("debug") && strncmp(key, "debug", len) == 0) {
        fputs(lwiptap_debug_names(), out);
        return 0;
    }
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        if (strlen(numbers[i].key) == len && strncmp(numbers[i].key, key, len) == 0) {
            fprintf(out, "%lu", numbers[i].value);
            return 0;
        }
    }
    return -1;
}
