#include "lwiptap/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lwiptap/log.h"

static char pending[1024];
static size_t pending_len;
/* lwIP names our interface by its two letters and number ("tp0", or "tp");
 * the user knows it by the tap's name. */
static char netif_alias[32];

void lwiptap_diag_set_interface_name(const char *name)
{
    snprintf(netif_alias, sizeof netif_alias, "%s", name != NULL ? name : "");
}

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* line with each whole word "tp0" or "tp" replaced by the tap's name. */
static void name_interface(const char *line, char *out, size_t outlen)
{
    size_t used = 0;
    for (size_t i = 0; line[i] != '\0' && used + 1 < outlen;) {
        size_t word = line[i] == 't' && line[i + 1] == 'p' ? (line[i + 2] == '0' ? 3 : 2) : 0;
        if (word > 0 && netif_alias[0] != '\0' && (i == 0 || !word_char(line[i - 1])) &&
            !word_char(line[i + word])) {
            int n = snprintf(out + used, outlen - used, "%s", netif_alias);
            used += n > 0 && (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
            i += word;
            continue;
        }
        out[used++] = line[i++];
    }
    out[used] = '\0';
}

static void emit(const char *line)
{
    char named[1100];
    name_interface(line, named, sizeof named);
    log_requested("lwip", "%s", named);
}

static void flush_lines(void)
{
    char *start = pending;
    char *nl;
    while ((nl = memchr(start, '\n', pending_len - (size_t)(start - pending))) != NULL) {
        *nl = '\0';
        if (nl > start) {
            emit(start);
        }
        start = nl + 1;
    }
    pending_len -= (size_t)(start - pending);
    memmove(pending, start, pending_len);
    /* A line longer than the buffer is emitted in pieces rather than dropped. */
    if (pending_len == sizeof pending - 1) {
        pending[pending_len] = '\0';
        emit(pending);
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

/* TCP initial sequence numbers and ports come from here: from the kernel's
 * generator, so that a peer cannot predict them and inject into a
 * connection blindly (RFC 6528's concern). Fetched in batches: one syscall
 * per 64 numbers. */
uint32_t lwiptap_random(void)
{
    static uint32_t batch[64];
    static size_t left;
    if (left == 0) {
        if (getrandom(batch, sizeof batch, GRND_NONBLOCK) != (ssize_t)sizeof batch) {
            /* Only before the kernel's pool is ready (early boot): better a
             * predictable number than none. */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            for (size_t i = 0; i < 64; i++) {
                batch[i] =
                    (uint32_t)(ts.tv_nsec * 2654435761u) ^ (uint32_t)(i * 40503u) ^ (uint32_t)ts.tv_sec;
            }
        }
        left = 64;
    }
    return batch[--left];
}
