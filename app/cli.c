/* Reads the option table (cli_options.c) twice: getopt_long parses by it,
 * and --help is written from it. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "cli_rules.h"
#include "cli_values.h"
#include "lwip/opt.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tcp_msl.h"

/* getopt_long's val for a long option: its index in the table, above any short option. */
#define LONG_VAL_BASE 256
/* Where the help text starts on an option's line. */
#define HELP_COLUMN 22

/* A help text with {KEY}s replaced, its lines indented to HELP_COLUMN. */
static void print_help_text(FILE *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close != NULL && cli_help_value(out, p + 1, (size_t)(close - p - 1)) == 0) {
            p = close;
        } else if (*p == '\n') {
            fprintf(out, "\n%*s", HELP_COLUMN, "");
        } else {
            fputc(*p, out);
        }
    }
    fputc('\n', out);
}

void cli_usage(FILE *out)
{
    fputs("Usage: lwip-tap --tap NAME --ip ADDR[/PREFIX] [options]\n"
          "Runs the lwIP TCP/IP stack in this process on a TAP device and serves\n"
          "TCP echo (RFC 862) and serial echo on it.\n"
          "\n",
          out);
    int after_short = 0;
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (o->help == NULL) {
            continue;
        }
        if (o->name == NULL) {
            fprintf(out, "%s\n", o->help);
            after_short = 0;
            continue;
        }
        /* A long-only option after short ones lines up under their long names. */
        char prefix[8] = "";
        if (o->short_name != 0) {
            snprintf(prefix, sizeof prefix, "-%c, ", o->short_name);
        } else if (after_short) {
            snprintf(prefix, sizeof prefix, "    ");
        }
        after_short = o->short_name != 0;
        char left[64];
        int n = snprintf(left, sizeof left, "  %s--%s%s%s", prefix, o->name, o->metavar ? " " : "",
                         o->metavar ? o->metavar : "");
        if (n < HELP_COLUMN) {
            fprintf(out, "%-*s", HELP_COLUMN, left);
        } else {
            fprintf(out, "%s\n%*s", left, HELP_COLUMN, "");
        }
        print_help_text(out, o->help);
    }
    fputs("\n"
          "On a terminal (and without --connect) lwip-tap also reads commands:\n"
          "stats, pcbs, debug [+CAT|-CAT ...] (switch lwIP's debug categories at run\n"
          "time), help, quit. Ctrl-D closes the console; Ctrl-C stops lwip-tap.\n",
          out);
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
    cfg->steer = 1;
    cfg->mem_limit_mib = MEM_BUDGET_DEFAULT_MIB;
    cfg->timeout_ms = CLI_DEFAULT_TIMEOUT_S * 1000u;
    cfg->msl_ms = LWIPTAP_TCP_MSL_DEFAULT_MS;
}

/* The option getopt_long returned, or NULL for one the table lacks. */
static const struct cli_option *option_of(int opt)
{
    if (opt >= LONG_VAL_BASE && (size_t)(opt - LONG_VAL_BASE) < cli_option_count) {
        return &cli_options[opt - LONG_VAL_BASE];
    }
    for (size_t i = 0; i < cli_option_count; i++) {
        if (cli_options[i].short_name != 0 && cli_options[i].short_name == opt) {
            return &cli_options[i];
        }
    }
    return NULL;
}

/* getopt_long's tables, built from the option table. */
static void build_getopt_tables(struct option *long_options, char *short_options)
{
    size_t n_long = 0, n_short = 0;
    short_options[n_short++] = ':'; /* a missing value returns ':', not '?' */
    for (size_t i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (o->name == NULL) {
            continue;
        }
        int has_arg = o->optional_value ? optional_argument : o->metavar ? required_argument : no_argument;
        long_options[n_long++] = (struct option){o->name, has_arg, NULL, LONG_VAL_BASE + (int)i};
        if (o->short_name != 0) {
            short_options[n_short++] = o->short_name;
            if (o->metavar != NULL) {
                short_options[n_short++] = ':';
            }
        }
    }
    long_options[n_long] = (struct option){NULL, 0, NULL, 0};
    short_options[n_short] = '\0';
}

static enum cli_result parse(int argc, char **argv, const struct option *long_options,
                             const char *short_options, struct cli_state *st)
{
    char *err = st->err;
    size_t errlen = st->errlen;
    optind = 0; /* GNU getopt: start over, so repeated calls (unit tests) parse afresh */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        if (opt == ':') {
            cli_fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
            return CLI_ERROR;
        }
        const struct cli_option *o = option_of(opt);
        if (o == NULL) {
            cli_fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
            return CLI_ERROR;
        }
        const char *value = optarg;
        /* getopt takes an optional value only after '=': a number that follows is it too. */
        if (o->optional_value && value == NULL && optind < argc && argv[optind][0] >= '0' &&
            argv[optind][0] <= '9') {
            value = argv[optind++];
        }
        enum cli_apply rc = o->apply(o, value, st);
        if (rc == CLI_FINISHED) {
            return CLI_DONE;
        }
        if (rc != CLI_APPLIED) {
            return CLI_ERROR;
        }
    }
    if (optind < argc) {
        cli_fail(err, errlen, "unexpected argument '%s'", argv[optind]);
        return CLI_ERROR;
    }
    if (cli_check_rules(st) != 0) {
        return CLI_ERROR;
    }
    st->cfg->log_level = st->verbose ? LOG_DEBUG : st->quiet ? LOG_WARN : LOG_INFO;
    return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct lwiptap_config *cfg, FILE *out, char *err,
                          size_t errlen)
{
    set_defaults(cfg);
    struct option *long_options = calloc(cli_option_count + 1, sizeof *long_options);
    char *short_options = calloc(2 * cli_option_count + 2, 1);
    enum cli_result result = CLI_ERROR;
    if (long_options == NULL || short_options == NULL) {
        cli_fail(err, errlen, "out of memory");
    } else {
        build_getopt_tables(long_options, short_options);
        struct cli_state st = {.cfg = cfg, .out = out, .err = err, .errlen = errlen};
        result = parse(argc, argv, long_options, short_options, &st);
    }
    free(long_options);
    free(short_options);
    return result;
}
