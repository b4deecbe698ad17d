#include "web_json.h"

#include <stdarg.h>
#include <stdio.h>

void jb_init(struct jbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    b->overflow = 0;
    if (cap > 0) {
        p[0] = '\0';
    }
}

void jb_printf(struct jbuf *b, const char *fmt, ...)
{
    if (b->overflow) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = 1;
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

static void put(struct jbuf *b, char c)
{
    if (b->len + 1 >= b->cap) {
        b->overflow = 1;
        return;
    }
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void jb_str(struct jbuf *b, const char *s)
{
    put(b, '"');
    for (; *s != '\0' && !b->overflow; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            put(b, '\\');
            put(b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            jb_printf(b, "\\u%04x", c);
        } else {
            put(b, (char)c);
        }
    }
    put(b, '"');
}

void jb_field_str(struct jbuf *b, const char *name, const char *s)
{
    jb_printf(b, "%s\"%s\":", b->len > 0 && b->p[b->len - 1] != '{' ? "," : "", name);
    jb_str(b, s);
}
