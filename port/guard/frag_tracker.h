/* Remembers, per fragmented datagram, which 8-byte units have arrived, so that
 * an overlap condemns the whole datagram (RFC 5722; Linux does the same for
 * IPv4): every later fragment of it is dropped, and what lwIP already holds
 * never completes and times out. Bounded: the least recently seen entry is
 * reused when the table is full. */
#ifndef LWIPTAP_FRAG_TRACKER_H
#define LWIPTAP_FRAG_TRACKER_H

#include <stdint.h>

#define FRAG_TRACKER_ENTRIES 32
#define FRAG_UNITS 8192 /* 13-bit offsets in 8-byte units: 64 KiB */
#define FRAG_LIFETIME_MS 60000

struct frag_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint8_t family;
    uint8_t proto; /* IPv4 only: part of its reassembly key */
};

enum frag_verdict { FRAG_PASS, FRAG_OVERLAP, FRAG_OVERSIZE, FRAG_CONDEMNED };

struct frag_entry {
    struct frag_key key;
    uint64_t units[FRAG_UNITS / 64];
    uint32_t covered;
    uint32_t extent; /* the highest end seen, in units */
    uint32_t total;  /* units up to the end of the last fragment, 0 until it is seen */
    uint32_t last_ms;
    uint8_t in_use;
    uint8_t condemned;
};

struct frag_tracker {
    struct frag_entry entries[FRAG_TRACKER_ENTRIES];
};

/* A fragment carrying len bytes at offset (in 8-byte units); more is the M flag. */
enum frag_verdict frag_track(struct frag_tracker *t, const struct frag_key *key, uint32_t offset,
                             uint32_t len, int more, uint32_t now);

/* Drops every fragment of the datagram from now on (its first fragment was refused). */
void frag_condemn(struct frag_tracker *t, const struct frag_key *key, uint32_t now);

#endif
