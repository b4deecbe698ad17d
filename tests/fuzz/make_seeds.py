#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: programs in the operation language of
fuzz_stack.c. Each seed is a small, valid conversation (a handshake, data, a
close) or one of the hostile cases the guard exists for, so that the fuzzer
starts past the handshake and next to every known defect.

Usage: make_seeds.py OUTDIR"""
import os
import struct
import sys

OP_RAW, OP_CLOCK, OP_TCP, OP_IP4, OP_IP6, OP_ARP, OP_SUPER = range(7)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
STACK4 = bytes([192, 0, 2, 2])


def opt_mss(mss):
    return struct.pack("!BBH", 2, 4, mss)


def opt_ts(val=1000, ecr=0):
    return bytes([1, 1]) + struct.pack("!BBII", 8, 10, val, ecr)


def syn_opts(mss=1460, ts=True):
    o = opt_mss(mss) + bytes([1, 3, 3, 7, 4, 2, 1, 1])  # wscale 7, sackOK
    if ts:
        o += opt_ts()
    return o


def tcp(conn, flags, payload=b"", opts=b"", seq_delta=0, ack_delta=0, window=0xFFFF, ipv6=False):
    assert len(opts) % 4 == 0 and len(opts) <= 40 and len(payload) <= 64
    sel = conn | (0x80 if ipv6 else 0)
    return (bytes([OP_TCP, sel, flags, seq_delta & 0xFF, ack_delta & 0xFF]) + struct.pack("!H", window)
            + bytes([len(opts) // 4]) + opts + bytes([len(payload)]) + payload)


def super_tcp(conn, flags, units, payload=b"", opts=b"", ipv6=False):
    """A super-frame of units * 64 + 1 bytes with a partial checksum (fuzz_stack.c's OP_SUPER):
    its first 64 bytes come from the input, so payload is padded to 64."""
    head = bytes([OP_SUPER]) + tcp(conn, flags, b"", opts, ipv6=ipv6)[1:-1]
    return head + bytes([units]) + payload.ljust(64, b".")


def clock(ticks):
    return bytes([OP_CLOCK, ticks])


def ip4(proto, payload, frag=0, ident=1, src_offset=None):
    srcsel = b"\x00" if src_offset is None else bytes([1, src_offset])
    return bytes([OP_IP4, proto]) + struct.pack("!HH", frag, ident) + srcsel + struct.pack("!H", len(payload)) + payload


def ip6(nh, payload, hop=64, upper_offset=0, upper_proto=None, linklocal_src=False, multicast_dst=False):
    where = 0x80 if upper_offset is None else upper_offset // 8
    addrs = (1 | (5 << 1) if linklocal_src else 0) | (2 if multicast_dst else 0)
    return (bytes([OP_IP6, nh, hop, where, upper_proto if upper_proto is not None else nh, addrs])
            + struct.pack("!H", len(payload)) + payload)


def http(conn, request, ts=1002):
    """request in pieces of at most 64 bytes (one tcp op each), timestamps counting up from ts."""
    out = b""
    for i in range(0, len(request), 64):
        out += tcp(conn, PSH | ACK, request[i:i + 64], opt_ts(ts + i // 64))
    return out


def arp(frame):
    return bytes([OP_ARP]) + struct.pack("!H", len(frame)) + frame


def handshake(conn, ipv6=False, mss=1460, ts=True, window=0xFFFF):
    return (tcp(conn, SYN, opts=syn_opts(mss, ts), ipv6=ipv6, window=window)
            + tcp(conn, ACK, opts=opt_ts(1001) if ts else b"", ipv6=ipv6, window=window))


def tcp_hdr(sport, dport, seq, flags, opts=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (20 + len(opts)) // 4 << 4, flags, 8192, 0, 0) + opts


def frag6(nh, offset_units, more, ident):
    return struct.pack("!BBHI", nh, 0, (offset_units << 3) | (1 if more else 0), ident)


def icmp6_echo(size):
    return struct.pack("!BBHHH", 128, 0, 0, 7, 1) + bytes(range(256))[:size]


def half_open_table_full():
    """Spoofed SYNs from 192.0.2.100..: the harness's half-open limit is 4, so
    the next SYN gets a SYN cookie (fuzz_stack.c)."""
    return b"".join(ip4(6, tcp_hdr(3000 + i, 7, i * 7919, SYN), src_offset=100 + i) for i in range(4))


def periods(n):
    """n SYN-cookie periods of 64 s on the fake clock, in the largest clock steps (5.1 s)."""
    return clock(255) * (n * 64000 // 5100 + 1)


SEEDS = {
    # Super-frames from the kernel (tap offloads): 8 KiB and 16 KiB in one segment, v4 and v6.
    "echo_v4_super_frames": handshake(0) + super_tcp(0, PSH | ACK, 128, b"super", opt_ts(1002)) + clock(5)
    + super_tcp(0, ACK, 255, b"", opt_ts(1003)) + clock(5) + tcp(0, FIN | ACK, opts=opt_ts(1004)),
    "echo_v6_super_frame": handshake(2, ipv6=True) + super_tcp(2, PSH | ACK, 200, b"six", opt_ts(1002), ipv6=True)
    + clock(5) + tcp(2, FIN | ACK, opts=opt_ts(1003), ipv6=True),
    # Ordinary conversations: the fuzzer's way past the handshake.
    "echo_v4_session": handshake(0) + tcp(0, PSH | ACK, b"hello\n", opt_ts(1002)) + clock(5)
    + tcp(0, ACK, opts=opt_ts(1003)) + tcp(0, FIN | ACK, opts=opt_ts(1004)) + clock(10) + tcp(0, ACK, opts=opt_ts(1005)),
    "serial_v4_bye": handshake(1) + tcp(1, PSH | ACK, b"hello", opt_ts(1002)) + tcp(1, PSH | ACK, b"bye\n", opt_ts(1003))
    + clock(5) + tcp(1, FIN | ACK, opts=opt_ts(1004)),
    "echo_v6_session": handshake(2, ipv6=True) + tcp(2, PSH | ACK, b"hello6\n", opt_ts(1002), ipv6=True)
    + clock(3) + tcp(2, FIN | ACK, opts=opt_ts(1003), ipv6=True),
    "echo_no_options": handshake(4, ts=False) + tcp(4, PSH | ACK, b"x" * 64) + clock(20) + tcp(4, RST),
    "echo_out_of_order": handshake(0) + tcp(0, PSH | ACK, b"later", opt_ts(1002), seq_delta=10)
    + tcp(0, PSH | ACK, b"0123456789", opt_ts(1003)) + clock(5),
    # Retransmission paths: lwIP's data is never acknowledged, then only with SACK blocks.
    "echo_retransmit_sack": handshake(0) + tcp(0, PSH | ACK, b"r" * 64, opt_ts(1002)) + clock(60) + clock(120)
    + tcp(0, ACK, opts=bytes([1, 1, 5, 10]) + bytes(8) + opt_ts(1003)[2:] + bytes(2)) + clock(250),
    "echo_persist_probe": handshake(0) + tcp(0, PSH | ACK, b"p" * 64, opt_ts(1002), window=0) + clock(100)
    + clock(200) + tcp(0, ACK, opts=opt_ts(1003), window=4000),
    "echo_simultaneous_close": handshake(0) + tcp(0, PSH | ACK, b"s" * 8, opt_ts(1002))
    + tcp(0, FIN | ACK, opts=opt_ts(1003)) + tcp(0, FIN | ACK, opts=opt_ts(1004), seq_delta=-1) + clock(250),
    "ping_v4": ip4(1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"),
    "ping_v6": ip6(58, icmp6_echo(32)),
    # The defects the guard exists for (issue 5), one input each.
    "bug_tiny_mss_with_timestamps": handshake(0, mss=5, window=40) + tcp(0, PSH | ACK, b"a" * 64, opt_ts(1002), window=40)
    + tcp(0, PSH | ACK, b"a" * 64, opt_ts(1003), window=0) + clock(30) + tcp(0, ACK, opts=opt_ts(1004), window=7) + clock(30),
    # Echo data waits unsent behind a 100-byte window; then the MSS shrinks under it.
    "bug_mss_on_data_segment": handshake(0, window=100) + tcp(0, PSH | ACK, b"b" * 64, opt_ts(1002), window=100)
    + tcp(0, PSH | ACK, b"b" * 64, opt_ts(1003), window=100)
    + tcp(0, PSH | ACK, b"c" * 64, opt_mss(8) + opt_ts(1004), window=100) + clock(30),
    "bug_ptb_mtu_50": handshake(2, ipv6=True)
    + ip6(58, struct.pack("!BBHI", 2, 0, 0, 50) + bytes(48), upper_offset=0)
    + tcp(2, PSH | ACK, b"d" * 64, opt_ts(1002), ipv6=True) + clock(10),
    "bug_redirect_linklocal": ip6(58, struct.pack("!BBHI", 137, 0, 0, 0) + bytes(16) + bytes([0x20, 1, 0xd, 0xb8]) + bytes(11) + b"\x01",
                                  hop=255, linklocal_src=True) + ip6(58, icmp6_echo(8)),
    "bug_syn_backlog_flood": b"".join(ip4(6, tcp_hdr(1000 + i, 7, i * 1000, SYN), src_offset=100 + (i % 100)) for i in range(70))
    + handshake(0) + tcp(0, PSH | ACK, b"after flood", opt_ts(1002)),
    "bug_short_arp": arp(bytes(12) + b"\x08\x06" + bytes([0, 1, 8, 0, 6, 4, 0, 1])) + arp(bytes(14) + bytes(10)),
    "bug_overlapping_frags_v6": ip6(44, frag6(58, 0, True, 77) + icmp6_echo(40), upper_offset=None)
    + ip6(44, frag6(58, 3, False, 77) + bytes(range(40)), upper_offset=None)
    + ip6(44, frag6(58, 5, False, 77) + bytes(range(24)), upper_offset=None),
    "bug_ext_header_chain": ip6(0, bytes([60, 0]) + bytes(6) + bytes([60, 0]) + bytes(6) + bytes([58, 0]) + bytes(6)
                                + icmp6_echo(8), upper_offset=24, upper_proto=58),
    "bug_frag_v4_overlap": ip4(1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + bytes(24), frag=0x2000, ident=9)
    + ip4(1, bytes(32), frag=0x0002, ident=9),
    # Found by the fuzzer: a SYN's zero window makes tcp_write() build full-MSS
    # segments that a later, small window no longer has room for.
    "bug_syn_window_zero": handshake(0, window=0) + tcp(0, PSH | ACK, b"h" * 64, opt_ts(1002), window=0)
    + tcp(0, PSH | ACK, b"h" * 64, opt_ts(1003), window=20) + clock(10),
    # The --web page (connection 3 goes to port 80): the page, keep-alive, a
    # subscriber with live events from an echo session, broken requests, a slowloris.
    "web_page_keep_alive": handshake(3) + http(3, b"GET / HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n") + clock(5)
    + tcp(3, ACK, opts=opt_ts(1010)) + clock(5) + tcp(3, ACK, opts=opt_ts(1011))
    + http(3, b"GET /state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1012) + clock(5)
    + tcp(3, ACK, opts=opt_ts(1020)) + tcp(3, FIN | ACK, opts=opt_ts(1021)),
    "web_events_live": handshake(3) + http(3, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n") + clock(1)
    + tcp(3, ACK, opts=opt_ts(1010)) + handshake(0) + tcp(0, PSH | ACK, b"watched\n", opt_ts(1002)) + clock(1)
    + tcp(3, ACK, opts=opt_ts(1011)) + clock(60) + tcp(3, ACK, opts=opt_ts(1012)) + tcp(0, FIN | ACK, opts=opt_ts(1003))
    + clock(1) + tcp(3, FIN | ACK, opts=opt_ts(1013)),
    "web_bad_requests": handshake(3) + http(3, b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n") + clock(5)
    + handshake(7) + http(7, b"POST /state HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc") + clock(5),
    "web_slowloris": handshake(3) + http(3, b"GET /events HTTP/1.1\r\n") + clock(255) + tcp(3, PSH | ACK, b"X", opt_ts(1003))
    + clock(255) + clock(10) + tcp(3, ACK, opts=opt_ts(1004)),
    # SYN cookies (issue 15): the table full, a connection from a cookie, v4 and v6.
    "cookie_valid_session": half_open_table_full() + handshake(0) + tcp(0, PSH | ACK, b"cookie\n", opt_ts(1002))
    + clock(5) + tcp(0, FIN | ACK, opts=opt_ts(1003)) + clock(10) + tcp(0, ACK, opts=opt_ts(1004)),
    "cookie_valid_v6_data_in_ack": half_open_table_full() + tcp(2, SYN, opts=syn_opts(), ipv6=True)
    + tcp(2, PSH | ACK, b"six", opt_ts(1001), ipv6=True) + clock(5) + tcp(2, FIN | ACK, opts=opt_ts(1002), ipv6=True),
    # Forged cookies: one off either way, one for a port that never sent a SYN, one without timestamps.
    "cookie_forged": half_open_table_full() + tcp(0, SYN, opts=syn_opts()) + tcp(0, ACK, opts=opt_ts(1001), ack_delta=1)
    + tcp(0, ACK, opts=opt_ts(1001), ack_delta=-1) + tcp(3, ACK, b"x", opt_ts(1001)) + tcp(0, PSH | ACK, b"y", seq_delta=5),
    # The cookie's ACK again while its connection lives, and once it is gone.
    "cookie_replayed": half_open_table_full() + handshake(0) + tcp(0, ACK, opts=opt_ts(1001))
    + tcp(0, PSH | ACK, b"twice", opt_ts(1002)) + tcp(0, RST) + tcp(0, ACK, opts=opt_ts(1003), seq_delta=-5),
    # A genuine cookie returned two periods late: a RST.
    "cookie_stale": half_open_table_full() + tcp(0, SYN, opts=syn_opts()) + periods(2) + tcp(0, ACK, opts=opt_ts(1001)),
    # The cookie SYN-ACK announces a zero window: the ACK that carried the cookie is lost and a
    # zero-window probe (one below the client's next sequence number) brings it back; then the
    # window opens from the timers and data follows.
    "cookie_zero_window_probe": half_open_table_full() + tcp(0, SYN, opts=syn_opts())
    + tcp(0, ACK, opts=opt_ts(1001), seq_delta=-1) + clock(1) + tcp(0, PSH | ACK, b"probe", opt_ts(1002))
    + clock(5) + tcp(0, FIN | ACK, opts=opt_ts(1003)),
    # Data on the cookie's ACK, beyond the zero window: dropped, then sent again once the window opens.
    "cookie_data_before_window": half_open_table_full() + tcp(0, SYN, opts=syn_opts())
    + tcp(0, PSH | ACK, b"early", opt_ts(1001)) + clock(1) + tcp(0, PSH | ACK, b"again", opt_ts(1002), seq_delta=-5)
    + clock(5) + tcp(0, FIN | ACK, opts=opt_ts(1003)),
    "bug_bad_tcp_options": handshake(0) + tcp(0, PSH | ACK, b"e", bytes([8, 0, 1, 1])) + tcp(0, PSH | ACK, b"f", bytes([5, 3, 1, 1]))
    + tcp(0, PSH | ACK, b"g", bytes([2, 40, 1, 1])),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"make_seeds: {len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
