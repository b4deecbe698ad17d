/* Steps are played in order on the script's clock: +MS advances lwIP's fake
 * clock before an inbound segment or an application call, and for "> seg"
 * the segment must leave within [+MS - ~TOL, +MS + ~TOL]. Anything lwIP
 * sends on the connection that no step expects fails the script, as in
 * packetdrill. Sequence numbers are relative to the sender's ISS. */
#include "conversation.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "fixture.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "wire.h"

#define PEER_ISS 1000000u
#define PEER_PORT 45000
#define PEER_TS_START 0x1000u

struct conv {
    const struct script *s;
    uint32_t now;       /* script time, ms */
    uint32_t peer_next; /* the peer's next relative seq */
    uint32_t lwip_iss;  /* learned from lwIP's SYN */
    uint32_t lwip_next; /* lwIP's next relative seq, as the peer saw it */
    uint16_t lwip_port;
    uint16_t peer_port;
    int ts_on; /* both SYNs carried timestamps */
    int peer_syn_ts;
    uint32_t peer_ts;
    uint32_t lwip_ts;
    struct tcp_pcb *app; /* the application's pcb (client, or runner listener) */
    struct tcp_pcb *listener;
};

static struct conv cv;

static err_t app_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    LWIP_UNUSED_ARG(arg);
    LWIP_UNUSED_ARG(err);
    if (p != NULL) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
    }
    return ERR_OK;
}

static void app_err(void *arg, err_t err)
{
    LWIP_UNUSED_ARG(arg);
    LWIP_UNUSED_ARG(err);
    cv.app = NULL;
}

static void app_adopt(struct tcp_pcb *pcb)
{
    cv.app = pcb;
    tcp_recv(pcb, app_recv);
    tcp_err(pcb, app_err);
}

static err_t app_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    LWIP_UNUSED_ARG(arg);
    LWIP_UNUSED_ARG(err);
    app_adopt(pcb);
    return ERR_OK;
}

static err_t app_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    LWIP_UNUSED_ARG(arg);
    LWIP_UNUSED_ARG(pcb);
    LWIP_UNUSED_ARG(err);
    return ERR_OK;
}

static void pattern(uint8_t *out, size_t len, const struct seg_spec *seg)
{
    if (seg->has_text) {
        memcpy(out, seg->text, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = (uint8_t)('a' + i % 26);
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static size_t build_options(const struct seg_spec *seg, uint8_t *o)
{
    const struct opt_spec *spec = &seg->opts;
    size_t n = 0;
    int syn = (seg->flags & 0x02) != 0;
    if (spec->mss >= 0) {
        o[n++] = 2, o[n++] = 4, o[n++] = (uint8_t)(spec->mss >> 8), o[n++] = (uint8_t)spec->mss;
    }
    if (spec->sack_ok) {
        o[n++] = 4, o[n++] = 2;
    }
    if (spec->ts || (!spec->present && cv.ts_on)) {
        o[n++] = 8, o[n++] = 10;
        put32(o + n, spec->ts == 2 ? spec->ts_val : cv.peer_ts);
        put32(o + n + 4, spec->ts == 2 ? spec->ts_ecr : (syn && !(seg->flags & 0x10) ? 0 : cv.lwip_ts));
        n += 8;
        cv.peer_ts += 0x100;
    }
    if (spec->ws >= 0) {
        o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = (uint8_t)spec->ws;
    }
    if (spec->nsack > 0) {
        o[n++] = 1, o[n++] = 1, o[n++] = 5, o[n++] = (uint8_t)(2 + 8 * spec->nsack);
        for (int b = 0; b < spec->nsack; b++, n += 8) {
            put32(o + n, cv.lwip_iss + spec->sack[b][0]);
            put32(o + n + 4, cv.lwip_iss + spec->sack[b][1]);
        }
    }
    memcpy(o + n, spec->raw, spec->rawlen);
    n += spec->rawlen;
    while (n % 4 != 0) {
        o[n++] = 0;
    }
    return n;
}

static void send_in(const struct step *st)
{
    const struct seg_spec *seg = &st->seg;
    uint8_t opts[80], payload[SEGMENT_MAX_PAYLOAD], tcp[1600], frame[WIRE_MAX_FRAME];
    size_t optlen = build_options(seg, opts);
    ck_assert_msg(optlen <= 40 && seg->len <= sizeof payload, "line %d: options or payload too long",
                  st->line);
    if ((seg->flags & 0x02) && seg->opts.ts) {
        cv.peer_syn_ts = 1;
    }
    pattern(payload, seg->len, seg);
    uint32_t rel = seg->has_seq ? seg->seq : cv.peer_next;
    uint32_t ack = (seg->flags & 0x10) ? cv.lwip_iss + (seg->has_ack ? seg->ack : cv.lwip_next) : 0;
    uint16_t dport = cv.s->client ? cv.lwip_port : cv.s->port;
    size_t tcplen = wire_tcp(cv.peer_port, dport, PEER_ISS + rel, ack, seg->flags,
                             (uint16_t)(seg->has_win ? seg->win : 65535), opts, optlen, payload, seg->len,
                             tcp, sizeof tcp);
    struct wire_ip4 ip = {.src = PEER_IP, .dst = STACK_IP, .proto = 6, .l4_checksum = 1};
    uint32_t end = rel + (uint32_t)seg->len + ((seg->flags & 0x02) ? 1 : 0) + ((seg->flags & 0x01) ? 1 : 0);
    if ((int32_t)(end - cv.peer_next) > 0) {
        cv.peer_next = end;
    }
    fixture_inject(frame, wire_ip4(stack_mac, peer_mac, &ip, tcp, tcplen, frame, sizeof frame));
}

/* The next segment lwIP sent on the script's connection, learning from it. */
static int next_out(struct segment *s)
{
    while (fixture_next_tcp(s)) {
        if (s->dst_port != cv.peer_port || (cv.s->client ? 0 : s->src_port != cv.s->port)) {
            continue;
        }
        if (s->flags & 0x02) {
            cv.lwip_iss = s->seq;
            cv.lwip_port = s->src_port;
            cv.ts_on = s->opts.timestamps && (cv.peer_syn_ts || cv.s->client);
        }
        if (s->opts.timestamps) {
            cv.lwip_ts = s->opts.tsval;
        }
        uint32_t rel = s->seq - cv.lwip_iss;
        uint32_t end =
            rel + (uint32_t)s->payload_len + ((s->flags & 0x02) ? 1 : 0) + ((s->flags & 0x01) ? 1 : 0);
        if ((int32_t)(end - cv.lwip_next) > 0) {
            cv.lwip_next = end;
        }
        return 1;
    }
    return 0;
}

static void flags_text(uint8_t f, char *out)
{
    size_t n = 0;
    static const char letters[] = "FSRP.";
    for (int i = 0; i < 5; i++) {
        if (f & (1 << i)) {
            out[n++] = letters[i];
        }
    }
    out[n] = '\0';
}

static void describe(const struct segment *s, char *out, size_t cap)
{
    char f[8];
    flags_text(s->flags, f);
    snprintf(out, cap, "%s seq %u ack %u win %u len %zu%s%s", f, s->seq - cv.lwip_iss, s->ack - PEER_ISS,
             s->window, s->payload_len, s->opts.timestamps ? " <ts>" : "", s->opts.nsack ? " <sack>" : "");
}

/* Where an outbound segment differs from the step, or NULL. */
static const char *mismatch(const struct seg_spec *e, const struct segment *s)
{
    const struct opt_spec *o = &e->opts;
    if (s->flags != e->flags) {
        return "flags";
    }
    if ((e->has_seq && s->seq - cv.lwip_iss != e->seq) || (e->has_ack && s->ack - PEER_ISS != e->ack)) {
        return "seq or ack";
    }
    if ((e->has_win && s->window != e->win) || (e->has_len && s->payload_len != e->len)) {
        return "window or length";
    }
    if (e->has_text && memcmp(s->payload, e->text, e->len) != 0) {
        return "payload";
    }
    if ((o->mss >= 0 && s->opts.mss != o->mss) || (o->ws >= 0 && s->opts.wscale != o->ws) ||
        (o->sack_ok && !s->opts.sack_permitted) || (o->ts && !s->opts.timestamps)) {
        return "options";
    }
    if (o->present && o->mss < 0 && o->ws < 0 && !o->sack_ok && !o->ts && o->nsack == 0 &&
        (s->opts.mss || s->opts.wscale >= 0 || s->opts.sack_permitted || s->opts.timestamps ||
         s->opts.nsack)) {
        return "options (none expected)";
    }
    if (o->nsack != s->opts.nsack && (o->nsack > 0 || o->present)) {
        return "SACK blocks";
    }
    for (int b = 0; b < o->nsack; b++) {
        if (s->opts.sack[b][0] - PEER_ISS != o->sack[b][0] ||
            s->opts.sack[b][1] - PEER_ISS != o->sack[b][1]) {
            return "SACK blocks";
        }
    }
    return NULL;
}

/* Moves the clock ms forward, 1 ms at a time: nothing may leave meanwhile. */
static void idle(uint32_t ms, int line)
{
    struct segment s;
    for (uint32_t i = 0; i <= ms; i++) {
        if (next_out(&s)) {
            char d[96];
            describe(&s, d, sizeof d);
            ck_abort_msg("line %d: unexpected segment at +%u ms: %s", line, i, d);
        }
        if (i < ms) {
            fake_clock_advance(1);
            cv.now++;
        }
    }
}

static void expect_out(const struct step *st)
{
    struct segment s;
    uint32_t due = st->after_ms, waited = 0;
    while (!next_out(&s)) {
        ck_assert_msg(waited < due + st->tolerance_ms, "line %d: nothing sent within %u ms", st->line,
                      due + st->tolerance_ms);
        fake_clock_advance(1);
        cv.now++;
        waited++;
    }
    char d[96];
    describe(&s, d, sizeof d);
    if (getenv("CONFORM_VERBOSE") != NULL) {
        fprintf(stderr, "line %d: +%u ms: %s\n", st->line, waited, d);
    }
    ck_assert_msg(waited + st->tolerance_ms >= due, "line %d: sent after %u ms, expected %u ~%u: %s",
                  st->line, waited, due, st->tolerance_ms, d);
    const char *diff = mismatch(&st->seg, &s);
    ck_assert_msg(diff == NULL, "line %d: %s differ: lwIP sent %s", st->line, diff, d);
}

static const char *state_now(void)
{
    struct tcp_pcb *lists[] = {tcp_active_pcbs, tcp_tw_pcbs};
    for (size_t l = 0; l < 2; l++) {
        for (struct tcp_pcb *pcb = lists[l]; pcb != NULL; pcb = pcb->next) {
            if (pcb->remote_port == cv.peer_port &&
                pcb->local_port == (cv.s->client ? cv.lwip_port : cv.s->port)) {
                return tcp_debug_state_str(pcb->state);
            }
        }
    }
    return "CLOSED";
}

static void app_step(const struct step *st)
{
    if (st->kind == STEP_CONNECT) {
        struct tcp_pcb *pcb = tcp_new();
        ck_assert_ptr_nonnull(pcb);
        app_adopt(pcb);
        ip_addr_t peer = IPADDR4_INIT(lwip_htonl(PEER_IP));
        ck_assert_int_eq(tcp_connect(pcb, &peer, cv.s->port, app_connected), ERR_OK);
        return;
    }
    ck_assert_msg(cv.app != NULL, "line %d: no connection for the application", st->line);
    if (st->kind == STEP_SHUTDOWN) {
        ck_assert_int_eq(tcp_shutdown(cv.app, 0, 1), ERR_OK);
    } else if (st->kind == STEP_KEEPALIVE) {
        ip_set_option(cv.app, SOF_KEEPALIVE);
        cv.app->keep_idle = st->keepalive[0];
        cv.app->keep_intvl = st->keepalive[1];
        cv.app->keep_cnt = st->keepalive[2];
    } else if (st->kind == STEP_WRITE) {
        uint8_t data[8192];
        ck_assert_uint_le(st->seg.len, sizeof data);
        pattern(data, st->seg.len, &st->seg);
        ck_assert_int_eq(tcp_write(cv.app, data, (u16_t)st->seg.len, TCP_WRITE_FLAG_COPY), ERR_OK);
        tcp_output(cv.app);
    } else {
        struct tcp_pcb *pcb = cv.app;
        tcp_recv(pcb, NULL);
        tcp_err(pcb, NULL);
        cv.app = NULL;
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
    }
}

void conversation_play(const struct script *s)
{
    memset(&cv, 0, sizeof cv);
    cv.s = s;
    cv.peer_port = s->client ? s->port : PEER_PORT;
    cv.peer_ts = PEER_TS_START;
    if (s->client) {
        cv.peer_port = s->port;
    }
    if (s->app_listener) {
        struct tcp_pcb *pcb = tcp_new();
        ck_assert_ptr_nonnull(pcb);
        ck_assert_int_eq(tcp_bind(pcb, IP_ANY_TYPE, s->port), ERR_OK);
        cv.listener = tcp_listen(pcb);
        tcp_accept(cv.listener, app_accept);
    }
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct step *st = &s->steps[i];
        if (st->kind == STEP_OUT) {
            expect_out(st);
            continue;
        }
        idle(st->after_ms, st->line);
        if (st->kind == STEP_IN) {
            send_in(st);
        } else if (st->kind == STEP_STATE) {
            ck_assert_msg(strcmp(state_now(), st->state) == 0, "line %d: lwIP is in %s, not %s", st->line,
                          state_now(), st->state);
        } else if (st->kind != STEP_NONE) {
            app_step(st);
        }
    }
    idle(0, -1);
    if (cv.listener != NULL) {
        tcp_close(cv.listener);
    }
    if (cv.app != NULL) {
        tcp_recv(cv.app, NULL);
        tcp_err(cv.app, NULL);
        tcp_abort(cv.app);
    }
}
