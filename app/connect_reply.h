/* How --connect prints a reply for a reader of its output. */
#ifndef LWIPTAP_CONNECT_REPLY_H
#define LWIPTAP_CONNECT_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes data: trailing NUL padding dropped, other control bytes as \xNN,
 * and a newline at the end. */
void connect_print_reply(FILE *out, const uint8_t *data, size_t len);

#endif
