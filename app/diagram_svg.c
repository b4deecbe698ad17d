#include "diagram_svg.h"

#include "diagram.h"
#include "lwip/priv/tcp_priv.h"

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

static void draw_segment(FILE *out, const struct diagram_event *e, int y)
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

static void draw_state(FILE *out, const char *state, enum diagram_side side, int y)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"state %s\">",
            side == HOST ? HOST_X - 10 : LWIP_X + 10, y, side == HOST ? "end" : "start",
            side == HOST ? "host" : "lwip");
    put_text(out, state);
    fputs("</text>\n", out);
}

void diagram_write_svg(const struct diagram_conn *c, FILE *out)
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
        const struct diagram_event *e = &c->events[i];
        if (e->kind == EVENT_SEGMENT) {
            draw_segment(out, e, y);
            y += SEGMENT_ROW;
        } else {
            draw_state(out, e->text, (enum diagram_side)e->from, y);
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
