#include "console.h"

#include <string.h>
#include <unistd.h>

#include "lwiptap/log.h"
#include "stack.h"

static void run_command(struct event_loop *loop, const char *cmd)
{
    if (strcmp(cmd, "stats") == 0) {
        stack_log_stats();
    } else if (strcmp(cmd, "pcbs") == 0) {
        stack_log_pcbs();
    } else if (strcmp(cmd, "quit") == 0) {
        event_loop_stop(loop);
    } else if (*cmd != '\0') {
        log_info("console", "commands: stats, pcbs, quit");
    }
}

static void on_stdin(struct event_loop *loop, int fd, void *ctx)
{
    (void)ctx;
    char line[256];
    ssize_t n = read(fd, line, sizeof line - 1);
    if (n <= 0) {
        /* End of input is not a request to stop: the stack keeps serving. */
        event_loop_unwatch(loop, fd);
        return;
    }
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    run_command(loop, line);
}

int console_start(struct event_loop *loop, char *err)
{
    if (!isatty(STDIN_FILENO)) {
        return 0;
    }
    return event_loop_watch(loop, STDIN_FILENO, on_stdin, NULL, err);
}
