/* The fault options: --KIND, --rx-KIND and --tx-KIND for each kind of fault
 * (drop, corrupt, duplicate, reorder, delay, rate). */
#ifndef LWIPTAP_CLI_FAULT_H
#define LWIPTAP_CLI_FAULT_H

#include <stddef.h>

#include "lwiptap/link.h"

enum fault_kind {
    FAULT_DROP,
    FAULT_CORRUPT,
    FAULT_DUPLICATE,
    FAULT_REORDER,
    FAULT_DELAY,
    FAULT_RATE,
    FAULT_KINDS
};
enum fault_scope { FAULT_BOTH, FAULT_RX, FAULT_TX, FAULT_SCOPES };

/* Sets one option's value in config: 0, or -1 with err filled in. */
int cli_fault_parse(enum fault_kind kind, enum fault_scope scope, const char *text,
                    struct link_fault_config *config, char *err, size_t errlen);

#endif
