#include "peer.h"

#include <check.h>
#include <string.h>

#include "fixture.h"

#define TS_OPTION_SPACE 12
/* lwIP 2.1.3's tcp_parseopt() shifts the TSval's last byte into an int by 24
 * bits, undefined behaviour the sanitizer build aborts on when that byte is
 * 0x80 or more; the peer's clock keeps it 0 so every test runs there too
 * (handshake.timestamp_with_any_last_byte_is_echoed covers the case itself). */
#define TS_START 0x1000
#define TS_STEP 0x100

void peer_init(struct peer *p, uint16_t port, uint16_t server_port, uint32_t iss)
{
    memset(p, 0, sizeof *p);
    p->port = port;
    p->server_port = server_port;
    p->snd_nxt = iss;
    p->snd_una = iss;
    p->tsval = TS_START;
    p->syn_mss = PEER_MSS;
    p->window_field = PEER_WINDOW;
}

void peer_send_at(struct peer *p, uint32_t seq, uint8_t flags, const void *data, size_t len)
{
    struct segment s;
    uint8_t frame[SEGMENT_MAX_FRAME];
    fixture_segment_from_peer(&s, p->port, p->server_port);
    s.seq = seq;
    s.ack = (flags & TCPF_ACK) ? (p->acks_frozen ? p->frozen_ack : p->rcv_nxt) : 0;
    s.flags = flags;
    s.window = p->window_field;
    if (flags & TCPF_SYN) {
        s.opts.mss = p->syn_mss;
        s.opts.wscale = PEER_WSCALE;
        s.opts.sack_permitted = 1;
    }
    if ((flags & TCPF_SYN) || p->timestamps) {
        s.opts.timestamps = 1;
        s.opts.tsval = p->tsval;
        p->tsval += TS_STEP;
        s.opts.tsecr = p->ts_recent;
    }
    ck_assert_uint_le(len, sizeof s.payload);
    if (len > 0) {
        memcpy(s.payload, data, len);
    }
    s.payload_len = len;
    size_t frame_len = segment_build(&s, frame, sizeof frame);
    fixture_inject(frame, frame_len);
}

void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len)
{
    uint32_t seq = p->snd_nxt;
    /* Advanced first: lwIP answers from inside fixture_inject. */
    p->snd_nxt += (uint32_t)len + ((flags & TCPF_SYN) ? 1 : 0) + ((flags & TCPF_FIN) ? 1 : 0);
    peer_send_at(p, seq, flags, data, len);
}

static void take_data(struct peer *p, const struct segment *s)
{
    uint32_t end = s->seq + (uint32_t)s->payload_len;
    if (seq_lt(p->rcv_nxt, s->seq) || !seq_lt(p->rcv_nxt, end)) {
        return; /* out of order, or nothing new */
    }
    size_t skip = p->rcv_nxt - s->seq;
    size_t fresh = s->payload_len - skip;
    if (p->stream != NULL) {
        ck_assert_uint_le(p->stream_len + fresh, p->stream_cap);
        memcpy(p->stream + p->stream_len, s->payload + skip, fresh);
        p->stream_len += fresh;
    }
    p->rcv_nxt = end;
}

static void take_syn(struct peer *p, const struct segment *s)
{
    p->rcv_nxt = s->seq + 1;
    p->lwip_wscale = s->opts.wscale >= 0 ? s->opts.wscale : 0;
    p->timestamps = s->opts.timestamps;
    p->lwip_mss = s->opts.mss;
}

int peer_recv(struct peer *p, struct segment *s)
{
    while (fixture_next_tcp(s)) {
        if (s->dst_port != p->port || s->src_port != p->server_port || s->dst_ip != PEER_IP) {
            continue;
        }
        if (s->flags & TCPF_SYN) {
            take_syn(p, s);
        } else {
            take_data(p, s);
            if ((s->flags & TCPF_FIN) && s->seq + (uint32_t)s->payload_len == p->rcv_nxt) {
                p->rcv_nxt++;
            }
        }
        if ((s->flags & TCPF_ACK) && !seq_lt(s->ack, p->snd_una)) {
            p->snd_una = s->ack;
            /* The window field of a SYN is never scaled (RFC 7323). */
            p->snd_wnd = (uint32_t)s->window << ((s->flags & TCPF_SYN) ? 0 : p->lwip_wscale);
        }
        if (p->timestamps && s->opts.timestamps) {
            p->ts_recent = s->opts.tsval;
        }
        return 1;
    }
    return 0;
}

void peer_accept(struct peer *p, uint16_t port, uint32_t iss, int refuse)
{
    struct segment s;
    ck_assert_msg(fixture_next_tcp(&s), "lwIP sent no SYN");
    ck_assert_uint_eq(s.flags, TCPF_SYN);
    ck_assert_uint_eq(s.dst_port, port);
    peer_init(p, port, s.src_port, iss);
    take_syn(p, &s);
    p->ts_recent = s.opts.tsval;
    if (refuse) {
        p->timestamps = 0;
        peer_send(p, TCPF_RST | TCPF_ACK, NULL, 0);
    } else {
        peer_send(p, TCPF_SYN | TCPF_ACK, NULL, 0);
    }
}

void peer_connect(struct peer *p)
{
    struct segment s;
    uint32_t iss = p->snd_nxt;
    peer_send(p, TCPF_SYN, NULL, 0);
    ck_assert_msg(peer_recv(p, &s), "no answer to the SYN");
    ck_assert_uint_eq(s.flags, TCPF_SYN | TCPF_ACK);
    ck_assert_uint_eq(s.ack, iss + 1);
    peer_send(p, TCPF_ACK, NULL, 0);
}

int peer_ack_new_data(struct peer *p, uint32_t *acked)
{
    if (p->rcv_nxt == *acked) {
        return 0;
    }
    peer_send(p, TCPF_ACK, NULL, 0);
    *acked = p->rcv_nxt;
    return 1;
}

void peer_freeze_acks(struct peer *p)
{
    p->acks_frozen = 1;
    p->frozen_ack = p->rcv_nxt;
}

void peer_thaw_acks(struct peer *p)
{
    p->acks_frozen = 0;
}

uint32_t peer_send_room(const struct peer *p)
{
    uint32_t in_flight = p->snd_nxt - p->snd_una;
    return in_flight < p->snd_wnd ? p->snd_wnd - in_flight : 0;
}

size_t peer_max_payload(const struct peer *p)
{
    return (size_t)p->lwip_mss - (p->timestamps ? TS_OPTION_SPACE : 0);
}

void peer_pump(struct peer *p, const uint8_t *data, size_t total, size_t want, int whole_segments)
{
    struct segment s;
    const size_t seg = peer_max_payload(p);
    size_t sent = 0;
    uint32_t acked = p->rcv_nxt;
    for (int stalls = 0; p->stream_len < want;) {
        int progress = 0;
        while (sent < total && peer_send_room(p) >= (whole_segments ? seg : 1)) {
            size_t n = total - sent < seg ? total - sent : seg;
            n = n < peer_send_room(p) ? n : peer_send_room(p);
            peer_send(p, TCPF_ACK, data + sent, n);
            sent += n;
            progress = 1;
        }
        while (peer_recv(p, &s)) {
            progress = 1;
        }
        progress |= peer_ack_new_data(p, &acked);
        if (!progress) {
            fixture_wait_for_timer(&stalls);
        }
    }
}
