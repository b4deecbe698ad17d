#include "lwiptap/log.h"

#include <stdarg.h>
#include <sys/time.h>
#include <time.h>

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
