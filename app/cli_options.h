/* The option table of lwip-tap: the one list that both the parser (cli.c,
 * through getopt_long) and --help read, so the two cannot disagree. Each
 * option names its value and how it applies it to the config; the rules
 * between options are cli_rules.h's. */
#ifndef LWIPTAP_CLI_OPTIONS_H
#define LWIPTAP_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

#define CLI_DEFAULT_TIMEOUT_S 10u
#define CLI_MSL_MIN_MS 100u
#define CLI_MSL_MAX_MS 600000UL

/* What parsing has gathered so far. */
struct cli_state {
    struct lwiptap_config *cfg;
    FILE *out; /* --help and --version print here */
    char *err;
    size_t errlen;
    const char *gw_text; /* --gw is checked against --ip once both are read */
    int has_ip;
    int verbose, quiet;
};

/* What applying an option's value did. */
enum cli_apply { CLI_APPLIED = 0, CLI_REFUSED = -1, CLI_FINISHED = 1 };

struct cli_option {
    const char *name;    /* without "--"; NULL: a heading line of --help */
    char short_name;     /* 0: none */
    char optional_value; /* the value may be left out: "--web", "--web 8080", "--web=8080" */
    const char *metavar; /* the value in --help; NULL: the option takes none */
    enum cli_apply (*apply)(const struct cli_option *o, const char *value, struct cli_state *st);
    /* --help's lines for it, '\n' between them; {KEY} stands for a value
     * (cli_help_value). NULL: not listed on its own (--rx-X, --tx-X). */
    const char *help;
    size_t field;                /* offsetof the lwiptap_config member it sets, if one */
    int fault_kind, fault_scope; /* fault options only */
};

extern const struct cli_option cli_options[];
extern const size_t cli_option_count;

/* Prints the value that {KEY} (len bytes) in a help text stands for: 0, or
 * -1 when no value has that key. */
int cli_help_value(FILE *out, const char *key, size_t len);

#endif
