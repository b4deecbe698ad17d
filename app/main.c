/* lwip-tap: lwIP in a user process on a TAP device, serving TCP echo and
 * serial echo, with every TCP state transition logged. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "connect_session.h"
#include "endpoint.h"
#include "console.h"
#include "diagram.h"
#include "event_loop.h"
#include "iperf_service.h"
#include "lwip/init.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/diag.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "lwiptap/mem_budget.h"
#include "lwiptap/tcp_msl.h"
#include "lwiptap/tap_queue.h"
#include "lwiptap/tap_steer.h"
#include "lwiptap/timeline.h"
#include "preflight.h"
#include "services.h"
#include "stack.h"
#include "tcp_statelog.h"
#include "web_service.h"

/* Closing connections politely gets this long before the rest are reset. */
#define SHUTDOWN_GRACE_MS 1000

struct app {
    struct event_loop loop;
    struct stack stack;
    struct stream_service *echo;
    struct stream_service *serial;
    struct web_service *web;
    void *iperf;
    struct connect_session *session;
    int stay;
    int exit_status;
    int signal_fd;
};

static void run_lwip_timers(void)
{
    tcp_statelog_set_context(STATELOG_CAUSE_TIMER);
    sys_check_timeouts();
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
}

static void on_link_ready(struct event_loop *loop, int fd, void *ctx)
{
    (void)fd;
    struct app *app = ctx;
    char err[LINK_ERR_LEN];
    if (netif_link_drain(&app->stack.netif, err) < 0) {
        log_error("lwip-tap", "%s", err);
        event_loop_stop(loop);
    }
}

static void flush_link(void *ctx)
{
    struct app *app = ctx;
    char err[LINK_ERR_LEN];
    if (netif_link_flush(&app->stack.netif, err) != 0) {
        log_error("lwip-tap", "%s", err);
        event_loop_stop(&app->loop);
    }
}

/* Before each sleep: what lwIP sent goes out, and once a second the host's
 * drops at the tap are read (a file read, too dear for every pass). */
static void before_sleep(void *ctx)
{
    static uint32_t last_check_ms;
    flush_link(ctx);
    const uint32_t now = sys_now();
    if ((uint32_t)(now - last_check_ms) >= 1000u) {
        last_check_ms = now;
        tap_queue_check(now);
    }
}

static void on_signal(struct event_loop *loop, int fd, void *ctx)
{
    (void)ctx;
    struct signalfd_siginfo info;
    if (read(fd, &info, sizeof info) != (ssize_t)sizeof info) {
        return;
    }
    /* SIGUSR1 asks for the numbers, as the console's stats does. */
    if (info.ssi_signo == SIGUSR1) {
        stack_log_stats();
        tcp_statelog_log_connections();
        return;
    }
    log_info("lwip-tap", "%s received, shutting down", strsignal((int)info.ssi_signo));
    event_loop_stop(loop);
}

static int open_signal_fd(char *err, size_t errlen)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    /* Blocked signals wait in the signalfd until the loop reads them. */
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
        snprintf(err, errlen, "sigprocmask: %s", strerror(errno));
        return -1;
    }
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
    }
    return fd;
}

/* A wrapper that failed (NULL) left the chain to us: it is destroyed. */
static int push_wrapper(struct link **chain, struct link *wrapper)
{
    if (wrapper == NULL) {
        link_destroy(*chain);
        *chain = NULL;
        return -1;
    }
    *chain = wrapper;
    return 0;
}

static void steer_host_work(const char *tap)
{
    char mask[64], err[LINK_ERR_LEN];
    int own = -1;
    int others = tap_steer(tap, &own, mask, sizeof mask, err, sizeof err);
    if (others < 0) {
        log_warn("lwip-tap", "%s: the host's work for %s's frames stays on lwip-tap's CPU", err, tap);
    } else if (others > 0) {
        log_info("lwip-tap",
                 "the host's work for %s's frames goes to the other %d CPU(s) (rps_cpus %s); lwip-tap stays "
                 "on CPU %d",
                 tap, others, mask, own);
    }
}

static struct link *build_link(const struct lwiptap_config *cfg, char *err)
{
    int created = 0, offloaded = 0;
    struct link *link = link_tap_open(cfg->tap, cfg->offload, &created, &offloaded, err);
    if (link == NULL) {
        return NULL;
    }
    if (cfg->offload && !offloaded) {
        log_warn("lwip-tap", "the kernel refused %s's offloads: plain frames only, as with --no-offload",
                 cfg->tap);
    }
    if (!created) {
        preflight_check(cfg);
    }
    if (created && tap_queue_set_len(cfg->tap, TAP_QUEUE_BURST_LEN, err, LINK_ERR_LEN) != 0) {
        log_warn("lwip-tap", "%s: a burst may overflow the kernel's default queue", err);
    }
    tap_queue_watch(cfg->tap);
    if (created && cfg->steer) {
        steer_host_work(cfg->tap);
    }
    if (created) {
        log_warn("lwip-tap",
                 "created %s; it is down and has no address on the host side, and it vanishes "
                 "when lwip-tap exits (see docs/running.md: a persistent tap)",
                 cfg->tap);
    }
    /* Innermost first: the fault injector sits on the wire and the guard right
     * behind it, so the state log, tracer and pcap see exactly the frames the
     * stack sees. */
    struct link *chain = link;
    /* --pcap records the wire: what reached the tap and what left it. */
    if (cfg->pcap_path != NULL && push_wrapper(&chain, link_pcap_new(chain, cfg->pcap_path, err)) != 0) {
        return NULL; /* err says why */
    }
    if (link_fault_active(&cfg->fault)) {
        struct link_fault_config fault = cfg->fault;
        fault.seed = cfg->seed;
        if (push_wrapper(&chain, link_fault_new(chain, &fault, err)) != 0) {
            return NULL; /* err says why */
        }
    }
    if (push_wrapper(&chain, link_guard_new(chain, NETIF_LINK_DEFAULT_MTU)) != 0) {
        goto out_of_memory;
    }
    /* The timeline shows a frame once it is sent, and the state log speaks
     * before a frame goes out, so a change is logged between the segment that
     * caused it and the reply. */
    struct timeline_options timeline = {cfg->trace, cfg->absolute, cfg->explain};
    if (push_wrapper(&chain, link_timeline_new(chain, &timeline)) != 0) {
        goto out_of_memory;
    }
    /* Above the timeline, so that lwIP's held FIN shows when it really goes
     * out: after the peer's FIN has arrived, as the two cross on the wire. */
    if (cfg->cross_fins && push_wrapper(&chain, link_fin_cross_new(chain)) != 0) {
        goto out_of_memory;
    }
    if (cfg->state_log && push_wrapper(&chain, tcp_statelog_wrap(chain)) != 0) {
        goto out_of_memory;
    }
    if (cfg->pcap_stack_path != NULL &&
        push_wrapper(&chain, link_pcap_new(chain, cfg->pcap_stack_path, err)) != 0) {
        return NULL; /* err says why */
    }
    return chain;

out_of_memory:
    snprintf(err, LINK_ERR_LEN, "out of memory");
    return NULL;
}

static struct keepalive_config keepalive_of(const struct lwiptap_config *cfg)
{
    struct keepalive_config ka = {cfg->keep_idle_ms, cfg->keep_interval_ms, cfg->keep_count};
    return ka;
}

static int start_service(const struct lwiptap_config *cfg, const struct stream_service_ops *ops,
                         uint16_t port, struct stream_service **svc)
{
    if (port == 0) {
        return 0;
    }
    err_t err;
    *svc = stream_service_start(ops, port, &err);
    if (*svc == NULL) {
        log_error("lwip-tap", "cannot start %s service on port %u: %s", ops->name, port, lwip_strerr(err));
        return -1;
    }
    struct stream_service_options opts = {cfg->half_close, cfg->abort_after, keepalive_of(cfg)};
    stream_service_set_options(*svc, &opts);
    return 0;
}

static int start_web(struct app *app, uint16_t port)
{
    err_t err;
    app->web = web_service_start(port, tcp_statelog_probe, &err);
    if (app->web == NULL) {
        log_error("lwip-tap", "cannot start the web page on port %u: %s", port, lwip_strerr(err));
        return -1;
    }
    return 0;
}

static void session_over(void *ctx, int status)
{
    struct app *app = ctx;
    app->exit_status = status;
    if (app->stay) {
        log_info("lwip-tap", "the --connect session is over; still serving (--stay)");
    } else {
        event_loop_stop(&app->loop);
    }
}

/* Half a minute is what a lesson can wait for TIME_WAIT to end. */
#define SESSION_TIME_WAIT_PATIENCE_MS 30000u

static int start_session(struct app *app, const struct lwiptap_config *cfg)
{
    struct connect_session_config sc = {
        .ip = cfg->connect_ip,
        .port = cfg->connect_port,
        .timeout_ms = cfg->timeout_ms,
        .wait_time_wait_ms = SESSION_TIME_WAIT_PATIENCE_MS,
        .keepalive = keepalive_of(cfg),
        .input_fd = STDIN_FILENO,
        .output = stdout,
        .probe = tcp_statelog_probe,
        .on_done = session_over,
        .ctx = app,
    };
    char err[256];
    app->stay = cfg->stay;
    app->session = connect_session_start(&app->loop, &sc, err, sizeof err);
    if (app->session == NULL) {
        log_error("connect", "%s", err);
        return -1;
    }
    return 0;
}

static int start_iperf(struct app *app)
{
    err_t err;
    app->iperf = iperf_service_start(&err);
    if (app->iperf == NULL) {
        log_error("lwip-tap", "cannot start the iperf server on port %u: %s", IPERF_SERVICE_PORT,
                  lwip_strerr(err));
        return -1;
    }
    return 0;
}

static void log_service_stats(const char *name, const struct stream_service *svc)
{
    if (svc == NULL) {
        return;
    }
    const struct stream_service_stats *s = stream_service_stats(svc);
    log_info("stats", "%s connections=%u bytes_in=%llu bytes_out=%llu", name, s->accepted,
             (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
}

static void shut_down(struct app *app)
{
    char err[EVENT_LOOP_ERR_LEN];
    log_service_stats("echo", app->echo);
    log_service_stats("serial", app->serial);
    stream_service_stop(app->echo);
    stream_service_stop(app->serial);
    iperf_service_stop(app->iperf);
    web_service_stop(app->web);
    app->web = NULL;
    app->echo = app->serial = NULL;
    app->iperf = NULL;
    connect_session_free(app->session);
    app->session = NULL;
    /* Let FIN exchanges finish, then reset whatever is left. */
    for (int waited = 0; waited < SHUTDOWN_GRACE_MS && stack_open_connections() > 0; waited += 50) {
        if (event_loop_run(&app->loop, 50, err) != 0) {
            break;
        }
    }
    int left = stack_open_connections();
    if (left > 0) {
        log_info("lwip-tap", "%d connection%s still open after the %d ms shutdown grace: resetting (RST)",
                 left, left == 1 ? "" : "s", SHUTDOWN_GRACE_MS);
    }
    tcp_statelog_set_context(STATELOG_CAUSE_SHUTDOWN);
    stack_abort_all();
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
    diagram_finish();
    stack_log_stats();
    stack_down(&app->stack);
}

/* Every address lwIP answers on, and its MAC: what to ping and what tcpdump shows. */
static void log_startup(const struct lwiptap_config *cfg, struct stack *stack)
{
    char ip4[IP4ADDR_STRLEN_MAX], ll[IP6ADDR_STRLEN_MAX], ip6[IP6ADDR_STRLEN_MAX + 8] = "";
    ip4addr_ntoa_r(&cfg->ip4, ip4, sizeof ip4);
    ip6addr_ntoa_r(netif_ip6_addr(&stack->netif, 0), ll, sizeof ll);
    if (cfg->has_ip6) {
        char a[IP6ADDR_STRLEN_MAX];
        ip6addr_ntoa_r(&cfg->ip6, a, sizeof a);
        snprintf(ip6, sizeof ip6, "%s/64 ", a);
    }
    endpoint_lowercase(ll);
    endpoint_lowercase(ip6);
    unsigned prefix = cli_prefix_len(cfg);
    const uint8_t *m = cfg->mac;
    log_info(
        "lwip-tap",
        "up on %s: %s/%u %s%s, MAC %02x:%02x:%02x:%02x:%02x:%02x, echo port %u, serial port %u, offload %s",
        cfg->tap, ip4, prefix, ip6, ll, m[0], m[1], m[2], m[3], m[4], m[5], cfg->echo_port, cfg->serial_port,
        stack->link_state.offload ? "on" : "off");
}

/* A --pcap file that cannot be written is found before the tap is created. */
static int pcap_writable(const char *path)
{
    FILE *f = fopen(path, "ab");
    if (f == NULL) {
        log_error("lwip-tap", "cannot write pcap file %s: %s", path, strerror(errno));
        return 0;
    }
    fclose(f);
    return 1;
}

static int run(const struct lwiptap_config *cfg)
{
    static struct app app; /* holds 128 KiB of frame buffers: not for the stack */
    char err[LINK_ERR_LEN] = "";
    lwiptap_debug_mask = cfg->debug_mask;
    lwiptap_diag_set_interface_name(cfg->tap);
    log_set_level(cfg->log_level);

    if ((cfg->pcap_path != NULL && !pcap_writable(cfg->pcap_path)) ||
        (cfg->pcap_stack_path != NULL && !pcap_writable(cfg->pcap_stack_path))) {
        return 1;
    }
    if (cfg->diagram_path != NULL && diagram_start(cfg->diagram_path, err, sizeof err) != 0) {
        log_error("lwip-tap", "%s", err);
        return 1;
    }
    struct link *link = build_link(cfg, err);
    if (link == NULL) {
        log_error("lwip-tap", "%s", err);
        diagram_finish();
        return 1;
    }
    mem_budget_set_limit((size_t)cfg->mem_limit_mib << 20);
    lwiptap_tcp_set_msl(cfg->msl_ms);
    lwip_init();
    struct tcp_guard_config guard = {.max_conns = cfg->max_conns};
    tcp_guard_init(&guard);
    tcp_statelog_init();
    tcp_statelog_set_enabled(cfg->state_log);
    tcp_statelog_set_explain(cfg->explain && cfg->state_log);
    stream_service_set_probe(tcp_statelog_probe);
    if (stack_up(&app.stack, cfg, link, err, sizeof err) != 0) {
        log_error("lwip-tap", "%s", err);
        link_destroy(link);
        diagram_finish();
        return 1;
    }
    app.signal_fd = open_signal_fd(err, sizeof err);
    event_loop_init(&app.loop, run_lwip_timers);
    event_loop_set_before_sleep(&app.loop, before_sleep, &app);
    if (app.signal_fd < 0 || start_service(cfg, &echo_service_ops, cfg->echo_port, &app.echo) != 0 ||
        start_service(cfg, &serial_service_ops, cfg->serial_port, &app.serial) != 0 ||
        (cfg->iperf && start_iperf(&app) != 0) ||
        (cfg->web_port != 0 && start_web(&app, cfg->web_port) != 0) ||
        event_loop_watch(&app.loop, link_wait_fd(link), on_link_ready, &app, err) != 0 ||
        event_loop_watch(&app.loop, app.signal_fd, on_signal, &app, err) != 0 ||
        (!cfg->has_connect && console_start(&app.loop, err) != 0)) {
        if (app.signal_fd < 0 || err[0] != '\0') {
            log_error("lwip-tap", "%s", err);
        }
        shut_down(&app);
        return 1;
    }
    log_startup(cfg, &app.stack);
    /* The session reads stdin, so the console does not. */
    if (cfg->has_connect && start_session(&app, cfg) != 0) {
        shut_down(&app);
        return 1;
    }
    int rc = event_loop_run(&app.loop, 0, err) == 0 ? 0 : 1;
    if (rc != 0) {
        log_error("lwip-tap", "%s", err);
    }
    rc = rc != 0 ? rc : app.exit_status;
    shut_down(&app);
    close(app.signal_fd);
    return rc;
}

int main(int argc, char **argv)
{
    struct lwiptap_config cfg;
    char err[256];
    switch (cli_parse(argc, argv, &cfg, stdout, err, sizeof err)) {
    case CLI_DONE:
        return 0;
    case CLI_ERROR:
        fprintf(stderr, "lwip-tap: %s\nTry 'lwip-tap --help'.\n", err);
        return 2;
    case CLI_RUN:
        break;
    }
    return run(&cfg);
}
