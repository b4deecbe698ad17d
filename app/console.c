#include "console.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lwiptap/debug_flags.h"
#include "lwiptap/log.h"
#include "stack.h"
#include "tcp_statelog.h"

#define PROMPT "lwip-tap> "

static void prompt(void)
{
    fputs(PROMPT, stdout);
    fflush(stdout);
}

/* A log line on the same terminal would run on after the prompt: the
 * prompt is wiped before it and drawn again after it. */
static void around_log_line(int after)
{
    if (after) {
        prompt();
    } else {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
}

static int redrawing; /* log lines share the terminal with the prompt */

static void help(void)
{
    if (redrawing) {
        around_log_line(0); /* the prompt a warning just drew */
    }
    fputs("commands:\n"
          "  stats                  lwIP's counters and every connection's\n"
          "  pcbs                   every TCP control block\n"
          "  debug [+CAT|-CAT ...]  lwIP's debug categories, e.g. debug +tcp_out -pbuf\n"
          "  help                   this list\n"
          "  quit                   stop lwip-tap\n",
          stdout);
}

static void show_debug(void)
{
    char names[512] = "";
    size_t len = 0;
    for (int bit = 0; bit < LWIPTAP_DBG_COUNT; bit++) {
        const char *name = lwiptap_debug_name(bit);
        if ((lwiptap_debug_mask & (UINT32_C(1) << bit)) && name != NULL &&
            len + strlen(name) + 2 < sizeof names) {
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? "," : "", name);
        }
    }
    log_info("console", "debug categories on: %s", len ? names : "none");
}

/* "debug +tcp_out -pbuf": each word switches categories on (+, or no sign) or off (-). */
static void debug_command(char *args)
{
    char *save = NULL;
    for (char *word = strtok_r(args, " \t", &save); word != NULL; word = strtok_r(NULL, " \t", &save)) {
        int off = word[0] == '-';
        const char *list = (word[0] == '-' || word[0] == '+') ? word + 1 : word;
        uint32_t mask;
        char err[256];
        if (lwiptap_debug_parse(list, &mask, err, sizeof err) != 0) {
            log_warn("console", "%s", err);
            return;
        }
        lwiptap_debug_mask = off ? (lwiptap_debug_mask & ~mask) : (lwiptap_debug_mask | mask);
    }
    show_debug();
}

static void run_command(struct event_loop *loop, char *cmd)
{
    if (strcmp(cmd, "stats") == 0) {
        stack_log_stats();
        tcp_statelog_log_connections();
    } else if (strcmp(cmd, "pcbs") == 0) {
        stack_log_pcbs();
    } else if (strcmp(cmd, "quit") == 0) {
        redrawing = 0;
        log_set_around_line(NULL); /* no prompt under the shutdown's lines */
        event_loop_stop(loop);
        return;
    } else if (strncmp(cmd, "debug", 5) == 0 && (cmd[5] == '\0' || cmd[5] == ' ')) {
        debug_command(cmd + 5);
    } else if (strcmp(cmd, "help") == 0 || *cmd != '\0') {
        if (strcmp(cmd, "help") != 0) {
            log_warn("console", "unknown command '%s'", cmd);
        }
        help();
    }
    prompt();
}

static void on_stdin(struct event_loop *loop, int fd, void *ctx)
{
    (void)ctx;
    char line[256];
    ssize_t n = read(fd, line, sizeof line - 1);
    if (n <= 0) {
        /* End of input is not a request to stop: the stack keeps serving. */
        event_loop_unwatch(loop, fd);
        redrawing = 0;
        log_set_around_line(NULL);
        log_info("console", "closed (end of input); lwip-tap keeps running: Ctrl-C or SIGTERM stops it");
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
    if (event_loop_watch(loop, STDIN_FILENO, on_stdin, NULL, err) != 0) {
        return -1;
    }
    log_info("console", "type help for commands");
    if (isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) {
        redrawing = 1;
        log_set_around_line(around_log_line);
    }
    prompt();
    return 0;
}
