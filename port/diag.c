#include "lwiptap/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwiptap/log.h"

static char pending[1024];
static size_t pending_len;

static void flush_lines(void)
{
    char *start = pending;
    char *nl;
    while ((nl = memchr(start, '\n', pending_len - (size_t)(start - pending))) != NULL) {
        *nl = '\0';
        if (nl > start) {
            log_requested("lwip", "%s", start);
        }
        start = nl + 1;
    }
    pending_len -= (size_t)(start - pending);
    memmove(pending, start, pending_len);
    /* A line longer than the buffer is emitted in pieces rather than dropped. */
    if (pending_len == sizeof pending - 1) {
        pending[pending_len] = '\0';
        log_requested("lwip", "%s", pending);
        pending_len = 0;
    }
}

void lwiptap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pending + pending_len, sizeof pending - pending_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        size_t room = sizeof pending - pending_len - 1;
        pending_len += (size_t)n < room ? (size_t)n : room;
    }
    flush_lines();
}

void lwiptap_assert_failed(const char *msg, const char *file, int line)
{
    log_msg(LOG_ERROR, "lwip", "assertion \"%s\" failed at %s:%d", msg, file, line);
    abort();
}

/* TCP initial sequence numbers and ports come from here; rand() seeded once
 * from the clock is enough for a teaching stack, not for a hostile network. */
uint32_t lwiptap_random(void)
{
    static int seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        srand((unsigned)(ts.tv_nsec ^ ts.tv_sec));
        seeded = 1;
    }
    return ((uint32_t)rand() << 16) ^ (uint32_t)rand();
}
