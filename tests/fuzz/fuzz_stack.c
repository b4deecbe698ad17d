/* libFuzzer harness over the whole stack as lwip-tap runs it: our lwipopts,
 * the ingress guard, the TCP state log and both services, on the in-memory
 * link and the fake clock of the unit tests, and the --web page's HTTP service
 * (connections 3 and 7 go to its port 80; the others to echo and serial).
 *
 * An input is a program of operations (see enum op). TCP operations are
 * relative to the connection as the stack sees it: the harness reads every
 * segment the stack sends and keeps its next sequence number per peer port,
 * so a few bytes of input get past the handshake. ARP and neighbour
 * solicitations from the stack are answered, for any address, so replies to
 * spoofed peers go out too.
 *
 * After each input the stack is torn down and every lwIP pool and the lwIP
 * heap must be back to zero; anything else aborts, which libFuzzer reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwiptap/byte_order.h"
#include "arp_frame.h"
#include "cli.h"
#include "fake_clock.h"
#include "fake_link.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/guard.h"
#include "lwiptap/log.h"
#include "lwiptap/pcb_hash.h"
#include "services.h"
#include "stack.h"
#include "tcp_statelog.h"
#include "lwiptap/timeline.h"
#include "web_service.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STACK_IP4 0xc0000202u
#define PEER_IP4 0xc0000201u
#define CONNS 8
#define PEER_PORT_BASE 40000
#define FUZZ_MAX_HALF_OPEN 4
/* Past lwIP's IPv6 reassembly timeout (60 s), so no datagram survives teardown. */
#define TEARDOWN_MS 65000

/* OP_SUPER: a TCP super-frame as the local kernel hands one over with the
 * tap's offloads (up to 16 KiB, partial checksum, so lwIP checks none). */
enum op { OP_RAW, OP_CLOCK, OP_TCP, OP_IP4, OP_IP6, OP_ARP, OP_SUPER, OP_COUNT };

static const uint8_t stack_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t take8(struct input *in)
{
    if (in->left == 0) {
        return 0;
    }
    in->left--;
    return *in->p++;
}

static uint16_t take16(struct input *in)
{
    uint16_t hi = take8(in);
    return (uint16_t)((hi << 8) | take8(in));
}

/* Up to n bytes into out, zero-padded when the input runs out. */
static void take_bytes(struct input *in, uint8_t *out, size_t n)
{
    size_t have = n < in->left ? n : in->left;
    if (have > 0) {
        memcpy(out, in->p, have);
    }
    memset(out + have, 0, n - have);
    in->p += have;
    in->left -= have;
}

struct conn {
    uint32_t peer_nxt;  /* next sequence number the peer sends */
    uint32_t stack_nxt; /* next sequence number the stack sends, as last seen */
};

static struct {
    struct stack stack;
    struct fake_link *wire;
    struct stream_service *echo, *serial;
    struct web_service *web;
    struct conn conns[CONNS];
    uint8_t peer6[16], stack6[16];
    uint8_t frame[LINK_MAX_FRAME];
} h;

static void inject_meta(const uint8_t *frame, size_t len, const struct link_meta *meta)
{
    char err[LINK_ERR_LEN];
    if (len == 0) {
        return;
    }
    /* What a fault stage says of a frame it drops, before any guard saw it. */
    char line[1024];
    timeline_describe(frame, len, 0, line, sizeof line);
    timeline_input_dropped(frame, len);
    fake_link_push_rx_meta(h.wire, frame, len, meta);
    while (fake_link_rx_pending(h.wire) > 0) {
        if (netif_link_drain(&h.stack.netif, err) < 0) {
            abort();
        }
    }
}

static void inject(const uint8_t *frame, size_t len)
{
    inject_meta(frame, len, NULL);
}

static void answer_arp(const struct arp_frame *req, uint8_t *buf)
{
    struct arp_frame reply = {ARP_REPLY, {0}, req->target_ip, {0}, req->sender_ip};
    memcpy(reply.sender_mac, peer_mac, 6);
    memcpy(reply.target_mac, req->sender_mac, 6);
    arp_frame_build(&reply, buf);
}

/* A neighbour advertisement for target, with our MAC, solicited and override. */
static size_t build_na(const uint8_t target[16], const uint8_t *to, uint8_t *buf)
{
    uint8_t icmp[32] = {136, 0, 0, 0, 0x60, 0, 0, 0};
    memcpy(icmp + 8, target, 16);
    icmp[24] = 2; /* target link-layer address option */
    icmp[25] = 1;
    memcpy(icmp + 26, peer_mac, 6);
    struct wire_ip6 ip = {.next_header = 58, .hop_limit = 255, .upper_offset = 0, .upper_proto = 58};
    memcpy(ip.src, target, 16);
    memcpy(ip.dst, to, 16);
    return wire_ip6(stack_mac, peer_mac, &ip, icmp, sizeof icmp, buf, WIRE_MAX_FRAME);
}

static void note_tcp(const uint8_t *tcp, size_t len)
{
    if (len < 20) {
        return;
    }
    uint16_t dport = get_be16(tcp + 2);
    if (dport < PEER_PORT_BASE || dport >= PEER_PORT_BASE + CONNS) {
        return;
    }
    size_t hlen = (size_t)(tcp[12] >> 4) * 4;
    size_t payload = len > hlen ? len - hlen : 0;
    uint8_t flags = tcp[13];
    uint32_t end = get_be32(tcp + 4) + (uint32_t)payload + ((flags & 0x03) ? 1u : 0u);
    struct conn *c = &h.conns[dport - PEER_PORT_BASE];
    if ((int32_t)(end - c->stack_nxt) > 0 || (flags & 0x02)) {
        c->stack_nxt = end;
    }
}

/* Reads what the stack sent: answers ARP and NS, remembers TCP sequence numbers. */
static void drain_tx(void)
{
    static uint8_t reply[WIRE_MAX_FRAME];
    size_t len;
    for (int rounds = 0; rounds < 64; rounds++) {
        size_t answers = 0;
        while ((len = fake_link_pop_tx(h.wire, h.frame, sizeof h.frame)) > 0) {
            struct arp_frame arp;
            if (arp_frame_parse(h.frame, len, &arp) == 0) {
                if (arp.op == ARP_REQUEST && arp.target_ip != STACK_IP4) {
                    answer_arp(&arp, reply);
                    fake_link_push_rx(h.wire, reply, ARP_FRAME_LEN);
                    answers++;
                }
                continue;
            }
            if (len < 14 + 20) {
                continue;
            }
            uint16_t type = get_be16(h.frame + 12);
            const uint8_t *ip = h.frame + 14;
            if (type == 0x0800 && ip[9] == 6) {
                size_t hl = (size_t)(ip[0] & 15) * 4, total = get_be16(ip + 2);
                if (total <= len - 14 && total >= hl) {
                    note_tcp(ip + hl, total - hl);
                }
            } else if (type == 0x86dd && len >= 14 + 40) {
                size_t plen = get_be16(ip + 4);
                if (plen > len - 54) {
                    continue;
                }
                if (ip[6] == 6) {
                    note_tcp(ip + 40, plen);
                } else if (ip[6] == 58 && plen >= 24 && ip[40] == 135) {
                    fake_link_push_rx(h.wire, reply, build_na(ip + 48, ip + 8, reply));
                    answers++;
                }
            }
        }
        if (answers == 0) {
            return;
        }
        char err[LINK_ERR_LEN];
        while (fake_link_rx_pending(h.wire) > 0) {
            if (netif_link_drain(&h.stack.netif, err) < 0) {
                abort();
            }
        }
    }
}

static void op_tcp(struct input *in, int super)
{
    uint8_t sel = take8(in);
    unsigned idx = sel % CONNS;
    int ipv6 = (sel & 0x80) != 0;
    struct conn *c = &h.conns[idx];
    uint8_t flags = take8(in);
    int8_t seq_delta = (int8_t)take8(in);
    int8_t ack_delta = (int8_t)take8(in);
    uint16_t window = take16(in);
    uint8_t opts[40];
    size_t optlen = (size_t)(take8(in) % 11) * 4;
    take_bytes(in, opts, optlen);
    static uint8_t payload[16384];
    size_t len = take8(in);
    if (super) {
        len = len * 64 + 1;
    } else if (len == 255) {
        len = 1460; /* a full segment, in a few bytes of input */
    }
    take_bytes(in, payload, len < 64 ? len : 64);
    for (size_t i = 64; i < len; i++) {
        payload[i] = (uint8_t)i;
    }
    uint16_t dport = (idx & 3) == 3 ? 80 : (idx & 1) ? 1234 : 7;
    uint32_t seq = c->peer_nxt + (uint32_t)(int32_t)seq_delta;
    uint32_t ack = c->stack_nxt + (uint32_t)(int32_t)ack_delta;
    static uint8_t seg[sizeof payload + 100], frame[sizeof seg + 100];
    size_t seglen = wire_tcp((uint16_t)(PEER_PORT_BASE + idx), dport, seq, ack, flags, window, opts, optlen,
                             payload, len, seg, sizeof seg);
    size_t flen;
    struct link_meta meta = {.csum = LINK_CSUM_PARTIAL, .csum_offset = 16, .gso_size = 1448};
    if (ipv6) {
        struct wire_ip6 ip = {.next_header = 6, .upper_offset = super ? -1 : 0, .upper_proto = 6};
        memcpy(ip.src, h.peer6, 16);
        memcpy(ip.dst, h.stack6, 16);
        flen = wire_ip6(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame);
        meta.csum_start = 14 + 40;
        meta.gso_type = LINK_GSO_TCPV6;
    } else {
        struct wire_ip4 ip = {.src = PEER_IP4, .dst = STACK_IP4, .proto = 6, .l4_checksum = !super};
        flen = wire_ip4(stack_mac, peer_mac, &ip, seg, seglen, frame, sizeof frame);
        meta.csum_start = 14 + 20;
        meta.gso_type = LINK_GSO_TCPV4;
    }
    if (seq_delta == 0) {
        c->peer_nxt += (uint32_t)len + ((flags & 0x03) ? 1u : 0u);
    }
    inject_meta(frame, flen, super ? &meta : NULL);
}

static void op_ip4(struct input *in)
{
    struct wire_ip4 ip = {.src = PEER_IP4, .dst = STACK_IP4, .l4_checksum = 1};
    ip.proto = take8(in);
    ip.frag = take16(in);
    ip.id = take16(in);
    if (take8(in) & 1) {
        ip.src = PEER_IP4 + take8(in); /* another host on the link */
    }
    static uint8_t payload[1480], frame[WIRE_MAX_FRAME];
    size_t len = take16(in) % sizeof payload;
    take_bytes(in, payload, len);
    inject(frame, wire_ip4(stack_mac, peer_mac, &ip, payload, len, frame, sizeof frame));
}

static void op_ip6(struct input *in)
{
    struct wire_ip6 ip;
    memset(&ip, 0, sizeof ip);
    ip.next_header = take8(in);
    ip.hop_limit = take8(in);
    uint8_t where = take8(in);
    ip.upper_offset = (where & 0x80) ? -1 : (where & 0x7f) * 8;
    ip.upper_proto = take8(in);
    memcpy(ip.src, h.peer6, 16);
    memcpy(ip.dst, h.stack6, 16);
    uint8_t addrs = take8(in);
    if (addrs & 1) {
        wire_ip6_linklocal(ip.src, (uint16_t)(addrs >> 1));
    }
    if (addrs & 2) {
        ip.dst[0] = 0xff; /* all-nodes multicast */
        ip.dst[1] = 0x02;
        memset(ip.dst + 2, 0, 13);
        ip.dst[15] = 1;
    }
    static uint8_t payload[1460], frame[WIRE_MAX_FRAME];
    size_t len = take16(in) % sizeof payload;
    take_bytes(in, payload, len);
    inject(frame, wire_ip6(stack_mac, peer_mac, &ip, payload, len, frame, sizeof frame));
}

static void op_raw(struct input *in, uint16_t ethertype)
{
    static uint8_t frame[WIRE_MAX_FRAME];
    size_t len = take16(in) % sizeof frame;
    take_bytes(in, frame, len);
    if (ethertype != 0 && len >= 14) {
        memcpy(frame, stack_mac, 6);
        frame[12] = (uint8_t)(ethertype >> 8);
        frame[13] = (uint8_t)ethertype;
    }
    inject(frame, len);
}

/* What lwIP's heap holds with no connection: its cyclic timers, which live
 * on the heap with pools on malloc (lwipopts.h). */
static mem_size_t heap_baseline;

static void set_up(void)
{
    static int lwip_ready;
    if (!lwip_ready) {
        lwip_init();
        heap_baseline = lwip_stats.mem.used;
        lwip_ready = 1;
        /* FUZZ_LOG=1 shows what an input does (state log, guard); otherwise every
         * line is still formatted, as in a verbose run, and thrown away. */
        static FILE *sink;
        sink = getenv("FUZZ_LOG") != NULL ? stderr : fopen("/dev/null", "w");
        log_set_stream(sink);
        log_set_level(getenv("FUZZ_LOG") != NULL ? LOG_INFO : LOG_DEBUG);
        /* FUZZ_DEBUG=tcp_in,tcp_out: lwIP's own debug output, as lwip-tap --debug. */
        char why[128];
        if (getenv("FUZZ_DEBUG") != NULL &&
            lwiptap_debug_parse(getenv("FUZZ_DEBUG"), &lwiptap_debug_mask, why, sizeof why) != 0) {
            fprintf(stderr, "fuzz: FUZZ_DEBUG: %s\n", why);
            abort();
        }
    }
    memset(&h.conns, 0, sizeof h.conns);
    guard_reset();
    /* A few spoofed SYNs fill the half-open table, so that inputs reach the
     * SYN cookies (the default limit would take hundreds of them). */
    struct tcp_guard_config guard = {.max_half_open = FUZZ_MAX_HALF_OPEN};
    tcp_guard_init(&guard);
    tcp_statelog_init();
    tcp_statelog_set_enabled(1);
    stream_service_set_probe(tcp_statelog_probe);

    char *argv[] = {"lwip-tap", "--tap", "fuzz0", "--ip", "192.0.2.2/24", "--ip6", "2001:db8::2/64", NULL};
    struct lwiptap_config cfg;
    char err[256];
    if (cli_parse(7, argv, &cfg, stdout, err, sizeof err) != CLI_RUN) {
        abort();
    }
    h.wire = fake_link_new();
    fake_link_set_offload(h.wire, 1); /* lwIP's output is coalesced, as on a tap with offloads */
    /* As app/main.c stacks them; the timeline prints (into the log sink) and
     * explains, so that its parsing and formatting of every frame is fuzzed. */
    struct timeline_options timeline = {1, 0, 1};
    timeline_set_clock(fake_clock_now_us);
    struct link *link =
        tcp_statelog_wrap(link_timeline_new(link_guard_new(fake_link_base(h.wire), 1500), &timeline));
    if (link == NULL || stack_up(&h.stack, &cfg, link, err, sizeof err) != 0) {
        abort();
    }
    err_t lerr;
    h.echo = stream_service_start(&echo_service_ops, 7, &lerr);
    h.serial = stream_service_start(&serial_service_ops, 1234, &lerr);
    h.web = web_service_start(80, tcp_statelog_probe, &lerr);
    if (h.echo == NULL || h.serial == NULL || h.web == NULL) {
        abort();
    }
    wire_ip6_doc(h.peer6, 1);
    wire_ip6_doc(h.stack6, 2);
}

static void tear_down(void)
{
    stream_service_stop(h.echo);
    stream_service_stop(h.serial);
    web_service_stop(h.web);
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
    stack_abort_all();
    stack_down(&h.stack);
    timeline_reset();
    fake_clock_advance(TEARDOWN_MS);
    for (int i = 0; i < MEMP_MAX; i++) {
        unsigned used = (unsigned)lwip_stats.memp[i]->used;
        unsigned expected = i == MEMP_SYS_TIMEOUT ? (unsigned)lwip_num_cyclic_timers - 1 : 0;
        if (used != expected) {
            fprintf(stderr, "fuzz: pool %s holds %u elements after teardown, expected %u\n",
                    memp_pools[i]->desc, used, expected);
            abort();
        }
    }
    if (lwip_stats.mem.used != heap_baseline) {
        fprintf(stderr, "fuzz: lwIP heap holds %u bytes after teardown, expected %u\n",
                (unsigned)lwip_stats.mem.used, (unsigned)heap_baseline);
        abort();
    }
    if (tcp_guard_half_open() != 0) {
        abort();
    }
}

/* After every input (a frame, a clock tick): every active and TIME_WAIT pcb
 * is found by its 4-tuple hash, which holds nothing else (port/pcb_hash.c). */
static void check_pcb_hash(void)
{
    char err[160];
    if (lwiptap_pcb_hash_check(err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: pcb hash: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    set_up();
    struct input in = {data, size};
    while (in.left > 0) {
        switch (take8(&in) % OP_COUNT) {
        case OP_RAW:
            op_raw(&in, 0);
            break;
        case OP_CLOCK:
            fake_clock_advance((uint32_t)take8(&in) * 20);
            break;
        case OP_TCP:
            op_tcp(&in, 0);
            break;
        case OP_SUPER:
            op_tcp(&in, 1);
            break;
        case OP_IP4:
            op_ip4(&in);
            break;
        case OP_IP6:
            op_ip6(&in);
            break;
        case OP_ARP:
        default:
            op_raw(&in, 0x0806);
            break;
        }
        drain_tx();
        check_pcb_hash();
    }
    tear_down();
    check_pcb_hash();
    return 0;
}
