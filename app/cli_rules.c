#include "cli_rules.h"

#include "cli_values.h"

int cli_check_rules(struct cli_state *st)
{
    struct lwiptap_config *cfg = st->cfg;
    char *err = st->err;
    size_t errlen = st->errlen;
    if (st->verbose && st->quiet) {
        cli_fail(err, errlen, "-v and -q contradict each other: choose one");
        return -1;
    }
    if (cfg->tap == NULL) {
        cli_fail(err, errlen, "missing --tap NAME");
        return -1;
    }
    if (!st->has_ip) {
        cli_fail(err, errlen, "missing --ip ADDR[/PREFIX], e.g. --ip 192.0.2.2/24");
        return -1;
    }
    if (st->gw_text != NULL) {
        if (cli_parse_ip4(st->gw_text, &cfg->gateway) != 0) {
            cli_fail(err, errlen, "invalid --gw '%s': expected an IPv4 address", st->gw_text);
            return -1;
        }
        if (!ip4_addr_netcmp(&cfg->gateway, &cfg->ip4, &cfg->netmask) ||
            ip4_addr_cmp(&cfg->gateway, &cfg->ip4)) {
            cli_fail(err, errlen, "invalid --gw '%s': must be another address inside the --ip subnet",
                     st->gw_text);
            return -1;
        }
    }
    if (cfg->has_connect && IP_IS_V6(&cfg->connect_ip) && !cfg->has_ip6) {
        cli_fail(err, errlen, "--connect to an IPv6 address needs --ip6 ADDR/64 for lwIP");
        return -1;
    }
    if (cfg->stay && !cfg->has_connect) {
        cli_fail(err, errlen, "--stay only makes sense with --connect");
        return -1;
    }
    /* Raw numbers change what --trace prints; alone they would be a no-op the user did not notice. */
    if (cfg->absolute && !cfg->trace) {
        cli_fail(err, errlen, "--absolute only makes sense with --trace (or --explain)");
        return -1;
    }
    if (cfg->web_port != 0 && (cfg->web_port == cfg->echo_port || cfg->web_port == cfg->serial_port ||
                               (cfg->iperf && cfg->web_port == 5001))) {
        cli_fail(err, errlen, "--web %u: that port is already another service's", cfg->web_port);
        return -1;
    }
    if (cfg->echo_port != 0 && cfg->echo_port == cfg->serial_port) {
        cli_fail(err, errlen, "--echo-port and --serial-port are both %u: they must differ", cfg->echo_port);
        return -1;
    }
    return 0;
}
