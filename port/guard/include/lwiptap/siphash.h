/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed hash for short inputs, written from the paper's description.
 * The SYN cookies' MAC (syn_cookie.c). */
#ifndef LWIPTAP_SIPHASH_H
#define LWIPTAP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *msg, size_t len);

#endif
