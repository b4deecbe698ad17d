/* The host side of the tap's queue toward lwip-tap. The kernel queues the
 * frames it sends to lwip-tap (the tap's transmit queue, txqueuelen frames
 * long) until lwip-tap reads them; when lwip-tap falls behind, the queue
 * fills and the kernel drops frames, which its tx_dropped counter counts
 * (/sys/class/net/TAP/statistics). Each drop costs a sender a retransmission
 * timeout (1 s, then 3 s, ...), so a drop is said, not hidden. */
#ifndef LWIPTAP_TAP_QUEUE_H
#define LWIPTAP_TAP_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* The queue lwip-tap gives a tap it creates: one frame for every connection
 * it can hold (--max-conns tops out at 16384), so that a burst of that many
 * SYNs, or one segment of each connection, waits in the queue instead of
 * being dropped while lwip-tap works through it. The kernel's default is 1000.
 * Frames only take memory while they wait. */
#define TAP_QUEUE_BURST_LEN 16384u

/* Sets the txqueuelen of interface name. Returns 0, or -1 with err. */
int tap_queue_set_len(const char *name, unsigned len, char *err, size_t errlen);

/* Starts watching name's drop counter from its value now (a persistent tap
 * keeps counting across runs). Without sysfs, the counter reads as unknown. */
void tap_queue_watch(const char *name);

/* Reads the counter; when it grew, logs a WARN saying what it means and how
 * to fix it, at most once per 10 s of now_ms (the drops in between are
 * summed into the next one). For a timer, once a second or so. */
void tap_queue_check(uint32_t now_ms);

/* Frames the host dropped since tap_queue_watch, or -1 when unknown. */
long long tap_queue_dropped(void);

/* The "stats" line: the queue length and the drops. */
void tap_queue_log_stats(void);

#endif
