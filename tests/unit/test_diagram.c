/* The connection model (lwiptap/conn_events.h) and the --diagram drawn from
 * it: the peer's states from its ack numbers, crossing FINs drawn crossing,
 * the files named in opening order. A peer on the fake link, the fake clock. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagram.h"
#include "fake_clock.h"
#include "fixture.h"
#include "lwip/tcp.h"
#include "lwiptap/conn_events.h"
#include "lwiptap/tcp_msl.h"
#include "lwiptap/timeline.h"
#include "peer.h"
#include "suites.h"

#define PEER_ISS 7000u

static void drain(struct peer *p)
{
    struct segment s;
    while (peer_recv(p, &s)) {
    }
}

/* The peer's state changes, as the model published them. */
static struct {
    int from[32], to[32], at_send[32], certainty[32];
    int count;
} peer_changes;

static void record_peer(const struct conn_event *e, void *ctx)
{
    (void)ctx;
    if (e->kind == CONN_EVENT_PEER_STATE && peer_changes.count < 32) {
        int i = peer_changes.count++;
        peer_changes.from[i] = e->u.state.from;
        peer_changes.to[i] = e->u.state.to;
        peer_changes.at_send[i] = e->u.state.at_send;
        peer_changes.certainty[i] = (int)e->u.state.certainty;
    }
}

static char dir[64];

static void start_diagram(void)
{
    snprintf(dir, sizeof dir, "/tmp/lwiptap-diagram-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/conn.svg", dir);
    ck_assert_int_eq(diagram_start(path, err, sizeof err), 0);
}

static char *read_svg(unsigned index)
{
    char path[128];
    snprintf(path, sizeof path, "%s/conn-%u.svg", dir, index);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no %s", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

/* The texts of class cls, in document order, joined by spaces. */
static void texts_of(const char *svg, const char *cls, char *out, size_t outlen)
{
    char needle[64];
    snprintf(needle, sizeof needle, "class=\"%s\"", cls);
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = strstr(svg, needle); p != NULL; p = strstr(p + 1, needle)) {
        const char *start = strchr(p, '>') + 1, *end = strchr(start, '<');
        used +=
            (size_t)snprintf(out + used, outlen - used, "%s%.*s", used ? " " : "", (int)(end - start), start);
    }
}

/* The line of the first arrow whose label starts with label, sent by from. */
static void arrow_of(const char *svg, const char *from, const char *label, int xy[4])
{
    char group[64];
    snprintf(group, sizeof group, "<g class=\"segment %s", from);
    for (const char *g = strstr(svg, group); g != NULL; g = strstr(g + 1, group)) {
        const char *line = strstr(g, "<line "), *text = strstr(g, "class=\"label\"");
        ck_assert_ptr_nonnull(line);
        ck_assert_ptr_nonnull(text);
        if (strncmp(strchr(text, '>') + 1, label, strlen(label)) == 0) {
            ck_assert_int_eq(
                sscanf(line, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"", &xy[0], &xy[1], &xy[2], &xy[3]),
                4);
            return;
        }
    }
    ck_abort_msg("no arrow %s from %s in:\n%s", label, from, svg);
}

/* Two segments cross when each one's ends lie on both sides of the other. */
static int crosses(const int a[4], const int b[4])
{
    long d1 = (long)(b[2] - b[0]) * (a[1] - b[1]) - (long)(b[3] - b[1]) * (a[0] - b[0]);
    long d2 = (long)(b[2] - b[0]) * (a[3] - b[1]) - (long)(b[3] - b[1]) * (a[2] - b[0]);
    long d3 = (long)(a[2] - a[0]) * (b[1] - a[1]) - (long)(a[3] - a[1]) * (b[0] - a[0]);
    long d4 = (long)(a[2] - a[0]) * (b[3] - a[1]) - (long)(a[3] - a[1]) * (b[2] - a[0]);
    return ((d1 < 0) != (d2 < 0)) && ((d3 < 0) != (d4 < 0));
}

/* "bye" makes the serial service close first; the peer's FIN leaves before
 * lwIP's FIN reaches it, so it acknowledges only "bye": the FINs cross. */
static void crossing_close(struct peer *p)
{
    peer_init(p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(p);
    peer_send(p, TCPF_ACK | TCPF_PSH, "bye\n", 4);
    peer_send(p, TCPF_ACK | TCPF_FIN, NULL, 0); /* before reading lwIP's FIN: ack 1 */
    drain(p);
    peer_send(p, TCPF_ACK, NULL, 0); /* now it has seen lwIP's FIN */
    drain(p);
    lwiptap_tcp_set_msl(1000);
    for (int i = 0; i < 8; i++) {
        fake_clock_advance(500); /* TIME_WAIT: 2 MSL */
        drain(p);
    }
}

/* The legend's texts on one row must not run into each other or off the
 * picture: monospace 12px advances 0.6 em (7.2 px) a character. */
static void assert_legend_fits(const char *svg, int width)
{
    const char *legend = strstr(svg, "class=\"legend\"");
    ck_assert_ptr_nonnull(legend);
    const char *end = strstr(legend, "</g>");
    ck_assert_ptr_nonnull(end);
    int prev_y = -1;
    double prev_end = 0;
    for (const char *t = strstr(legend, "<text x=\""); t != NULL && t < end;
         t = strstr(t + 1, "<text x=\"")) {
        int x = 0, y = 0;
        ck_assert_int_eq(sscanf(t, "<text x=\"%d\" y=\"%d\"", &x, &y), 2);
        const char *body = strchr(t, '>') + 1;
        const char *close = strstr(body, "</text>");
        double right = x + 7.2 * (double)(close - body);
        if (y == prev_y) {
            ck_assert_msg(x >= prev_end, "legend text at x=%d overlaps the one before it (ends at %.0f)", x,
                          prev_end);
        }
        ck_assert_msg(right <= width, "legend text at x=%d runs off the picture (to %.0f)", x, right);
        prev_y = y;
        prev_end = right;
    }
}

START_TEST(crossing_fins_give_the_host_its_true_states)
{
    struct peer p;
    peer_changes.count = 0;
    ck_assert_int_eq(conn_events_subscribe(record_peer, NULL), 0);
    crossing_close(&p);
    conn_events_unsubscribe(record_peer, NULL);
    static const int want[][3] = {
        {CLOSED, SYN_SENT, 1},    {SYN_SENT, ESTABLISHED, 0}, {ESTABLISHED, FIN_WAIT_1, 1},
        {FIN_WAIT_1, CLOSING, 0}, {CLOSING, TIME_WAIT, 0},
    };
    ck_assert_int_eq(peer_changes.count, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(peer_changes.from[i], want[i][0]);
        ck_assert_int_eq(peer_changes.to[i], want[i][1]);
        ck_assert_int_eq(peer_changes.at_send[i], want[i][2]);
    }
    ck_assert_int_eq(peer_changes.certainty[3], CONN_SEEN); /* its ack proved it got lwIP's FIN */
}
END_TEST

/* --explain says the host's states under the segments that show them. */
START_TEST(explain_says_the_hosts_states)
{
    struct peer p;
    struct timeline_options options = {1, 0, 1};
    timeline_configure(&options);
    size_t from = strlen(fixture_log());
    crossing_close(&p);
    const char *log = fixture_log() + from;
    ck_assert_ptr_nonnull(strstr(log,
                                 "explain: FIN: the host has nothing more to send either: lwIP sent its FIN "
                                 "already, so both sides are closing."));
    const char *sent =
        strstr(log, "explain: The host went ESTABLISHED -> FIN_WAIT_1 when it sent this (it sent its "
                    "FIN first).");
    ck_assert_msg(sent != NULL, "%s", log);
    const char *closing =
        strstr(sent, "it went FIN_WAIT_1 -> CLOSING on receiving it (it received lwIP's FIN).");
    ck_assert_msg(closing != NULL, "%s", log);
    ck_assert_ptr_nonnull(strstr(closing, "takes the host CLOSING -> TIME_WAIT once it arrives"));
    struct timeline_options quiet = {0, 0, 0};
    timeline_configure(&quiet);
}
END_TEST

START_TEST(the_diagram_draws_the_crossing)
{
    struct peer p;
    start_diagram();
    crossing_close(&p);
    char *svg = read_svg(1); /* written when lwIP left TIME_WAIT */
    char host[512], lwip[512], notes[512];
    texts_of(svg, "state host", host, sizeof host);
    texts_of(svg, "state lwip", lwip, sizeof lwip);
    texts_of(svg, "note", notes, sizeof notes);
    ck_assert_str_eq(host, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT");
    ck_assert_str_eq(lwip, "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    ck_assert_ptr_nonnull(strstr(notes, "(end not seen)")); /* the host's TIME_WAIT */
    ck_assert_ptr_nonnull(strstr(notes, "for 2."));         /* lwIP's TIME_WAIT lasted 2 MSL */
    int ours[4], theirs[4];
    arrow_of(svg, "from-lwip", "[F.] seq 1 ack 5 ", ours);
    arrow_of(svg, "from-host", "[F.] seq 5 ack 1 ", theirs);
    ck_assert_msg(crosses(ours, theirs), "the FINs do not cross: (%d,%d)-(%d,%d) and (%d,%d)-(%d,%d)",
                  ours[0], ours[1], ours[2], ours[3], theirs[0], theirs[1], theirs[2], theirs[3]);
    assert_legend_fits(svg, 1180);
    ck_assert_ptr_nonnull(strstr(svg, "class=\"break\"")); /* TIME_WAIT's 2 s are cut, and said */
    diagram_finish();
    rmdir(dir);
}
END_TEST

/* --cross-fins holds lwIP's FIN until the peer's arrives: the peer's FIN
 * (ack 5: it never saw lwIP's) reaches the wire first, lwIP's follows. lwIP
 * sent its FIN when it entered FIN_WAIT_1, so the two arrows cross, and the
 * host goes FIN_WAIT_1 -> CLOSING -> TIME_WAIT like lwIP. */
START_TEST(a_simultaneous_close_is_drawn_crossing)
{
    struct peer p;
    struct segment s;
    start_diagram();
    peer_init(&p, 40000, SERIAL_PORT, PEER_ISS);
    peer_connect(&p);
    peer_send(&p, TCPF_ACK | TCPF_PSH, "bye\n", 4); /* lwIP closes: its FIN is held */
    drain(&p);
    peer_send(&p, TCPF_ACK | TCPF_FIN, NULL, 0); /* releases lwIP's FIN */
    int fins = 0;
    while (peer_recv(&p, &s)) {
        fins += (s.flags & TCPF_FIN) != 0;
    }
    ck_assert_int_eq(fins, 1);
    peer_send(&p, TCPF_ACK, NULL, 0);
    drain(&p);
    lwiptap_tcp_set_msl(1000);
    for (int i = 0; i < 8; i++) {
        fake_clock_advance(500);
        drain(&p);
    }
    char *svg = read_svg(1);
    char host[512], lwip[512];
    texts_of(svg, "state host", host, sizeof host);
    texts_of(svg, "state lwip", lwip, sizeof lwip);
    ck_assert_str_eq(host, "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT");
    ck_assert_str_eq(lwip, "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    int ours[4], theirs[4];
    arrow_of(svg, "from-host", "[F.] seq 5 ack 1 ", theirs);
    arrow_of(svg, "from-lwip", "[F.] seq 1 ack 5 ", ours);
    ck_assert_msg(crosses(ours, theirs), "the FINs do not cross: (%d,%d)-(%d,%d) and (%d,%d)-(%d,%d)",
                  ours[0], ours[1], ours[2], ours[3], theirs[0], theirs[1], theirs[2], theirs[3]);
    diagram_finish();
    rmdir(dir);
}
END_TEST

/* A peer that stops answering (the keepalive lesson's host lost its
 * address): its state after the first unanswered probe is not known, and
 * the model says so instead of taking lwIP's RST as received. */
START_TEST(a_vanished_peer_is_not_guessed)
{
    struct peer p;
    struct segment s;
    struct stream_service_options opts = {0, 0, {2000, 1000, 2}};
    stream_service_set_options(fx.echo, &opts);
    peer_changes.count = 0;
    ck_assert_int_eq(conn_events_subscribe(record_peer, NULL), 0);
    peer_init(&p, 40000, ECHO_PORT, PEER_ISS);
    peer_connect(&p);
    int rst = 0;
    for (int i = 0; i < 20 && !rst; i++) {
        fake_clock_advance(500);
        while (peer_recv(&p, &s)) {
            rst |= (s.flags & TCPF_RST) != 0;
        }
    }
    conn_events_unsubscribe(record_peer, NULL);
    ck_assert_int_eq(rst, 1);
    int last = peer_changes.count - 1;
    ck_assert_int_ge(last, 0);
    ck_assert_int_eq(peer_changes.from[last], ESTABLISHED);
    ck_assert_int_eq(peer_changes.to[last], CONN_STATE_UNKNOWN);
    ck_assert_int_eq(peer_changes.certainty[last], CONN_NO_ANSWER);
}
END_TEST

Suite *diagram_suite(void)
{
    Suite *s = suite_create("diagram");
    fixture_add_test(s, crossing_fins_give_the_host_its_true_states);
    fixture_add_test(s, the_diagram_draws_the_crossing);
    fixture_add_test(s, explain_says_the_hosts_states);
    fixture_add_test(s, a_vanished_peer_is_not_guessed);
    fixture_add_cross_fins_test(s, a_simultaneous_close_is_drawn_crossing);
    return s;
}
