#include "frag_tracker.h"

#include <string.h>

static int key_eq(const struct frag_key *a, const struct frag_key *b)
{
    return a->family == b->family && a->proto == b->proto && a->id == b->id &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

static struct frag_entry *lookup(struct frag_tracker *t, const struct frag_key *key, uint32_t now)
{
    struct frag_entry *free_entry = NULL, *oldest = NULL;
    for (int i = 0; i < FRAG_TRACKER_ENTRIES; i++) {
        struct frag_entry *e = &t->entries[i];
        if (e->in_use && (uint32_t)(now - e->last_ms) >= FRAG_LIFETIME_MS) {
            e->in_use = 0;
        }
        if (!e->in_use) {
            free_entry = free_entry != NULL ? free_entry : e;
        } else if (key_eq(&e->key, key)) {
            e->last_ms = now;
            return e;
        } else if (oldest == NULL || (int32_t)(e->last_ms - oldest->last_ms) < 0) {
            oldest = e;
        }
    }
    struct frag_entry *e = free_entry != NULL ? free_entry : oldest;
    memset(e, 0, sizeof *e);
    e->key = *key;
    e->in_use = 1;
    e->last_ms = now;
    return e;
}

/* Sets bits [from, to) and reports whether any was set already. */
static int mark_units(struct frag_entry *e, uint32_t from, uint32_t to)
{
    for (uint32_t u = from; u < to; u++) {
        uint64_t bit = (uint64_t)1 << (u % 64);
        if (e->units[u / 64] & bit) {
            return 1;
        }
    }
    for (uint32_t u = from; u < to; u++) {
        e->units[u / 64] |= (uint64_t)1 << (u % 64);
    }
    e->covered += to - from;
    return 0;
}

enum frag_verdict frag_track(struct frag_tracker *t, const struct frag_key *key, uint32_t offset,
                             uint32_t len, int more, uint32_t now)
{
    struct frag_entry *e = lookup(t, key, now);
    if (e->condemned) {
        return FRAG_CONDEMNED;
    }
    uint32_t end = offset + (len + 7) / 8;
    if (end > FRAG_UNITS || (e->total != 0 && (end > e->total || !more)) || (!more && end < e->extent)) {
        e->condemned = 1;
        return FRAG_OVERSIZE;
    }
    if (len == 0 || mark_units(e, offset, end)) {
        e->condemned = 1;
        return FRAG_OVERLAP;
    }
    if (!more) {
        e->total = end;
    }
    if (end > e->extent) {
        e->extent = end;
    }
    if (e->total != 0 && e->covered == e->total) {
        e->in_use = 0; /* complete: the same id may be used again */
    }
    return FRAG_PASS;
}

void frag_condemn(struct frag_tracker *t, const struct frag_key *key, uint32_t now)
{
    lookup(t, key, now)->condemned = 1;
}
