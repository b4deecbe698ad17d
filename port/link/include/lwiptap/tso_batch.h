/* Transmit segmentation offload in reverse of GRO: consecutive TCP segments of
 * one connection, as lwIP writes them in one pass of the event loop, become
 * one super-frame that the kernel accepts as a single TSO packet (gso_size =
 * the segments' size, partial checksum). The kernel cuts it back into the
 * very segments lwIP made: same seq, ack, window and options, so only the
 * number of frames crossing the tap changes. Anything else (SYN, FIN, RST,
 * URG, a pure ACK, a segment that does not continue the batch) flushes the
 * batch and goes out alone, in order. */
#ifndef LWIPTAP_TSO_BATCH_H
#define LWIPTAP_TSO_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "lwiptap/link.h"

/* Below what an IP packet's 16-bit length allows (14 + 0xffff), so that any
 * super-frame fits a frame buffer of every link (LINK_MAX_FRAME). */
#define TSO_MAX_FRAME LINK_MAX_FRAME

/* Copies len bytes of the frame being added, from its offset, to dst. */
typedef void (*tso_copy_fn)(const void *src, uint8_t *dst, size_t len, size_t offset);
/* Sends one frame on; 0 or -1 (with err filled in by the sender). */
typedef int (*tso_emit_fn)(void *ctx, const uint8_t *frame, size_t len, const struct link_meta *meta);

struct tso_batch {
    tso_emit_fn emit;
    void *emit_ctx;
    size_t len;      /* bytes of the super-frame so far; 0: empty */
    size_t hdr_len;  /* Ethernet + IP + TCP headers */
    size_t l4_start; /* offset of the TCP header */
    uint16_t seg_size;
    uint16_t segs; /* segments in the frame; still valid while emit runs */
    uint32_t next_seq;
    int ipv6;
    int closed; /* the last segment was short or pushed: nothing may follow */
    /* lwIP leaves TCP checksums to the kernel (NETIF_CHECKSUM_GEN_TCP off):
     * every TCP frame leaves with the partial checksum the kernel completes. */
    int tcp_csum_partial;
    uint8_t frame[TSO_MAX_FRAME];
};

/* tcp_csum_partial: see struct tso_batch. */
void tso_batch_init(struct tso_batch *b, tso_emit_fn emit, void *emit_ctx, int tcp_csum_partial);

/* Adds one frame of frame_len (at most TSO_MAX_FRAME) bytes. head holds its first head_len bytes
 * (all of its headers when it has any worth coalescing); copy fetches the
 * rest from src. Returns what emit returned for any frame it sent, else 0. */
int tso_batch_add(struct tso_batch *b, const uint8_t *head, size_t head_len, size_t frame_len,
                  tso_copy_fn copy, const void *src);

/* Sends the pending super-frame, if any. */
int tso_batch_flush(struct tso_batch *b);

#endif
