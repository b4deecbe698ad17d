/* What the modes of bench-client (bench_client.c) share: options, the data
 * pattern, the clock and the socket helpers. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stddef.h>
#include <sys/socket.h>

#define PROG "bench-client"
#define IO_CHUNK 65536
/* The data pattern: PATTERN_LEN pseudo-random bytes (a prime, so that a
 * shifted or repeated stream never lines up with it again), followed by a
 * copy of its first IO_CHUNK bytes so that any window of IO_CHUNK bytes is
 * contiguous. Connection i starts at offset i * PATTERN_STRIDE. */
#define PATTERN_LEN 65521u
#define PATTERN_STRIDE 7919u
#define MAX_CONNS 16384
#define MAX_PENDING_CONNECTS 256
#define MAX_CYCLES 1000000L

enum mode { MODE_NONE, MODE_STREAM, MODE_RATE, MODE_PINGPONG, MODE_BURST };

struct options {
    enum mode mode;
    struct sockaddr_storage server;
    socklen_t server_len;
    long conns;
    unsigned long long bytes;
    long count;
    long size;
    double timeout_s;
    double conn_timeout_s; /* burst: each connection's own deadline */
};

double now_s(void);
/* The pattern from byte pos of a connection whose stream starts at start. */
const unsigned char *pattern_at(size_t start, unsigned long long pos);
/* Prints "bench-client: ..." on stderr; returns 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int raise_fd_limit(long conns);
int start_connect(const struct options *o);
int connect_result(int fd);
int remaining_ms(double deadline);

int run_stream(const struct options *o);
int run_burst(const struct options *o);
int run_rate(const struct options *o);
int run_pingpong(const struct options *o);

#endif
