/* The one logger. Every line goes to one stream (stderr by default) as
 *   2026-11-23T19:40:01.123456Z INFO tag: message
 * (UTC time with microseconds, like tcpdump's, level, tag, message). Tests
 * grep this format. */
#ifndef LWIPTAP_LOG_H
#define LWIPTAP_LOG_H

#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* Tests point this at a memory stream; NULL restores stderr. */
void log_set_stream(FILE *stream);

/* Called before (after = 0) and after (1) each line: the console takes
 * its prompt away and draws it again. NULL: nothing. */
void log_set_around_line(void (*fn)(int after));

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Output the user asked for by name (--trace, --debug): an INFO line that
 * -q does not hide. */
void log_requested(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_requested(tag, "%s", text), folded at spaces into lines that fit the
 * terminal when the log goes to one; a file or a pipe gets one line. */
void log_requested_folded(const char *tag, const char *text);

/* How much of text goes on a line of width columns: all of it, or up to the
 * last space that fits (the space itself not counted). */
size_t log_fold_piece(const char *text, size_t width);

#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...) log_msg(LOG_DEBUG, tag, __VA_ARGS__)

#endif
