/* The drawing. Rows go down in the order of the events on the wire (the
 * tap's time), not to scale: a gap longer than BREAK_US is cut, and a break
 * mark says how long it was. lwIP's end of each arrow is at its row; the
 * host's end is placed from what the host had seen when it sent (its ack
 * numbers, struct conn_segment's peer_saw_before), so segments that crossed
 * on the wire are drawn crossing. */
#include "diagram_svg.h"

#include <stdlib.h>
#include <string.h>

#include "diagram.h"
#include "lwip/tcp.h"
#include "lwiptap/conn_events.h"

#define WIDTH 1180
#define HOST_X 220
#define LWIP_X 880
#define TOP 128
#define SEGMENT_ROW 48
#define STATE_ROW 20
#define BREAK_ROW 30
#define DROP 18 /* how far an arrow falls from one time line to the other */
#define BREAK_US 100000u
#define LABEL_CHARS 88 /* what fits between the time lines at 12px monospace */

static void put_text(FILE *out, const char *text, size_t max)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++, n++) {
        if (n + 1 == max && p[1] != '\0') {
            fputs("...", out);
            return;
        }
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

/* Where each event is drawn. */
struct layout {
    int *row;    /* per event: its y (lwIP's end of a segment) */
    int *host_y; /* per segment number: the host's end of its arrow */
    int *lwip_y; /* per segment number: lwIP's end of its arrow */
    int *from_lwip;
    int *dropped;
    int height;
};

static void place_host_sent(const struct diagram_conn *c, struct layout *l, const struct diagram_event *e,
                            int last_host_send)
{
    uint32_t n = e->segment;
    int y = l->lwip_y[n] - DROP;
    int lo = last_host_send + 2, hi = 1 << 30;
    for (uint32_t k = 1; k < n && k <= c->segments; k++) {
        if (!l->from_lwip[k] || l->dropped[k] || l->host_y[k] == 0) {
            continue;
        }
        if (k < e->peer_saw_before && l->host_y[k] + 2 > lo) {
            lo = l->host_y[k] + 2; /* it had received that one: it sends after */
        } else if (k >= e->peer_saw_before && l->host_y[k] - 6 < hi) {
            hi = l->host_y[k] - 6; /* it had not: it sends before that one arrives */
        }
    }
    if (hi != 1 << 30 && y > hi) {
        y = hi;
    }
    if (y < lo) {
        y = lo;
    }
    l->host_y[n] = y;
}

static int layout(const struct diagram_conn *c, struct layout *l)
{
    size_t nseg = (size_t)c->segments + 1;
    l->row = calloc(c->count + 1, sizeof *l->row);
    l->host_y = calloc(nseg, sizeof *l->host_y);
    l->lwip_y = calloc(nseg, sizeof *l->lwip_y);
    l->from_lwip = calloc(nseg, sizeof *l->from_lwip);
    l->dropped = calloc(nseg, sizeof *l->dropped);
    if (l->row == NULL || l->host_y == NULL || l->lwip_y == NULL || l->from_lwip == NULL ||
        l->dropped == NULL) {
        return -1;
    }
    int y = TOP, last_host_send = 0, fin_state_y = 0, rows_since_fin_state = 0;
    uint64_t last_t = 0;
    for (size_t i = 0; i < c->count; i++) {
        const struct diagram_event *e = &c->events[i];
        if (e->kind == EVENT_PEER_STATE) {
            continue; /* drawn at the host's end of its segment */
        }
        if (i > 0 && e->t_us > last_t + BREAK_US) {
            y += BREAK_ROW;
        }
        last_t = e->t_us;
        if (e->kind == EVENT_LWIP_STATE) {
            l->row[i] = y;
            if (e->state == FIN_WAIT_1 || e->state == LAST_ACK) {
                fin_state_y = y;
                rows_since_fin_state = 0;
            }
            y += STATE_ROW;
            continue;
        }
        y += SEGMENT_ROW / 2;
        l->row[i] = y;
        uint32_t n = e->segment;
        if (n < nseg) {
            l->lwip_y[n] = y;
            l->from_lwip[n] = e->from == LWIP;
            l->dropped[n] = e->dropped;
            if (e->from == LWIP) {
                /* lwIP sent its FIN when it entered FIN_WAIT_1 or LAST_ACK; held on
                 * the way (--cross-fins), it reached the wire later. */
                if (e->fin && fin_state_y != 0 && rows_since_fin_state > 0) {
                    l->lwip_y[n] = fin_state_y;
                }
                if (e->fin) {
                    fin_state_y = 0;
                }
                l->host_y[n] = y + DROP;
            } else {
                place_host_sent(c, l, e, last_host_send);
                last_host_send = l->host_y[n];
                rows_since_fin_state++;
            }
        }
        y += SEGMENT_ROW / 2 + (e->detail[0] != '\0' ? 14 : 0);
    }
    l->height = y + 60;
    return 0;
}

static void free_layout(struct layout *l)
{
    free(l->row);
    free(l->host_y);
    free(l->lwip_y);
    free(l->from_lwip);
    free(l->dropped);
}

static void draw_segment(FILE *out, const struct layout *l, const struct diagram_event *e, int row,
                         uint32_t unanswered_from)
{
    uint32_t n = e->segment;
    int host_y = l->host_y[n], lwip_y = l->lwip_y[n];
    int x1 = e->from == HOST ? HOST_X : LWIP_X, y1 = e->from == HOST ? host_y : lwip_y;
    int x2 = e->from == HOST ? LWIP_X : HOST_X, y2 = e->from == HOST ? lwip_y : host_y;
    int unanswered = e->from == LWIP && unanswered_from != 0 && n >= unanswered_from;
    const char *colour = e->retransmission ? "#c0392b" : "#1f3a93";
    fprintf(out, "<g class=\"segment %s%s%s%s\">\n", e->from == HOST ? "from-host" : "from-lwip",
            e->dropped ? " dropped" : "", e->retransmission ? " retransmission" : "",
            unanswered ? " unanswered" : "");
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"time\">+%.3f ms</text>\n", WIDTH - 8,
            row + 4, (double)e->t_us / 1000.0);
    int xm = (x1 + x2) / 2, ym = (y1 + y2) / 2;
    if (e->dropped) {
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                x1, y1, xm, ym, colour);
        fprintf(out,
                "<path class=\"lost\" d=\"M%d %d l12 12 m0 -12 l-12 12\" stroke=\"#c0392b\" "
                "stroke-width=\"2.5\"/>\n",
                xm - 6, ym - 6);
    } else {
        fprintf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\"%s "
                "marker-end=\"url(#arrow)\"/>\n",
                x1, y1, x2, y2, colour, unanswered ? " stroke-dasharray=\"6 4\"" : "");
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"label\" fill=\"%s\">", xm, ym - 7,
            colour);
    put_text(out, e->text, LABEL_CHARS);
    if (e->dropped) {
        put_text(out, " LOST", LABEL_CHARS);
    }
    fputs("</text>\n", out);
    if (e->detail[0] != '\0' || unanswered) {
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"detail\" fill=\"%s\">", xm,
                ym + 13, colour);
        put_text(out, e->detail, LABEL_CHARS);
        if (unanswered) {
            put_text(out, e->detail[0] != '\0' ? " arrival not known" : "arrival not known", LABEL_CHARS);
        }
        fputs("</text>\n", out);
    }
    fputs("</g>\n", out);
}

static void draw_state(FILE *out, const char *state, enum diagram_side side, int y, const char *extra)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"state %s\">",
            side == HOST ? HOST_X - 10 : LWIP_X + 10, y, side == HOST ? "end" : "start",
            side == HOST ? "host" : "lwip");
    put_text(out, state, 40);
    fputs("</text>\n", out);
    if (extra != NULL && extra[0] != '\0') {
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"note\">",
                side == HOST ? HOST_X - 10 : LWIP_X + 10, y + 13, side == HOST ? "end" : "start");
        put_text(out, extra, 40);
        fputs("</text>\n", out);
    }
}

static void draw_break(FILE *out, int y, uint64_t gap_us)
{
    fprintf(out, "<g class=\"break\">\n");
    for (int x = HOST_X; x <= LWIP_X; x += LWIP_X - HOST_X) {
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"white\"/>\n", x - 6, y - 5);
        fprintf(out, "<path d=\"M%d %d l12 -4 M%d %d l12 -4\" stroke=\"#444\" stroke-width=\"1.5\"/>\n",
                x - 6, y - 1, x - 6, y + 5);
    }
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"cut\">%.3f s later (cut)</text>\n</g>\n",
            (HOST_X + LWIP_X) / 2, y + 4, (double)gap_us / 1e6);
}

static void draw_legend(FILE *out)
{
    int y = 50;
    fprintf(out, "<g class=\"legend\">\n");
    fprintf(out, "<line x1=\"20\" y1=\"%d\" x2=\"60\" y2=\"%d\" stroke=\"#1f3a93\" stroke-width=\"1.5\"/>", y,
            y);
    fprintf(out, "<text x=\"66\" y=\"%d\">segment</text>\n", y + 4);
    fprintf(out, "<line x1=\"150\" y1=\"%d\" x2=\"190\" y2=\"%d\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>",
            y, y);
    fprintf(out, "<text x=\"196\" y=\"%d\">retransmission</text>\n", y + 4);
    fprintf(out,
            "<path d=\"M320 %d l10 10 m0 -10 l-10 10\" stroke=\"#c0392b\" stroke-width=\"2.5\"/>"
            "<text x=\"336\" y=\"%d\">lost (dropped)</text>\n",
            y - 5, y + 4);
    fprintf(out,
            "<line x1=\"460\" y1=\"%d\" x2=\"500\" y2=\"%d\" stroke=\"#1f3a93\" stroke-dasharray=\"6 4\"/>"
            "<text x=\"506\" y=\"%d\">no answer: arrival not known</text>\n",
            y, y, y + 4);
    fprintf(out, "<text x=\"716\" y=\"%d\">rows in time order, not to scale; gaps over %u ms cut</text>\n",
            y + 4, BREAK_US / 1000);
    fprintf(out,
            "<text x=\"20\" y=\"%d\">numbers as --trace prints them (relative seq/ack, scaled windows); the "
            "host's states follow from its seq/ack numbers, \"?\" where they do not tell</text>\n</g>\n",
            y + 22);
}

/* lwIP's TIME_WAIT: how long it lasted, known from the change after it. */
static void lwip_extra(const struct diagram_conn *c, size_t i, char *out, size_t outlen)
{
    out[0] = '\0';
    if (c->events[i].state != TIME_WAIT) {
        return;
    }
    for (size_t j = i + 1; j < c->count; j++) {
        if (c->events[j].kind == EVENT_LWIP_STATE) {
            /* Only lwIP's timer ends TIME_WAIT after 2 MSL; a shutdown, for one, cuts it short. */
            const double secs = (double)(c->events[j].t_us - c->events[i].t_us) / 1e6;
            if (strncmp(c->events[j].detail, "timer", 5) == 0) {
                snprintf(out, outlen, "for %.3f s (2 MSL)", secs);
            } else {
                snprintf(out, outlen, "for %.3f s, cut short (via %.40s)", secs, c->events[j].detail);
            }
            return;
        }
    }
    snprintf(out, outlen, "(still, at exit)");
}

static void draw_host_states(FILE *out, const struct diagram_conn *c, const struct layout *l,
                             uint32_t *unanswered_from)
{
    int last_y = 0;
    size_t last = c->count;
    for (size_t i = 0; i < c->count; i++) {
        if (c->events[i].kind == EVENT_PEER_STATE) {
            last = i;
        }
    }
    for (size_t i = 0; i < c->count; i++) {
        const struct diagram_event *e = &c->events[i];
        if (e->kind != EVENT_PEER_STATE || e->segment == 0 || e->segment > c->segments) {
            continue;
        }
        int y = l->host_y[e->segment] + (e->at_send ? -4 : 12);
        if (y < last_y + 14) {
            y = last_y + 14;
        }
        last_y = y;
        const char *extra = NULL;
        if (e->certainty == CONN_NO_ANSWER) {
            *unanswered_from = e->segment;
            extra = "(no answer: not known)";
        } else if (i == last && e->state == TIME_WAIT) {
            extra = "(end not seen)";
        } else if (e->certainty == CONN_ASSUMED) {
            extra = NULL;
        }
        draw_state(out, e->text, HOST, y, extra);
    }
}

void diagram_write_svg(const struct diagram_conn *c, FILE *out)
{
    struct layout l = {0};
    if (layout(c, &l) != 0) {
        free_layout(&l);
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
              out);
        return;
    }
    int height = l.height;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<title>", out);
    put_text(out, c->remote, 80);
    fputs(" -&gt; ", out);
    put_text(out, c->local, 80);
    fputs("</title>\n", out);
    fputs("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
          "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\" "
          "fill=\"context-stroke\"/>"
          "</marker>\n<style>text{font-family:monospace;font-size:12px}.state{font-weight:bold;fill:#186a3b}"
          ".note,.cut{fill:#555;font-style:italic}.time{fill:#777}.legend text{font-size:11px;fill:#333}"
          ".end{font-size:14px;font-weight:bold}</style></defs>\n",
          out);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height);
    fprintf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" class=\"end host-name\">host ", HOST_X);
    put_text(out, c->remote, 80);
    fprintf(out, "</text>\n<text x=\"%d\" y=\"24\" text-anchor=\"middle\" class=\"end lwip-name\">lwIP ",
            LWIP_X);
    put_text(out, c->local, 80);
    fputs("</text>\n", out);
    draw_legend(out);
    for (int x = HOST_X; x <= LWIP_X; x += LWIP_X - HOST_X) {
        fprintf(out,
                "<line class=\"lifeline %s\" x1=\"%d\" y1=\"84\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" "
                "stroke-width=\"2\"/>\n",
                x == HOST_X ? "host" : "lwip", x, x, height - 10);
    }
    draw_state(out, conn_state_name(c->host_first_state), HOST, 100, NULL);
    draw_state(out, conn_state_name(c->lwip_first_state == CONN_STATE_UNKNOWN ? CLOSED : c->lwip_first_state),
               LWIP, 100, NULL);
    uint32_t unanswered_from = 0;
    draw_host_states(out, c, &l, &unanswered_from);
    uint64_t last_t = 0;
    int first = 1;
    for (size_t i = 0; i < c->count; i++) {
        const struct diagram_event *e = &c->events[i];
        if (e->kind == EVENT_PEER_STATE) {
            continue;
        }
        if (!first && e->t_us > last_t + BREAK_US) {
            draw_break(out, l.row[i] - (e->kind == EVENT_SEGMENT ? SEGMENT_ROW / 2 : 0) - BREAK_ROW / 2,
                       e->t_us - last_t);
        }
        first = 0;
        last_t = e->t_us;
        if (e->kind == EVENT_SEGMENT) {
            if (e->segment <= c->segments) {
                draw_segment(out, &l, e, l.row[i], unanswered_from);
            }
        } else {
            char extra[160];
            lwip_extra(c, i, extra, sizeof extra);
            draw_state(out, e->text, LWIP, l.row[i] + 4, extra);
        }
    }
    if (c->truncated) {
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">... more events than the %d drawn</text>\n",
                (HOST_X + LWIP_X) / 2, height - 30, DIAGRAM_MAX_EVENTS);
    }
    fputs("</svg>\n", out);
    free_layout(&l);
}
