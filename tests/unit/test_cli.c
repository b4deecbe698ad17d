/* The command line (app/cli.h): good input fills the config, bad input is
 * refused with a message that names the problem. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "fixture.h"
#include "lwip/ip4_addr.h"
#include "lwip/opt.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/mem_budget.h"
#include "suites.h"

struct outcome {
    enum cli_result result;
    struct lwiptap_config cfg;
    char err[256];
    char *out; /* what went to the output stream, e.g. --help */
    size_t out_len;
};

static void parse_argv(char **argv, struct outcome *o)
{
    int argc = 0;
    while (argv[argc] != NULL) {
        argc++;
    }
    FILE *out = open_memstream(&o->out, &o->out_len);
    ck_assert_ptr_nonnull(out);
    o->err[0] = '\0';
    o->result = cli_parse(argc, argv, &o->cfg, out, o->err, sizeof o->err);
    fclose(out);
}

/* Arguments after the program name; the array is writable because getopt permutes it. */
#define PARSE(o, ...) parse_argv((char *[]){"lwip-tap", __VA_ARGS__, NULL}, (o))

#define EXPECT_ERROR(fragment, ...)                                                                          \
    do {                                                                                                     \
        struct outcome o_;                                                                                   \
        PARSE(&o_, __VA_ARGS__);                                                                             \
        free(o_.out);                                                                                        \
        ck_assert_msg(o_.result == CLI_ERROR, "accepted: %s", #__VA_ARGS__);                                 \
        ck_assert_msg(strstr(o_.err, (fragment)) != NULL, "message \"%s\" lacks \"%s\"", o_.err,             \
                      (fragment));                                                                           \
    } while (0)

#define BASE "--tap", "tap0", "--ip", "192.0.2.2/24"

START_TEST(accepts_minimal_command_with_defaults)
{
    struct outcome o;
    PARSE(&o, BASE);
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_str_eq(o.cfg.tap, "tap0");
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(&o.cfg.ip4)), STACK_IP);
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(&o.cfg.netmask)), 0xffffff00u);
    ck_assert_uint_eq(ip4_addr_get_u32(&o.cfg.gateway), 0);
    ck_assert_int_eq(o.cfg.has_ip6, 0);
    ck_assert_mem_eq(o.cfg.mac, stack_mac, 6);
    ck_assert_uint_eq(o.cfg.echo_port, 7);
    ck_assert_uint_eq(o.cfg.serial_port, 1234);
    ck_assert_uint_eq(o.cfg.debug_mask, 0);
    ck_assert_int_eq(o.cfg.log_level, LOG_INFO);
    ck_assert_int_eq(o.cfg.state_log, 1);
    ck_assert_int_eq(o.cfg.trace, 0);
    ck_assert_ptr_null(o.cfg.pcap_path);
    ck_assert(o.cfg.fault.rx.drop_percent == 0.0 && o.cfg.fault.tx.drop_percent == 0.0);
    ck_assert_uint_eq(o.cfg.seed, 1);
    ck_assert_uint_eq(o.cfg.max_conns, MEMP_NUM_TCP_PCB);
    ck_assert_int_eq(o.cfg.offload, 1);
    ck_assert_int_eq(o.cfg.iperf, 0);
    ck_assert_uint_eq(o.cfg.mem_limit_mib, MEM_BUDGET_DEFAULT_MIB);
}
END_TEST

START_TEST(accepts_every_option)
{
    struct outcome o;
    PARSE(&o, "--tap", "tap9", "--ip", "10.1.2.3/16", "--gw", "10.1.0.1", "--ip6", "2001:db8::2/64", "--mac",
          "02:aa:bb:cc:dd:ee", "--echo-port", "7007", "--serial-port", "0", "--debug", "tcp,etharp",
          "--trace", "--pcap", "out.pcap", "--drop", "12.5", "--seed", "42", "--max-conns", "64",
          "--no-state-log", "--no-offload", "--mem-limit", "100", "--iperf", "-q");
    free(o.out);
    ck_assert_msg(o.result == CLI_RUN, "refused: %s", o.err);
    ck_assert_str_eq(o.cfg.tap, "tap9");
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(&o.cfg.ip4)), 0x0a010203u);
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(&o.cfg.netmask)), 0xffff0000u);
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(&o.cfg.gateway)), 0x0a010001u);
    ck_assert_int_eq(o.cfg.has_ip6, 1);
    ck_assert_uint_eq(lwip_ntohl(o.cfg.ip6.addr[0]), 0x20010db8u);
    ck_assert_uint_eq(lwip_ntohl(o.cfg.ip6.addr[3]), 2);
    static const uint8_t mac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    ck_assert_mem_eq(o.cfg.mac, mac, 6);
    ck_assert_uint_eq(o.cfg.echo_port, 7007);
    ck_assert_uint_eq(o.cfg.serial_port, 0);
    ck_assert_uint_eq(o.cfg.debug_mask, (1u << LWIPTAP_DBG_TCP) | (1u << LWIPTAP_DBG_ETHARP));
    ck_assert_int_eq(o.cfg.trace, 1);
    ck_assert_str_eq(o.cfg.pcap_path, "out.pcap");
    ck_assert(o.cfg.fault.rx.drop_percent == 12.5 && o.cfg.fault.tx.drop_percent == 12.5);
    ck_assert_uint_eq(o.cfg.seed, 42);
    ck_assert_uint_eq(o.cfg.max_conns, 64);
    ck_assert_int_eq(o.cfg.offload, 0);
    ck_assert_int_eq(o.cfg.iperf, 1);
    ck_assert_uint_eq(o.cfg.mem_limit_mib, 100);
    ck_assert_int_eq(o.cfg.state_log, 0);
    ck_assert_int_eq(o.cfg.log_level, LOG_WARN);
}
END_TEST

START_TEST(verbose_logs_debug)
{
    struct outcome o;
    PARSE(&o, BASE, "--verbose");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_int_eq(o.cfg.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(rejects_bad_address)
{
    EXPECT_ERROR("invalid --ip '300.1.2.3'", "--tap", "tap0", "--ip", "300.1.2.3");
    EXPECT_ERROR("invalid --ip 'not-an-ip/24'", "--tap", "tap0", "--ip", "not-an-ip/24");
    EXPECT_ERROR("not a usable host address", "--tap", "tap0", "--ip", "192.0.2.0/24");
    EXPECT_ERROR("not a usable host address", "--tap", "tap0", "--ip", "127.0.0.1/8");
    EXPECT_ERROR("not a usable host address", "--tap", "tap0", "--ip", "224.0.0.5/24");
}
END_TEST

START_TEST(rejects_bad_prefix)
{
    EXPECT_ERROR("invalid prefix length in --ip '192.0.2.2/33'", "--tap", "tap0", "--ip", "192.0.2.2/33");
    EXPECT_ERROR("invalid prefix length in --ip '192.0.2.2/0'", "--tap", "tap0", "--ip", "192.0.2.2/0");
    EXPECT_ERROR("invalid prefix length", "--tap", "tap0", "--ip", "192.0.2.2/");
    EXPECT_ERROR("invalid prefix length", "--tap", "tap0", "--ip", "192.0.2.2/24x");
}
END_TEST

START_TEST(rejects_bad_port)
{
    EXPECT_ERROR("invalid --echo-port '70000'", BASE, "--echo-port", "70000");
    EXPECT_ERROR("invalid --echo-port '-1'", BASE, "--echo-port", "-1");
    EXPECT_ERROR("invalid --serial-port 'abc'", BASE, "--serial-port", "abc");
    EXPECT_ERROR("invalid --serial-port ''", BASE, "--serial-port", "");
}
END_TEST

START_TEST(rejects_bad_mac)
{
    EXPECT_ERROR("invalid --mac '02:00:00:00:00'", BASE, "--mac", "02:00:00:00:00");
    EXPECT_ERROR("invalid --mac '02:00:00:00:00:zz'", BASE, "--mac", "02:00:00:00:00:zz");
    EXPECT_ERROR("invalid --mac '02-00-00-00-00-02'", BASE, "--mac", "02-00-00-00-00-02");
    EXPECT_ERROR("all-zero", BASE, "--mac", "00:00:00:00:00:00");
}
END_TEST

/* sscanf's %2x would skip blanks and take a sign or a 0x prefix. */
START_TEST(rejects_mac_with_blank_sign_or_0x)
{
    EXPECT_ERROR("invalid --mac '+2:00:00:00:00:02'", BASE, "--mac", "+2:00:00:00:00:02");
    EXPECT_ERROR("invalid --mac '02:00:00:00:00: 2'", BASE, "--mac", "02:00:00:00:00: 2");
    EXPECT_ERROR("invalid --mac '0x:00:00:00:00:02'", BASE, "--mac", "0x:00:00:00:00:02");
}
END_TEST

START_TEST(rejects_multicast_mac)
{
    EXPECT_ERROR("a multicast address cannot be an interface address", BASE, "--mac", "03:00:00:00:00:02");
    EXPECT_ERROR("multicast", BASE, "--mac", "ff:ff:ff:ff:ff:ff");
}
END_TEST

START_TEST(rejects_unknown_debug_category)
{
    EXPECT_ERROR("unknown debug category 'bogus'", BASE, "--debug", "tcp,bogus");
    EXPECT_ERROR("unknown debug category ''", BASE, "--debug", "tcp,,etharp");
}
END_TEST

START_TEST(rejects_ipv6_prefix_other_than_64)
{
    EXPECT_ERROR("only /64 is accepted", BASE, "--ip6", "2001:db8::2/48");
    EXPECT_ERROR("only /64 is accepted", BASE, "--ip6", "2001:db8::2/128");
    EXPECT_ERROR("invalid --ip6 '2001:db8::zz/64'", BASE, "--ip6", "2001:db8::zz/64");
    EXPECT_ERROR("needs a unicast global or unique-local address", BASE, "--ip6", "fe80::2/64");
}
END_TEST

START_TEST(rejects_gateway_outside_subnet)
{
    EXPECT_ERROR("invalid --gw '198.51.100.1': must be another address inside the --ip subnet", BASE, "--gw",
                 "198.51.100.1");
    EXPECT_ERROR("must be another address inside", BASE, "--gw", "192.0.2.2");
    EXPECT_ERROR("invalid --gw 'gateway'", BASE, "--gw", "gateway");
}
END_TEST

START_TEST(rejects_same_echo_and_serial_port)
{
    EXPECT_ERROR("--echo-port and --serial-port are both 1234", BASE, "--echo-port", "1234");
    struct outcome o;
    /* Both disabled is not a clash. */
    PARSE(&o, BASE, "--echo-port", "0", "--serial-port", "0");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
}
END_TEST

START_TEST(web_takes_an_optional_port)
{
    struct outcome o;
    PARSE(&o, BASE);
    free(o.out);
    ck_assert_uint_eq(o.cfg.web_port, 0);
    PARSE(&o, BASE, "--web");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_uint_eq(o.cfg.web_port, 80);
    PARSE(&o, "--web", "8080", BASE);
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_uint_eq(o.cfg.web_port, 8080);
    PARSE(&o, BASE, "--web=8081", "-q");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_uint_eq(o.cfg.web_port, 8081);
    EXPECT_ERROR("invalid --web '0'", BASE, "--web", "0");
    EXPECT_ERROR("invalid --web '99999'", BASE, "--web=99999");
    EXPECT_ERROR("--web 7: that port is already another service's", BASE, "--web", "7");
    EXPECT_ERROR("--web 5001: that port is already another service's", BASE, "--iperf", "--web", "5001");
}
END_TEST

START_TEST(rejects_missing_tap)
{
    EXPECT_ERROR("missing --tap NAME", "--ip", "192.0.2.2/24");
}
END_TEST

START_TEST(rejects_missing_ip)
{
    EXPECT_ERROR("missing --ip ADDR[/PREFIX]", "--tap", "tap0");
}
END_TEST

START_TEST(rejects_unexpected_positional_argument)
{
    EXPECT_ERROR("unexpected argument 'extra'", BASE, "extra");
}
END_TEST

START_TEST(rejects_unknown_option)
{
    EXPECT_ERROR("unknown option '--bogus'", BASE, "--bogus");
    EXPECT_ERROR("unknown option '-x'", BASE, "-x");
    EXPECT_ERROR("option '--tap' needs a value", "--ip", "192.0.2.2/24", "--tap");
}
END_TEST

START_TEST(rejects_verbose_with_quiet)
{
    EXPECT_ERROR("-v and -q contradict each other", BASE, "-v", "-q");
}
END_TEST

START_TEST(rejects_bad_drop_and_seed)
{
    EXPECT_ERROR("invalid --drop '101'", BASE, "--drop", "101");
    EXPECT_ERROR("invalid --drop 'nan'", BASE, "--drop", "nan");
    EXPECT_ERROR("invalid --seed '0'", BASE, "--seed", "0");
    EXPECT_ERROR("invalid --seed '4294967296'", BASE, "--seed", "4294967296");
}
END_TEST

START_TEST(accepts_every_fault_each_way)
{
    struct outcome o;
    PARSE(&o, BASE, "--drop", "20", "--duplicate", "5", "--reorder", "5", "--rx-corrupt", "2.5", "--tx-delay",
          "30:10", "--rx-delay", "7", "--rate", "10M", "--tx-rate", "64k", "--tx-drop", "1");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    const struct link_fault_direction *rx = &o.cfg.fault.rx, *tx = &o.cfg.fault.tx;
    ck_assert(rx->drop_percent == 20.0 && tx->drop_percent == 1.0);
    ck_assert(rx->duplicate_percent == 5.0 && tx->duplicate_percent == 5.0);
    ck_assert(rx->reorder_percent == 5.0 && tx->reorder_percent == 5.0);
    ck_assert(rx->corrupt_percent == 2.5 && tx->corrupt_percent == 0.0);
    ck_assert_uint_eq(tx->delay_ms, 30);
    ck_assert_uint_eq(tx->jitter_ms, 10);
    ck_assert_uint_eq(rx->delay_ms, 7);
    ck_assert_uint_eq(rx->jitter_ms, 0);
    ck_assert_uint_eq(rx->rate_bps, 10000000u);
    ck_assert_uint_eq(tx->rate_bps, 64000u);
}
END_TEST

START_TEST(rejects_bad_faults)
{
    EXPECT_ERROR("invalid --corrupt '101': expected a percentage from 0 to 100", BASE, "--corrupt", "101");
    EXPECT_ERROR("invalid --rx-duplicate 'x'", BASE, "--rx-duplicate", "x");
    EXPECT_ERROR("invalid --delay '10:20': expected MS or MS:JITTER", BASE, "--delay", "10:20");
    EXPECT_ERROR("invalid --tx-delay '-1'", BASE, "--tx-delay", "-1");
    EXPECT_ERROR("invalid --delay '60001'", BASE, "--delay", "60001");
    EXPECT_ERROR("invalid --delay '5:'", BASE, "--delay", "5:");
    EXPECT_ERROR("invalid --rate '100': expected bits per second from 8000", BASE, "--rate", "100");
    EXPECT_ERROR("invalid --rate '10X'", BASE, "--rate", "10X");
    EXPECT_ERROR("invalid --rx-rate '0'", BASE, "--rx-rate", "0");
    EXPECT_ERROR("option '--reorder' needs a value", BASE, "--reorder");
}
END_TEST

START_TEST(rejects_bad_max_conns)
{
    EXPECT_ERROR("invalid --max-conns '0': expected a number from 1 to 16384", BASE, "--max-conns", "0");
    EXPECT_ERROR("invalid --max-conns '16385'", BASE, "--max-conns", "16385");
    EXPECT_ERROR("invalid --max-conns 'x'", BASE, "--max-conns", "x");
}
END_TEST

START_TEST(rejects_bad_mem_limit)
{
    EXPECT_ERROR("invalid --mem-limit '3': expected MiB from 4 to 4096", BASE, "--mem-limit", "3");
    EXPECT_ERROR("invalid --mem-limit '4097'", BASE, "--mem-limit", "4097");
    EXPECT_ERROR("invalid --mem-limit '-1'", BASE, "--mem-limit", "-1");
}
END_TEST

START_TEST(accepts_lifecycle_options)
{
    struct outcome o;
    PARSE(&o, BASE, "--ip6", "2001:db8::2/64", "--connect", "[2001:db8::1]:1234", "--timeout", "3", "--stay",
          "--msl", "500", "--half-close", "--abort-after", "5000000000", "--keepalive", "2,1,3",
          "--cross-fins");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert_int_eq(o.cfg.has_connect, 1);
    ck_assert(IP_IS_V6(&o.cfg.connect_ip));
    ck_assert_uint_eq(o.cfg.connect_port, 1234);
    ck_assert_uint_eq(o.cfg.timeout_ms, 3000);
    ck_assert_int_eq(o.cfg.stay, 1);
    ck_assert_uint_eq(o.cfg.msl_ms, 500);
    ck_assert_int_eq(o.cfg.half_close, 1);
    ck_assert_uint_eq(o.cfg.abort_after, 5000000000ULL);
    ck_assert_uint_eq(o.cfg.keep_idle_ms, 2000);
    ck_assert_uint_eq(o.cfg.keep_interval_ms, 1000);
    ck_assert_uint_eq(o.cfg.keep_count, 3);
    ck_assert_int_eq(o.cfg.cross_fins, 1);

    PARSE(&o, BASE, "--drop", "10", "--tx-drop", "30", "--pcap", "w.pcap", "--pcap-stack", "s.pcap");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert(o.cfg.fault.rx.drop_percent == 10.0 && o.cfg.fault.tx.drop_percent == 30.0);
    ck_assert_str_eq(o.cfg.pcap_path, "w.pcap");
    ck_assert_str_eq(o.cfg.pcap_stack_path, "s.pcap");

    PARSE(&o, BASE, "--connect", "192.0.2.1:7", "--keepalive", "60");
    free(o.out);
    ck_assert_int_eq(o.result, CLI_RUN);
    ck_assert(IP_IS_V4(&o.cfg.connect_ip));
    ck_assert_uint_eq(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&o.cfg.connect_ip))), PEER_IP);
    ck_assert_uint_eq(o.cfg.keep_idle_ms, 60000);
    ck_assert_uint_eq(o.cfg.keep_interval_ms, 75000); /* lwIP's defaults */
    ck_assert_uint_eq(o.cfg.keep_count, 9);
    ck_assert_uint_eq(o.cfg.timeout_ms, 10000);
}
END_TEST

/* A name the kernel would refuse is a usage error (exit 2), not a tap failure. */
START_TEST(rejects_bad_tap_name)
{
    EXPECT_ERROR("invalid --tap", "--tap", "a/b", "--ip", "192.0.2.2/24");
    EXPECT_ERROR("invalid --tap", "--tap", "tap-name-far-too-long", "--ip", "192.0.2.2/24");
    EXPECT_ERROR("invalid --tap", "--tap", "", "--ip", "192.0.2.2/24");
    EXPECT_ERROR("invalid --tap", "--tap", "tap 0", "--ip", "192.0.2.2/24");
    EXPECT_ERROR("invalid --tap", "--tap", "..", "--ip", "192.0.2.2/24");
}
END_TEST

START_TEST(rejects_bad_lifecycle_options)
{
    EXPECT_ERROR("expected ADDR:PORT", BASE, "--connect", "192.0.2.1");
    EXPECT_ERROR("lwIP resolves no names", BASE, "--connect", "example.org:80");
    EXPECT_ERROR("IPv6 goes in brackets", BASE, "--connect", "2001:db8::1:80");
    EXPECT_ERROR("invalid port in --connect", BASE, "--connect", "192.0.2.1:0");
    EXPECT_ERROR("invalid port in --connect", BASE, "--connect", "[2001:db8::1]:http");
    EXPECT_ERROR("needs --ip6", BASE, "--connect", "[2001:db8::1]:1234");
    EXPECT_ERROR("--stay only makes sense with --connect", BASE, "--stay");
    EXPECT_ERROR("invalid --timeout", BASE, "--timeout", "-1");
    EXPECT_ERROR("invalid --rx-drop '101'", BASE, "--rx-drop", "101");
    EXPECT_ERROR("invalid --tx-drop 'x'", BASE, "--tx-drop", "x");
    EXPECT_ERROR("invalid --msl", BASE, "--msl", "50");
    EXPECT_ERROR("invalid --abort-after", BASE, "--abort-after", "0");
    EXPECT_ERROR("invalid --abort-after", BASE, "--abort-after", "12k");
    EXPECT_ERROR("invalid --keepalive", BASE, "--keepalive", "0");
    EXPECT_ERROR("invalid --keepalive", BASE, "--keepalive", "2,1,3,4");
    EXPECT_ERROR("invalid --keepalive", BASE, "--keepalive", "2,");
    EXPECT_ERROR("invalid --keepalive", BASE, "--keepalive", "2,1,300");
}
END_TEST

/* As --stay needs --connect: raw numbers change only what --trace prints. */
START_TEST(absolute_needs_trace)
{
    EXPECT_ERROR("--absolute only makes sense with --trace", BASE, "--absolute");
    struct outcome o;
    PARSE(&o, BASE, "--absolute", "--trace");
    free(o.out);
    ck_assert_msg(o.result == CLI_RUN, "refused: %s", o.err);
    ck_assert_int_eq(o.cfg.absolute, 1);
    PARSE(&o, BASE, "--explain", "--absolute");
    free(o.out);
    ck_assert_msg(o.result == CLI_RUN, "refused: %s", o.err);
    ck_assert_int_eq(o.cfg.trace, 1);
}
END_TEST

/* --help is written from the table the parser reads: every option there is
 * in it (--rx-X and --tx-X under their --X), every {KEY} is filled in. */
START_TEST(help_lists_the_parsers_table)
{
    struct outcome o;
    PARSE(&o, "--help");
    ck_assert_int_eq(o.result, CLI_DONE);
    const char *key = strchr(o.out, '{');
    ck_assert_msg(key == NULL && strchr(o.out, '}') == NULL, "a {KEY} left in --help: %.40s",
                  key ? key : "}");
    size_t listed = 0;
    for (size_t i = 0; i < cli_option_count; i++) {
        const char *name = cli_options[i].name;
        if (name == NULL) {
            continue;
        }
        if (strncmp(name, "rx-", 3) == 0 || strncmp(name, "tx-", 3) == 0) {
            name += 3;
        }
        char listing[64];
        snprintf(listing, sizeof listing, "--%s ", name);
        ck_assert_msg(strstr(o.out, listing) != NULL, "--help lacks %s", listing);
        listed++;
    }
    ck_assert_uint_gt(listed, 40);
    free(o.out);
}
END_TEST

START_TEST(help_and_version_are_done)
{
    struct outcome o;
    PARSE(&o, "--help");
    ck_assert_int_eq(o.result, CLI_DONE);
    ck_assert_ptr_nonnull(strstr(o.out, "Usage: lwip-tap --tap NAME --ip ADDR[/PREFIX]"));
    ck_assert_ptr_nonnull(strstr(o.out, "tcp_qlen")); /* the debug categories are listed */
    free(o.out);

    PARSE(&o, "-h");
    ck_assert_int_eq(o.result, CLI_DONE);
    ck_assert_ptr_nonnull(strstr(o.out, "Usage: lwip-tap"));
    free(o.out);

    PARSE(&o, "--version");
    ck_assert_int_eq(o.result, CLI_DONE);
    /* Any lwIP 2.2.x tree may be passed as LWIP_DIR; 2.1 lacks fixes the guard relies on. */
    ck_assert_ptr_nonnull(strstr(o.out, "lwip-tap 0.1.0 (lwIP 2.2."));
    free(o.out);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    fixture_add_test(s, accepts_minimal_command_with_defaults);
    fixture_add_test(s, accepts_every_option);
    fixture_add_test(s, verbose_logs_debug);
    fixture_add_test(s, rejects_bad_address);
    fixture_add_test(s, rejects_bad_prefix);
    fixture_add_test(s, rejects_bad_port);
    fixture_add_test(s, rejects_bad_mac);
    fixture_add_test(s, rejects_mac_with_blank_sign_or_0x);
    fixture_add_test(s, rejects_multicast_mac);
    fixture_add_test(s, rejects_unknown_debug_category);
    fixture_add_test(s, rejects_ipv6_prefix_other_than_64);
    fixture_add_test(s, rejects_gateway_outside_subnet);
    fixture_add_test(s, rejects_same_echo_and_serial_port);
    fixture_add_test(s, web_takes_an_optional_port);
    fixture_add_test(s, rejects_missing_tap);
    fixture_add_test(s, rejects_missing_ip);
    fixture_add_test(s, rejects_unexpected_positional_argument);
    fixture_add_test(s, rejects_unknown_option);
    fixture_add_test(s, rejects_verbose_with_quiet);
    fixture_add_test(s, rejects_bad_drop_and_seed);
    fixture_add_test(s, accepts_every_fault_each_way);
    fixture_add_test(s, rejects_bad_faults);
    fixture_add_test(s, rejects_bad_max_conns);
    fixture_add_test(s, rejects_bad_mem_limit);
    fixture_add_test(s, accepts_lifecycle_options);
    fixture_add_test(s, rejects_bad_tap_name);
    fixture_add_test(s, rejects_bad_lifecycle_options);
    fixture_add_test(s, absolute_needs_trace);
    fixture_add_test(s, help_lists_the_parsers_table);
    fixture_add_test(s, help_and_version_are_done);
    return s;
}
