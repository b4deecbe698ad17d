/* Growable byte queue: append at the end, consume from the front. */
#ifndef LWIPTAP_HOST_BYTEBUF_H
#define LWIPTAP_HOST_BYTEBUF_H

#include <stddef.h>

struct bytebuf {
    char *data;
    size_t start; /* first unconsumed byte */
    size_t end;   /* one past the last byte */
    size_t cap;
};

/* Makes room for n more bytes at data + end. Returns -1 (errno ENOMEM) on failure. */
int bytebuf_reserve(struct bytebuf *b, size_t n);
int bytebuf_append(struct bytebuf *b, const void *p, size_t n);
void bytebuf_consume(struct bytebuf *b, size_t n);
void bytebuf_free(struct bytebuf *b);

static inline size_t bytebuf_len(const struct bytebuf *b)
{
    return b->end - b->start;
}

#endif
