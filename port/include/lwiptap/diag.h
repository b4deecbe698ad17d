/* Sinks for lwIP's platform hooks (arch/cc.h), routed into our logger. */
#ifndef LWIPTAP_DIAG_H
#define LWIPTAP_DIAG_H

#include <stdint.h>

/* lwIP builds one debug line from several calls; text is buffered until '\n'. */
void lwiptap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs the failed assertion and aborts: an lwIP invariant is broken. */
void lwiptap_assert_failed(const char *msg, const char *file, int line) __attribute__((noreturn));

/* Debug lines name our interface NAME (the tap) where lwIP says "tp0". */
void lwiptap_diag_set_interface_name(const char *name);

uint32_t lwiptap_random(void);

#endif
