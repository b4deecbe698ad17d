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

#include "diagram_svg.h"

static char *base_path;
static struct diagram_conn *conns;
static unsigned files_started;
static int said_full;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct diagram_conn *find(const char *local, const char *remote, int create)
{
    for (struct diagram_conn *c = conns; c != NULL; c = c->next) {
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
    struct diagram_conn *c = calloc(1, sizeof *c);
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

static struct diagram_event *add_event(struct diagram_conn *c, enum diagram_event_kind kind,
                                       enum diagram_side from)
{
    if (c->count == DIAGRAM_MAX_EVENTS) {
        c->truncated = 1;
        return NULL;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct diagram_event *grown = realloc(c->events, cap * sizeof *grown);
        if (grown == NULL) {
            c->truncated = 1;
            return NULL;
        }
        c->events = grown;
        c->cap = cap;
    }
    struct diagram_event *e = &c->events[c->count++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->from = (uint8_t)from;
    e->t_us = now_us() - c->first_us;
    return e;
}

static void host_enters(struct diagram_conn *c, enum tcp_state state)
{
    if (c->host_state == state) {
        return;
    }
    c->host_state = state;
    struct diagram_event *e = add_event(c, EVENT_STATE, HOST);
    if (e != NULL) {
        snprintf(e->text, sizeof e->text, "%s", tcp_debug_state_str(state));
    }
}

/* The host's states are not logged anywhere: they follow from RFC 9293's
 * diagram and the segments it sent and received. */
static void follow_host(struct diagram_conn *c, const struct timeline_segment *s)
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
    struct diagram_conn *c = find(local, remote, 1);
    if (c == NULL) {
        return;
    }
    struct diagram_event *e = add_event(c, EVENT_SEGMENT, s->tx ? LWIP : HOST);
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

static void finish_conn(struct diagram_conn *c)
{
    char path[4200];
    file_name(++files_written, path, sizeof path);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
    } else {
        diagram_write_svg(c, out);
        if (fclose(out) != 0) {
            log_warn("diagram", "cannot write %s: %s", path, strerror(errno));
        } else {
            log_info("diagram", "%s %s: %zu events drawn in %s", c->local, c->remote, c->count, path);
        }
    }
    struct diagram_conn **link = &conns;
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
    struct diagram_conn *c = find(local, remote, 0);
    if (c == NULL) {
        return;
    }
    if (!c->lwip_first_known) {
        c->lwip_first_known = 1;
        c->lwip_first_state = from;
    }
    struct diagram_event *e = add_event(c, EVENT_STATE, LWIP);
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
    timeline_add_listener(on_segment, 0);
    tcp_statelog_add_listener(on_state);
    return 0;
}

void diagram_finish(void)
{
    timeline_remove_listener(on_segment);
    tcp_statelog_remove_listener(on_state);
    while (conns != NULL) {
        struct diagram_conn *oldest = conns;
        while (oldest->next != NULL) {
            oldest = oldest->next;
        }
        finish_conn(oldest);
    }
    free(base_path);
    base_path = NULL;
}
