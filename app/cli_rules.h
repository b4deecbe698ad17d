/* The rules between options, checked once every option is read: what an
 * option needs of another (--stay of --connect, --absolute of --trace, --gw
 * of --ip's subnet) and which ones exclude each other. */
#ifndef LWIPTAP_CLI_RULES_H
#define LWIPTAP_CLI_RULES_H

#include "cli_options.h"

/* 0, or -1 with st->err naming the first rule broken. */
int cli_check_rules(struct cli_state *st);

#endif
