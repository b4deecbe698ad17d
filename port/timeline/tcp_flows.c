#include "tcp_flows.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

/* More than lwIP's 16384 pcbs, so that every connection the stack can hold keeps its flow. */
#define FLOW_LIMIT 20000
#define FLOW_BUCKETS 32768 /* a power of two */

static struct flow *buckets[FLOW_BUCKETS];
/* Most recently seen first; the tail is recycled when the table is full. */
static struct flow lru = {.lru_prev = &lru, .lru_next = &lru};
static size_t flow_count;
/* Keyed with a random secret, so a peer cannot aim every flow at one bucket. */
static uint64_t hash_secret;

void flow_key_of(const struct frame_tcp *tcp, int tx, struct flow_key *key)
{
    memset(key, 0, sizeof *key);
    size_t addr_len = tcp->family == AF_INET ? 4 : 16;
    key->family = (uint8_t)tcp->family;
    memcpy(key->local, tx ? tcp->src : tcp->dst, addr_len);
    memcpy(key->remote, tx ? tcp->dst : tcp->src, addr_len);
    key->local_port = tx ? tcp->src_port : tcp->dst_port;
    key->remote_port = tx ? tcp->dst_port : tcp->src_port;
}

void flow_key_make(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                   uint16_t remote_port, struct flow_key *key)
{
    memset(key, 0, sizeof *key);
    size_t addr_len = family == AF_INET ? 4 : 16;
    key->family = (uint8_t)family;
    memcpy(key->local, local, addr_len);
    memcpy(key->remote, remote, addr_len);
    key->local_port = local_port;
    key->remote_port = remote_port;
}

static size_t bucket_of(const struct flow_key *key)
{
    if (hash_secret == 0) {
        if (getrandom(&hash_secret, sizeof hash_secret, GRND_NONBLOCK) != (ssize_t)sizeof hash_secret) {
            hash_secret = (uint64_t)(uintptr_t)&hash_secret;
        }
        hash_secret |= 1;
    }
    /* Eight bytes a step, unrolled: this runs twice for every frame. */
    uint64_t words[5] = {0};
    _Static_assert(sizeof words >= sizeof *key, "the key fits in the words hashed");
    memcpy(words, key, sizeof *key);
    uint64_t h = hash_secret;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        h = (h ^ words[i]) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    return (size_t)(h & (FLOW_BUCKETS - 1));
}

static void lru_unlink(struct flow *f)
{
    f->lru_prev->lru_next = f->lru_next;
    f->lru_next->lru_prev = f->lru_prev;
}

static void lru_push_front(struct flow *f)
{
    f->lru_next = lru.lru_next;
    f->lru_prev = &lru;
    lru.lru_next->lru_prev = f;
    lru.lru_next = f;
}

static void unhash(struct flow *f)
{
    struct flow **link = &buckets[bucket_of(&f->key)];
    while (*link != NULL && *link != f) {
        link = &(*link)->hash_next;
    }
    if (*link == f) {
        *link = f->hash_next;
    }
}

static struct flow *new_flow(void)
{
    if (flow_count < FLOW_LIMIT) {
        struct flow *f = malloc(sizeof *f);
        if (f != NULL) {
            flow_count++;
        }
        return f;
    }
    struct flow *oldest = lru.lru_prev;
    lru_unlink(oldest);
    unhash(oldest);
    return oldest;
}

struct flow *flow_find(const struct flow_key *key, int create, uint64_t now_us)
{
    size_t b = bucket_of(key);
    for (struct flow *f = buckets[b]; f != NULL; f = f->hash_next) {
        if (memcmp(&f->key, key, sizeof *key) == 0) {
            if (create) {
                lru_unlink(f);
                lru_push_front(f);
            }
            return f;
        }
    }
    if (!create) {
        return NULL;
    }
    struct flow *f = new_flow();
    if (f == NULL) {
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->key = *key;
    f->first_us = now_us;
    f->half[FLOW_LWIP].wscale = FLOW_NO_WSCALE;
    f->half[FLOW_PEER].wscale = FLOW_NO_WSCALE;
    f->hash_next = buckets[b];
    buckets[b] = f;
    lru_push_front(f);
    return f;
}

void flow_for_each(void (*fn)(struct flow *flow))
{
    for (struct flow *f = lru.lru_next; f != &lru; f = f->lru_next) {
        fn(f);
    }
}

void flow_forget_all(void)
{
    struct flow *f = lru.lru_next;
    while (f != &lru) {
        struct flow *next = f->lru_next;
        free(f);
        f = next;
    }
    lru.lru_next = lru.lru_prev = &lru;
    memset(buckets, 0, sizeof buckets);
    flow_count = 0;
}
