#include "bytebuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int bytebuf_reserve(struct bytebuf *b, size_t n)
{
    if (b->cap - b->end >= n)
        return 0;
    /* Reuse the consumed prefix before growing, so a queue that is drained
     * as fast as it is filled stays the same size. */
    size_t used = b->end - b->start;
    if (b->start > 0) {
        memmove(b->data, b->data + b->start, used);
        b->start = 0;
        b->end = used;
        if (b->cap - used >= n)
            return 0;
    }
    if (n > SIZE_MAX / 2 - used) {
        errno = ENOMEM;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - used < n)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

int bytebuf_append(struct bytebuf *b, const void *p, size_t n)
{
    if (bytebuf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->end, p, n);
    b->end += n;
    return 0;
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
    b->start += n;
    if (b->start == b->end)
        b->start = b->end = 0;
}

void bytebuf_free(struct bytebuf *b)
{
    free(b->data);
    *b = (struct bytebuf){0};
}
