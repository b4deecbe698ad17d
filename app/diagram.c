#include "diagram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "endpoint.h"
#include "lwip/priv/tcp_priv.h"
#include "lwiptap/frame_info.h"
#include "lwiptap/log.h"
#include "lwiptap/timeline.h"
#include "tcp_statelog.h"

enum side { HOST = 0, LWIP = 1 };
enum event_kind { EVENT_SEGMENT, EVENT_STATE };

struct event {
    uint8_t kind;
    uint8_t from; /* the sender of a segment; the side whose state changed */
    uint8_t dropped, retransmission;
    uint64_t t_us;
    char text[112];
};

struct conn {
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    struct event *events;
    size_t count, cap;
    int truncated;
    uint64_t first_us;
    enum tcp_state host_state, lwip_first_state;
    int lwip_first_known;
    uint32_t host_fin_end; /* relative seq just past the host's FIN, once it sent one */
    int host_fin_sent;
    struct conn *next;
};

static char *base_path;
static struct conn *conns;
static unsigned files_started;
static int said_full;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct conn *find(const char *local, const char *remote, int create)
{
    for (struct conn *c = conns; c != NULL; c = c->next) {
        if (strcmp(c->local, local) == 0 && strcmp(c->remote, remote) == 0) {
            return c;
        }
    }
    if (!create) {
        return NULL;
    }
    if (files_started >= DIAGRAM_MAX_FILES) {
        if (!said_full) {
            log_warn("diagram", "only the first %u connections are drawn", DIAGRAM_MAX_FILES);
            said_full = 1;
        }
        return NULL;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    snprintf(c->local, sizeof c->local, "%s", local);
    snprintf(c->remote, sizeof c->remote, "%s", remote);
    c->first_us = now_us();
    c->host_state = CLOSED;
    c->next = conns;
    conns = c;
    files_started++;
    return c;
}

static struct event *add_event(struct conn *c, enum event_kind kind, enum side from)
{
    if (c->count == DIAGRAM_MAX_EVENTS) {
        c->truncated = 1;
        return NULL;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct event *grown = realloc(c->events, cap * sizeof *grown);
        if (grown == NULL) {
            c->truncated = 1;
            return NULL;
        }
        c->events = grown;
        c->cap = cap;
    }
    struct event *e = &c->events[c->count++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->from = (uint8_t)from;
    e->t_us = now_us() - c->first_us;
    return e;
}

static void host_enters(struct conn *c, enum tcp_state state)
{
    if (c->host_state == state) {
        return;
    }
    c->host_state = state;
    struct event *e = add_event(c, EVENT_STATE, HOST);
    if (e != NULL) {
        snprintf(e->text, sizeof e->text, "%s", tcp_debug_state_str(state));
    }
}

/* The host's states are not logged anywhere: they follow from RFC 9293's
 * diagram and the segments it sent and received. */
static void follow_host(struct conn *c, const struct timeline_segment *s)
{
    uint8_t f = s->flags;
    if (f & FRAME_TCP_RST) {
        if (!s->dropped) {
            host_enters(c, CLOSED);
        }
        return;
    }
    if (!s->tx) { /* the host sent it */
        if ((f & FRAME_TCP_SYN) && !(f & FRAME_TCP_ACK) && c->host_state == CLOSED) {
            host_enters(c, SYN_SENT);
        } else if ((f & FRAME_TCP_SYN) && (f & FRAME_TCP_ACK) && c->host_state == CLOSED) {
            host_enters(c, SYN_RCVD);
        }
        if ((f & FRAME_TCP_FIN) && !c->host_fin_sent) {
            c->host_fin_sent = 1;
            c->host_fin_end = s->seq + (uint32_t)s->len + 1;
            host_enters(c, c->host_state == CLOSE_WAIT ? LAST_ACK : FIN_WAIT_1);
        }
        return;
    }
    if (s->dropped) {
        return;
    }
    if ((f & FRAME_TCP_SYN) && (f & FRAME_TCP_ACK) && c->host_state == SYN_SENT) {
        host_enters(c, ESTABLISHED);
        return;
    }
    int fin_acked = c->host_fin_sent && (f & FRAME_TCP_ACK) && (int32_t)(s->ack - c->host_fin_end) >= 0;
    if ((f & FRAME_TCP_ACK) && c->host_state == SYN_RCVD) {
        host_enters(c, ESTABLISHED);
    }
    if (fin_acked) {
        if (c->host_state == FIN_WAIT_1) {
            host_enters(c, FIN_WAIT_2);
        } else if (c->host_state == CLOSING) {
            host_enters(c, TIME_WAIT);
        } else if (c->host_state == LAST_ACK) {
            host_enters(c, CLOSED);
        }
    }
    if (f & FRAME_TCP_FIN) {
        if (c->host_state == ESTABLISHED) {
            host_enters(c, CLOSE_WAIT);
        } else if (c->host_state == FIN_WAIT_1) {
            host_enters(c, CLOSING);
        } else if (c->host_state == FIN_WAIT_2) {
            host_enters(c, TIME_WAIT);
        }
    }
}

static void endpoint_of(int family, const uint8_t *bytes, uint16_t port, char *out, size_t outlen)
{
    ip_addr_t ip;
    if (family == AF_INET6) {
        u32_t words[4];
        memcpy(words, bytes, sizeof words);
        IP_ADDR6(&ip, words[0], words[1], words[2], words[3]);
    } else {
        u32_t word;
        memcpy(&word, bytes, sizeof word);
        ip_addr_set_ip4_u32_val(ip, word);
    }
    endpoint_format(&ip, port, out, outlen);
}

static void on_segment(const struct timeline_segment *s)
{
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    endpoint_of(s->family, s->local, s->local_port, local, sizeof local);
    endpoint_of(s->family, s->remote, s->remote_port, remote, sizeof remote);
    struct conn *c = find(local, remote, 1);
    if (c == NULL) {
        return;
    }
    struct event *e = add_event(c, EVENT_SEGMENT, s->tx ? LWIP : HOST);
    if (e != NULL) {
        char flags[8];
        frame_format_tcp_flags(s->flags, flags, sizeof flags);
        int n = snprintf(e->text, sizeof e->text, "[%s] seq %u", flags, s->seq);
        if (s->len > 0 && n > 0 && (size_t)n < sizeof e->text) {
            n += snprintf(e->text + n, sizeof e->text - (size_t)n, ":%u", s->seq + (uint32_t)s->len);
        }
        if ((s->flags & FRAME_TCP_ACK) && n > 0 && (size_t)n < sizeof e->text) {
            n += snprintf(e->text + n, sizeof e->text - (size_t)n, " ack %u", s->ack);
        }
        if (n > 0 && (size_t)n < sizeof e->text) {
            snprintf(e->text + n, sizeof e->text - (size_t)n, " win %u len %zu%s", s->window, s->len,
                     s->labels);
        }
        e->dropped = (uint8_t)s->dropped;
        e->retransmission = strstr(s->labels, "retransmission") != NULL;
    }
    follow_host(c, s);
}

static void write_svg(const struct conn *c, FILE *out);

static void file_name(unsigned index, char *out, size_t outlen)
{
    if (index == 1) {
        snprintf(out, outlen, "%s", base_path);
        return;
    }
    const char *dot = strrchr(base_path, '.');
    const char *slash = strrchr(base_path, '/');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        dot = base_path + strlen(base_path);
    }
    snprintf(out, outlen, "%.*s-%u%s", (int)(dot - base_path), base_path, index, dot);
}

static unsigned files_written;

static void finish_conn(struct conn *c)
{
    char path[4200];
    file_name(++files_written, path, sizeof path);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
    } else {
        write_svg(c, out);
        if (fclose(out) != 0) {
            log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
        } else {
            log_info("diagram", "%s %s: %zu events drawn in %s", c->local, c->remote, c->count, path);
        }
    }
    struct conn **link = &conns;
    while (*link != c) {
        link = &(*link)->next;
    }
    *link = c->next;
    free(c->events);
    free(c);
}

static void on_state(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip,
                     u16_t remote_port, enum tcp_state from, enum tcp_state to)
{
    char local[ENDPOINT_STRLEN], remote[ENDPOINT_STRLEN];
    endpoint_format(local_ip, local_port, local, sizeof local);
    endpoint_format(remote_ip, remote_port, remote, sizeof remote);
    struct conn *c = find(local, remote, 0);
    if (c == NULL) {
        return;
    }
    if (!c->lwip_first_known) {
        c->lwip_first_known = 1;
        c->lwip_first_state = from;
    }
    struct event *e = add_event(c, EVENT_STATE, LWIP);
    if (e != NULL) {
        snprintf(e->text, sizeof e->text, "%s", tcp_debug_state_str(to));
    }
    if (to == CLOSED) {
        finish_conn(c);
    }
}

int diagram_start(const char *path, char *err, size_t errlen)
{
    FILE *probe = fopen(path, "w");
    if (probe == NULL) {
        snprintf(err, errlen, "cannot write diagram %s: %s", path, strerror(errno));
        return -1;
    }
    fclose(probe);
    free(base_path);
    base_path = strdup(path);
    if (base_path == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    timeline_set_listener(on_segment);
    tcp_statelog_set_listener(on_state);
    return 0;
}

void diagram_finish(void)
{
    timeline_set_listener(NULL);
    tcp_statelog_set_listener(NULL);
    while (conns != NULL) {
        struct conn *oldest = conns;
        while (oldest->next != NULL) {
            oldest = oldest->next;
        }
        finish_conn(oldest);
    }
    free(base_path);
    base_path = NULL;
}

/* ---- drawing ---- */

#define WIDTH 980
#define HOST_X 250
#define LWIP_X 730
#define TOP 96
#define SEGMENT_ROW 40
#define STATE_ROW 20
#define ARROW_DROP 26

static void put_text(FILE *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '&') {
            fputs("&amp;", out);
        } else if (*p == '<') {
            fputs("&lt;", out);
        } else if (*p == '>') {
            fputs("&gt;", out);
        } else {
            fputc(*p, out);
        }
    }
}

static void draw_segment(FILE *out, const struct event *e, int y)
{
    int x1 = e->from == HOST ? HOST_X : LWIP_X;
    int x2 = e->from == HOST ? LWIP_X : HOST_X;
    int y2 = y + ARROW_DROP;
    const char *colour = e->retransmission ? "#c0392b" : "#1f3a93";
    fprintf(out, "<g class=\"segment %s%s%s\">\n", e->from == HOST ? "from-host" : "from-lwip",
            e->dropped ? " dropped" : "", e->retransmission ? " retransmission" : "");
    fprintf(out, "<text x=\"16\" y=\"%d\" class=\"time\">+%.3f ms</text>\n", y + 4, (double)e->t_us / 1000.0);
    if (e->dropped) {
        int xm = (x1 + x2) / 2, ym = (y + y2) / 2;
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                x1, y, xm, ym, colour);
        fprintf(out,
                "<path class=\"lost\" d=\"M%d %d l12 12 m0 -12 l-12 12\" stroke=\"#c0392b\" "
                "stroke-width=\"2.5\"/>\n",
                xm - 6, ym - 6);
    } else {
        fprintf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" "
                "marker-end=\"url(#arrow)\"/>\n",
                x1, y, x2, y2, colour);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"label\" fill=\"%s\">",
            (HOST_X + LWIP_X) / 2, y + 2, colour);
    put_text(out, e->text);
    if (e->dropped) {
        put_text(out, " LOST");
    }
    fputs("</text>\n</g>\n", out);
}

static void draw_state(FILE *out, const char *state, enum side side, int y)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"state %s\">",
            side == HOST ? HOST_X - 10 : LWIP_X + 10, y, side == HOST ? "end" : "start",
            side == HOST ? "host" : "lwip");
    put_text(out, state);
    fputs("</text>\n", out);
}

static void write_svg(const struct conn *c, FILE *out)
{
    int height = TOP + 40;
    for (size_t i = 0; i < c->count; i++) {
        height += c->events[i].kind == EVENT_SEGMENT ? SEGMENT_ROW : STATE_ROW;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<title>", out);
    put_text(out, c->remote);
    fputs(" - ", out);
    put_text(out, c->local);
    fputs("</title>\n", out);
    fputs("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
          "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\" "
          "fill=\"context-stroke\"/>"
          "</marker>\n<style>text{font-family:monospace;font-size:12px}.state{font-weight:bold;fill:#186a3b}"
          ".time{fill:#777}.end{font-size:14px;font-weight:bold}</style></defs>\n",
          out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height);
    fprintf(out, "<text x=\"%d\" y=\"28\" text-anchor=\"middle\" class=\"end host-name\">host ", HOST_X);
    put_text(out, c->remote);
    fprintf(out, "</text>\n<text x=\"%d\" y=\"28\" text-anchor=\"middle\" class=\"end lwip-name\">lwIP ",
            LWIP_X);
    put_text(out, c->local);
    fputs("</text>\n", out);
    fprintf(out,
            "<line class=\"lifeline host\" x1=\"%d\" y1=\"56\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" "
            "stroke-width=\"2\"/>\n",
            HOST_X, HOST_X, height - 10);
    fprintf(out,
            "<line class=\"lifeline lwip\" x1=\"%d\" y1=\"56\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" "
            "stroke-width=\"2\"/>\n",
            LWIP_X, LWIP_X, height - 10);
    draw_state(out, "CLOSED", HOST, 72);
    draw_state(out, tcp_debug_state_str(c->lwip_first_known ? c->lwip_first_state : CLOSED), LWIP, 72);
    int y = TOP;
    for (size_t i = 0; i < c->count; i++) {
        const struct event *e = &c->events[i];
        if (e->kind == EVENT_SEGMENT) {
            draw_segment(out, e, y);
            y += SEGMENT_ROW;
        } else {
            draw_state(out, e->text, (enum side)e->from, y);
            y += STATE_ROW;
        }
    }
    if (c->truncated) {
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">... more events than the %d drawn</text>\n",
                (HOST_X + LWIP_X) / 2, y + 10, DIAGRAM_MAX_EVENTS);
    }
    fputs("</svg>\n", out);
}
