#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lwiptap/frame_info.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"
#include "lwiptap/tx_note.h"
#include "conn_model.h"
#include "tcp_flows.h"
#include "timeline_analysis.h"
#include "timeline_format.h"

struct timeline_link {
    struct link base;
    struct link *inner;
};

/* One timeline per process, switchable while it runs. */
static struct timeline_options options;
/* --explain: the peer's state changes the model found on the segment being
 * shown, said under it (or at once when no segment is being shown). */
#define PEER_NOTES 4
static char peer_notes[PEER_NOTES][320];
static int peer_note_count, collecting, explaining_peer;

static void explain_peer(const struct conn_event *e, void *ctx);

void timeline_configure(const struct timeline_options *new_options)
{
    options = *new_options;
    if (options.explain && !explaining_peer) {
        explaining_peer = conn_events_subscribe(explain_peer, NULL) == 0;
    } else if (!options.explain && explaining_peer) {
        conn_events_unsubscribe(explain_peer, NULL);
        explaining_peer = 0;
    }
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t (*now_us)(void) = monotonic_us;

void timeline_set_clock(uint64_t (*clock_us)(void))
{
    now_us = clock_us != NULL ? clock_us : monotonic_us;
}

static void elapsed_text(const struct flow *flow, uint64_t now, char *out, size_t outlen)
{
    uint64_t us = now - flow->first_us;
    snprintf(out, outlen, "t+%llu.%06llu ", (unsigned long long)(us / 1000000u),
             (unsigned long long)(us % 1000000u));
}

/* As tcpdump on a TSO NIC shows: one large segment that the kernel cuts into
 * (or made from) gso_size pieces. */
static void offload_text(const struct link_meta *meta, char *out, size_t outlen)
{
    out[0] = '\0';
    if (meta != NULL && meta->gso_type != LINK_GSO_NONE) {
        snprintf(out, outlen, " [super-frame of %u-byte segments]", meta->gso_size);
    }
}

/* A frame's timeline entry: worked out when the frame passes (so that the
 * connection's analysis sees every frame lwIP sent, even one a fault stage
 * then drops), printed once its fate is known. */
struct entry {
    char line[1100];
    char why[640]; /* --explain */
    int is_tcp;
    struct flow_key key;
    uint64_t now;
    struct frame_tcp tcp;
    struct seg_note note;
    char labels[192];
};

uint64_t timeline_now_us(void)
{
    return now_us();
}

/* The connection model gets the segment once its fate is known. */
static void tell_model(const struct entry *e, int tx, int dropped)
{
    if (!e->is_tcp) {
        return;
    }
    struct flow *flow = flow_find(&e->key, 0, 0);
    if (flow != NULL) {
        conn_model_segment(flow, &e->tcp, tx, dropped, &e->note, e->labels, e->line, e->why, e->now);
    }
}

static void make_entry(const uint8_t *frame, size_t len, int tx, const struct link_meta *meta,
                       struct entry *e)
{
    char offload[48], body[768];
    e->line[0] = '\0';
    e->why[0] = '\0';
    e->labels[0] = '\0';
    e->is_tcp = 0;
    struct frame_tcp tcp;
    uint64_t now = now_us();
    struct flow *flow = NULL;
    if (frame_tcp_parse(frame, len, &tcp) == 0) {
        flow_key_of(&tcp, tx, &e->key);
        flow = flow_find(&e->key, 1, now);
    }
    if (flow == NULL) {
        if (options.print) {
            offload_text(meta, offload, sizeof offload);
            frame_describe(frame, len, body, sizeof body);
            snprintf(e->line, sizeof e->line, "%s %zuB %s%s", tx ? "tx" : "rx", len, body, offload);
        }
        return;
    }
    struct seg_note *note = &e->note;
    conn_model_begin(flow, &tcp, now);
    timeline_analyse(flow, &tcp, tx, now, note);
    if (tx && (tx_note_take() & TX_NOTE_SYN_COOKIE)) {
        note->labels |= SEG_SYN_COOKIE;
    }
    e->is_tcp = 1;
    e->tcp = tcp;
    e->now = now;
    if (!options.print && !conn_model_wanted()) {
        return;
    }
    timeline_format_labels(note, e->labels, sizeof e->labels);
    if (!options.print && !conn_model_text_wanted()) {
        return;
    }
    struct seg_note shown = *note;
    if (options.absolute) {
        shown.seq_base = 0;
        shown.ack_base = 0;
    }
    char elapsed[32];
    elapsed_text(flow, now, elapsed, sizeof elapsed);
    timeline_format_segment(&tcp, &shown, body, sizeof body);
    offload_text(meta, offload, sizeof offload);
    snprintf(e->line, sizeof e->line, "%s %zuB %s%s%s%s", tx ? "tx" : "rx", len, elapsed, body, e->labels,
             offload);
    if (options.explain || conn_model_text_wanted()) {
        timeline_explain_segment(flow, &tcp, &shown, tx, e->why, sizeof e->why);
    }
}

/* --explain: the peer's state changes the model found on this segment,
 * said under it (or at once when no segment is being shown). */

static void explain_peer(const struct conn_event *e, void *ctx)
{
    (void)ctx;
    if (e->kind != CONN_EVENT_PEER_STATE || !options.explain) {
        return;
    }
    char text[320];
    timeline_explain_peer(e, text, sizeof text);
    if (!collecting) {
        log_requested_folded("explain", text);
    } else if (peer_note_count < PEER_NOTES) {
        snprintf(peer_notes[peer_note_count++], sizeof peer_notes[0], "%s", text);
    }
}

static void print_entry(const struct entry *e)
{
    if (e->line[0] != '\0' && options.print) {
        log_requested("link", "%s", e->line);
    }
    if (e->why[0] != '\0' && options.print && options.explain) {
        log_requested_folded("explain", e->why);
    }
    for (int i = 0; i < peer_note_count; i++) {
        log_requested_folded("explain", peer_notes[i]);
    }
    peer_note_count = 0;
}

/* The model hears of the segment first, so that what it found is said under it. */
static void tell_model_collecting(const struct entry *e, int tx, int dropped)
{
    collecting = 1;
    peer_note_count = 0;
    tell_model(e, tx, dropped);
    collecting = 0;
}

/* The output frame being sent right now, for timeline_describe(): a fault
 * stage inside this one that drops it says what the timeline would have. */
static const struct entry *sending;

static ssize_t timeline_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct timeline_link *t = (struct timeline_link *)self;
    ssize_t n = link_recv(t->inner, buf, cap, meta, err);
    if (n > 0) {
        struct entry e;
        make_entry(buf, (size_t)n, 0, meta, &e);
        tell_model_collecting(&e, 0, 0);
        print_entry(&e);
    }
    return n;
}

/* A frame a fault stage dropped was shown by that stage, and one the tap
 * refused never left: only a frame that was sent is shown as sent. */
static int timeline_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                         char *err)
{
    struct timeline_link *t = (struct timeline_link *)self;
    struct entry e;
    make_entry(frame, len, 1, meta, &e);
    sending = &e;
    int sent = link_send(t->inner, frame, len, meta, err);
    sending = NULL;
    if (sent >= 0) {
        tell_model_collecting(&e, 1, sent == LINK_SEND_DROPPED);
    }
    if (sent == 0) {
        print_entry(&e);
    } else if (sent < 0 && options.print) {
        log_requested("link", "%s NOT SENT: %s", e.line, err);
    }
    return sent;
}

static unsigned timeline_caps(const struct link *self)
{
    return link_caps(((const struct timeline_link *)self)->inner);
}

static int timeline_wait_fd(const struct link *self)
{
    return link_wait_fd(((const struct timeline_link *)self)->inner);
}

static void timeline_destroy(struct link *self)
{
    struct timeline_link *t = (struct timeline_link *)self;
    link_destroy(t->inner);
    link_fault_set_reporter(NULL);
    free(t);
}

static const struct link_ops timeline_ops = {timeline_recv, timeline_send, timeline_wait_fd, timeline_destroy,
                                             timeline_caps};

struct link *link_timeline_new(struct link *inner, const struct timeline_options *config)
{
    struct timeline_link *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->base.ops = &timeline_ops;
    t->inner = inner;
    timeline_configure(config);
    static const struct link_fault_reporter reporter = {timeline_describe, timeline_input_dropped};
    link_fault_set_reporter(&reporter);
    return &t->base;
}

void timeline_describe(const uint8_t *frame, size_t len, int tx, char *out, size_t outlen)
{
    if (tx && sending != NULL && sending->line[0] != '\0') {
        snprintf(out, outlen, "%s", sending->line);
        return;
    }
    struct frame_tcp tcp;
    if (frame_tcp_parse(frame, len, &tcp) != 0) {
        char summary[256];
        frame_describe(frame, len, summary, sizeof summary);
        snprintf(out, outlen, "%s %zuB %s", tx ? "tx" : "rx", len, summary);
        return;
    }
    struct flow_key key;
    flow_key_of(&tcp, tx, &key);
    const struct flow *flow = flow_find(&key, 0, 0);
    struct seg_note note = {0};
    note.window = tcp.window;
    note.seq_base = tcp.seq;
    char elapsed[32] = "";
    if (flow != NULL) {
        const struct flow_half *s = &flow->half[tx ? FLOW_LWIP : FLOW_PEER];
        const struct flow_half *r = &flow->half[tx ? FLOW_PEER : FLOW_LWIP];
        /* A first SYN lost before the timeline saw it counts from itself,
         * as its copy will when it arrives. */
        note.seq_base = s->has_isn ? s->isn : tcp.seq;
        note.ack_base = r->has_isn ? r->isn : 0;
        note.window = flow_window_bytes(flow, s, &tcp);
        elapsed_text(flow, now_us(), elapsed, sizeof elapsed);
    }
    if (options.absolute) {
        note.seq_base = 0;
        note.ack_base = 0;
    }
    char line[640];
    timeline_format_segment(&tcp, &note, line, sizeof line);
    snprintf(out, outlen, "%s %zuB %s%s", tx ? "tx" : "rx", len, elapsed, line);
}

void timeline_input_dropped(const uint8_t *frame, size_t len)
{
    struct entry e = {.is_tcp = 0};
    if (frame_tcp_parse(frame, len, &e.tcp) != 0) {
        return;
    }
    e.now = now_us();
    flow_key_of(&e.tcp, 0, &e.key);
    /* A lost first SYN starts its connection's picture too. */
    struct flow *flow = flow_find(&e.key, 1, e.now);
    if (flow == NULL) {
        return;
    }
    conn_model_begin(flow, &e.tcp, e.now);
    /* Numbered as the fault: line numbers it (timeline_describe): the frame
     * never reached the timeline's analysis. */
    const struct flow_half *s = &flow->half[FLOW_PEER];
    const struct flow_half *r = &flow->half[FLOW_LWIP];
    e.is_tcp = 1;
    e.note.seq_base = s->has_isn ? s->isn : e.tcp.seq;
    e.note.ack_base = r->has_isn ? r->isn : 0;
    e.note.window = flow_window_bytes(flow, s, &e.tcp);
    e.labels[0] = '\0';
    tell_model(&e, 0, 1);
}

int timeline_counts(int family, const uint8_t *local, uint16_t local_port, const uint8_t *remote,
                    uint16_t remote_port, struct timeline_counts *out)
{
    struct flow_key key;
    flow_key_make(family, local, local_port, remote, remote_port, &key);
    const struct flow *flow = flow_find(&key, 0, 0);
    if (flow == NULL) {
        return -1;
    }
    out->sent = flow->half[FLOW_LWIP].counts;
    out->received = flow->half[FLOW_PEER].counts;
    return 0;
}

void timeline_reset(void)
{
    flow_forget_all();
}
