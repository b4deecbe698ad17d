/* Commands typed on lwip-tap's terminal: stats, pcbs, debug, help, quit. */
#ifndef LWIPTAP_CONSOLE_H
#define LWIPTAP_CONSOLE_H

#include "event_loop.h"

/* Watches stdin when it is a terminal; a no-op otherwise (daemons, tests). */
int console_start(struct event_loop *loop, char *err);

#endif
