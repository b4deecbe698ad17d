#include "lwiptap/log.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

static void (*around_line)(int after);

void log_set_around_line(void (*fn)(int after))
{
    around_line = fn;
}

void log_set_level(enum log_level level)
{
    current_level = level;
}

void log_set_stream(FILE *stream)
{
    log_stream = stream;
}

static void log_line(enum log_level level, const char *tag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_line(enum log_level level, const char *tag, const char *fmt, va_list ap)
{
    FILE *out = log_stream ? log_stream : stderr;
    struct timeval now;
    gettimeofday(&now, NULL);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);

    /* One fprintf per line keeps lines whole when several processes share a terminal. */
    char body[1024];
    vsnprintf(body, sizeof body, fmt, ap);
    if (around_line != NULL) {
        around_line(0);
    }
    fprintf(out, "%s.%06ldZ %s %s: %s\n", stamp, (long)now.tv_usec, level_names[level], tag, body);
    fflush(out);
    if (around_line != NULL) {
        around_line(1);
    }
}

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
    if (level > current_level) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    log_line(level, tag, fmt, ap);
    va_end(ap);
}

void log_requested(const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(LOG_INFO, tag, fmt, ap);
    va_end(ap);
}

size_t log_fold_piece(const char *text, size_t width)
{
    size_t len = strlen(text);
    if (len <= width) {
        return len;
    }
    for (size_t i = width; i > 0; i--) {
        if (text[i] == ' ') {
            return i;
        }
    }
    return width; /* one word longer than the line: cut it */
}

/* The timestamp, level and tag before a message. */
#define LOG_PREFIX_LEN (sizeof "2026-01-01T00:00:00.000000Z INFO : " - 1)

void log_requested_folded(const char *tag, const char *text)
{
    FILE *out = log_stream ? log_stream : stderr;
    struct winsize ws;
    size_t columns = 0;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0) {
        columns = ws.ws_col > 0 ? ws.ws_col : 80;
    }
    size_t prefix = LOG_PREFIX_LEN + strlen(tag);
    if (columns == 0 || columns < prefix + 20) {
        log_requested(tag, "%s", text); /* a file or a pipe: one line to grep */
        return;
    }
    while (*text != '\0') {
        size_t n = log_fold_piece(text, columns - prefix);
        log_requested(tag, "%.*s", (int)n, text);
        text += n;
        while (*text == ' ') {
            text++;
        }
    }
}
