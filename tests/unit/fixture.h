/* The checked fixture every unit test runs in: a fresh lwIP (when Check forks)
 * brought up the way app/main.c does it, on a fake link, with the echo and
 * serial services listening, the TCP state log on and the log captured in
 * memory. Teardown shuts everything down and asserts lwIP got every pool
 * element and every heap byte back. */
#ifndef UNIT_FIXTURE_H
#define UNIT_FIXTURE_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fake_link.h"
#include "segment.h"
#include "stack.h"
#include "stream_service.h"

#define STACK_IP 0xc0000202u /* 192.0.2.2 */
#define PEER_IP 0xc0000201u  /* 192.0.2.1 */
#define ECHO_PORT 7
#define SERIAL_PORT 1234

extern const uint8_t stack_mac[6];
extern const uint8_t peer_mac[6];

struct fixture {
    struct stack stack;
    struct fake_link *wire;
    struct stream_service *echo;
    struct stream_service *serial;
    FILE *log;
    char *log_text;
    size_t log_len;
};

extern struct fixture fx;

void fixture_setup(void);
void fixture_teardown(void);

/* Adds test to s as a test case of its own, named like the test, so each one
 * can be run (and registered with ctest) alone. */
void fixture_add_test(Suite *s, const TTest *test);

/* Starts s as a segment from the peer's address and port to the stack's:
 * no flags, no options, no payload, sequence numbers 0. */
void fixture_segment_from_peer(struct segment *s, uint16_t src_port, uint16_t dst_port);

/* Puts frame on the wire and lets the stack read everything waiting. */
void fixture_inject(const uint8_t *frame, size_t len);

/* The next IPv4 TCP segment lwIP sent, in s: 1, or 0 when there is none.
 * ARP requests for the peer are answered on the way; other frames are skipped. */
int fixture_next_tcp(struct segment *s);

/* Puts a frame with offload fields on the wire (see struct link_meta). */
void fixture_inject_meta(const uint8_t *frame, size_t len, const struct link_meta *meta);
/* Like fixture_add_test, with a link that offers offloads (a tap with
 * IFF_VNET_HDR): lwIP-tap's super-frames reach the peer cut into segments,
 * as the kernel cuts them. */
void fixture_add_offload_test(Suite *s, const TTest *test);
/* Like fixture_add_test, with --cross-fins's stage above the timeline:
 * lwIP's first FIN is held until the peer's FIN arrives. */
void fixture_add_cross_fins_test(Suite *s, const TTest *test);
/* Drops whatever lwIP sent so far. */
void fixture_discard_tx(void);

/* Nothing moved: lets lwIP's next timer run (a delayed ACK, a window update),
 * failing the test once *stalls passes a bound, so a wedged connection cannot hang it. */
void fixture_wait_for_timer(int *stalls);

/* Test data that is not periodic in any segment size, so a misplaced segment shows. */
uint8_t *make_pattern(size_t len);

/* Everything logged since setup, NUL-terminated. */
const char *fixture_log(void);
int fixture_log_has(const char *needle);

/* A TCP segment to the stack with raw option bytes (wire_tcp), window 0xffff. */
void fixture_send_raw_tcp(uint32_t src_ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                          uint8_t flags, const uint8_t *opts, size_t optlen, const void *data, size_t len);

#endif
