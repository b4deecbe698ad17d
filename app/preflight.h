/* Warnings at start about a tap that cannot work yet: down, or without a
 * host-side address in lwIP's subnet (or /64). Each says the command that
 * fixes it. Only the interface's state is read: never the tap itself. */
#ifndef LWIPTAP_PREFLIGHT_H
#define LWIPTAP_PREFLIGHT_H

#include "cli.h"

/* Logs one warning per problem found on cfg->tap; returns how many. */
int preflight_check(const struct lwiptap_config *cfg);

#endif
