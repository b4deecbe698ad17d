/* A bounded JSON writer for the --web events: output past the buffer is cut
 * and flagged, never written past it. */
#ifndef LWIPTAP_WEB_JSON_H
#define LWIPTAP_WEB_JSON_H

#include <stddef.h>

struct jbuf {
    char *p;
    size_t cap;
    size_t len;
    int overflow;
};

void jb_init(struct jbuf *b, char *p, size_t cap);
void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included. */
void jb_str(struct jbuf *b, const char *s);
/* "name":"s", with a leading comma unless first. */
void jb_field_str(struct jbuf *b, const char *name, const char *s);

#endif
