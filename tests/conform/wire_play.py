#!/usr/bin/python3
"""Plays a conformance script (tests/conform/scripts/*.tcp, format in README.md)
from raw frames on a real link: against lwip-tap over its tap, or against
Linux on a veth (the "Linux" column of docs/conformance.md). The peer is
tests/hostile/peer.py's: an address the local kernel does not own, ARP
answered for it. Real time replaces the fake clock, so each expected segment
gets SLACK more tolerance, and a script longer than MAX_SECONDS is skipped.

Usage: wire_play.py IFACE SCRIPT [CONTROL_SOCKET]
Prints "same" when the conversation went as scripted, or "differs at line N:
..." (exit 1), or "skipped: why" (exit 77). CONTROL_SOCKET is the unix socket
of linux_server.py, which performs the script's app steps on Linux."""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
from peer import LWIP4, Peer  # noqa: E402
from scapy.all import IP, TCP, Raw  # noqa: E402

SLACK = 0.15
# Against Linux: its window sizes and option values (window scale, MSS) are
# its own, not what the RFC prescribes; only flags, numbers, payload and which
# options are there are compared.
LOOSE = os.environ.get("CONFORM_LOOSE") == "1"
MAX_SECONDS = 4.0
PEER_ISS = 1000000
PEER_PORT = int(os.environ.get("CONFORM_PEER_PORT", "45000"))


class Differs(Exception):
    pass


def parse(path):
    headers, steps = {}, []
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if line.startswith("#!") and ":" in line:
            k, v = line[2:].split(":", 1)
            headers[k.strip()] = v.strip()
        elif line.startswith("+"):
            m = re.match(r"\+(\d+)\s+(.*)", line)
            steps.append((n, int(m.group(1)), m.group(2)))
    return headers, steps


def parse_segment(text):
    seg = {"flags": text.split()[0], "opts": None, "data": b"", "tol": 0}
    m = re.search(r'"([^"]*)"', text)
    if m:
        seg["data"] = m.group(1).encode()
        text = text[:m.start()] + text[m.end():]
    m = re.search(r"<([^>]*)>", text)
    if m:
        seg["opts"] = [o.strip() for o in m.group(1).split(",") if o.strip()]
        text = text[:m.start()] + text[m.end():]
    m = re.search(r"~(\d+)", text)
    if m:
        seg["tol"] = int(m.group(1))
    for key in ("seq", "ack", "win", "len"):
        m = re.search(r"\b%s (\d+)" % key, text)
        if m:
            seg[key] = int(m.group(1))
    if "len" in seg and not seg["data"]:
        seg["data"] = bytes(ord("a") + i % 26 for i in range(seg["len"]))
    return seg


def scapy_flags(f):
    return "".join({"S": "S", "F": "F", "R": "R", "P": "P", ".": "A"}[c] for c in f)


def wire_flags(seg):
    out = ""
    for bit, c in ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, ".")):
        if int(seg.flags) & bit:
            out += c
    return out


class Player:
    def __init__(self, iface, headers, control):
        self.peer = Peer(iface)
        self.port = int(headers["mode"].split()[1])
        self.control = control
        self.lwip_iss = None
        self.peer_next = 0
        self.lwip_next = 0
        self.peer_ts = 0x1000
        self.lwip_ts = 0
        self.ts_on = False
        self.peer_syn_ts = False

    def frames(self):
        return self.peer.tcp_from_lwip(PEER_PORT)

    def options(self, seg):
        out = []
        for o in seg["opts"] if seg["opts"] is not None else (["ts"] if self.ts_on else []):
            w = o.split()
            if w[0] == "mss":
                out.append(("MSS", int(w[1])))
            elif w[0] == "ws":
                out.append(("WScale", int(w[1])))
            elif w[0] == "sackOK":
                out.append(("SAckOK", b""))
            elif w[0] == "ts":
                syn_only = "S" in seg["flags"] and "." not in seg["flags"]
                val = (int(w[1]), int(w[2])) if len(w) == 3 else (self.peer_ts, 0 if syn_only else self.lwip_ts)
                out.append(("Timestamp", val))
                self.peer_ts += 0x100
            elif w[0] == "sack":
                blocks = [tuple(int(x) + self.lwip_iss for x in b.split(":")) for b in w[1:]]
                out.append(("SAck", tuple(v for b in blocks for v in b)))
            else:
                raise Differs(f"option '{o}' is not played on the wire")
        return out

    def send(self, seg):
        if "S" in seg["flags"] and seg["opts"] and any(o.startswith("ts") for o in seg["opts"]):
            self.peer_syn_ts = True
        rel = seg.get("seq", self.peer_next)
        ack = (self.lwip_iss + seg.get("ack", self.lwip_next)) % 2**32 if "." in seg["flags"] else 0
        pkt = IP(src=self.peer.ip4, dst=LWIP4) / TCP(
            sport=PEER_PORT, dport=self.port, flags=scapy_flags(seg["flags"]), seq=(PEER_ISS + rel) % 2**32,
            ack=ack, window=seg.get("win", 65535), options=self.options(seg))
        if seg["data"]:
            pkt = pkt / Raw(seg["data"])
        end = rel + len(seg["data"]) + ("S" in seg["flags"]) + ("F" in seg["flags"])
        self.peer_next = max(self.peer_next, end)
        self.peer.send(pkt)

    def learn(self, f):
        t = f[TCP]
        if int(t.flags) & 0x02:
            self.lwip_iss = t.seq
            opts = dict((k, v) for k, v in t.options if isinstance(k, str))
            self.ts_on = "Timestamp" in opts and self.peer_syn_ts
        for k, v in t.options:
            if k == "Timestamp":
                self.lwip_ts = v[0]
        data = bytes(t.payload) if t.payload and not isinstance(t.payload, type(None)) else b""
        data = data if not f.haslayer(Raw) else bytes(f[Raw].load)
        if self.lwip_iss is None:
            return data
        rel = (t.seq - self.lwip_iss) % 2**32
        end = rel + len(data) + (int(t.flags) & 0x02 > 0) + (int(t.flags) & 0x01 > 0)
        self.lwip_next = max(self.lwip_next, end)
        return data

    def describe(self, f, data):
        t = f[TCP]
        if self.lwip_iss is None:
            return f"{wire_flags(t)} before any SYN from it, to port {t.dport}"
        return (f"{wire_flags(t)} seq {(t.seq - self.lwip_iss) % 2**32} ack {(t.ack - PEER_ISS) % 2**32} "
                f"win {t.window} len {len(data)} <{','.join(k for k, _ in t.options if isinstance(k, str))}>")

    def check(self, exp, f, data):
        t = f[TCP]
        if wire_flags(t) != exp["flags"]:
            return "flags"
        if "seq" in exp and (t.seq - self.lwip_iss) % 2**32 != exp["seq"]:
            return "seq"
        if "ack" in exp and (t.ack - PEER_ISS) % 2**32 != exp["ack"]:
            return "ack"
        if "win" in exp and t.window != exp["win"] and not LOOSE:
            return "window"
        if ("len" in exp or exp["data"]) and data != exp["data"]:
            return "payload"
        opts = dict((k, v) for k, v in t.options if isinstance(k, str))
        for o in exp["opts"] or []:
            w = o.split()
            want = {"mss": "MSS", "ws": "WScale", "sackOK": "SAckOK", "ts": "Timestamp", "sack": "SAck"}[w[0]]
            if want not in opts:
                return f"options ({o} missing)"
            if w[0] in ("mss", "ws") and opts[want] != int(w[1]) and not LOOSE:
                return f"options ({w[0]} {opts[want]}, not {w[1]})"
        return None

    def play(self, steps):
        last = time.time()
        for line, after, what in steps:
            due = last + after / 1000.0
            if what.startswith(">"):
                rest = what[1:].strip()
                if rest == "none":
                    f = self.peer.expect(self.frames(), max(0.0, due - time.time()))
                    if f is not None:
                        raise Differs(f"line {line}: sent {self.describe(f, self.learn(f))}, none expected")
                    last = due
                    continue
                exp = parse_segment(rest)
                tol = exp["tol"] / 1000.0 + SLACK
                f = self.peer.expect(self.frames(), max(0.0, due + tol - time.time()))
                if f is None:
                    raise Differs(f"line {line}: nothing sent within {after + exp['tol']} ms")
                data = self.learn(f)
                if time.time() < due - tol:
                    raise Differs(f"line {line}: sent early: {self.describe(f, data)}")
                diff = self.check(exp, f, data)
                if diff:
                    raise Differs(f"line {line}: {diff} differ: sent {self.describe(f, data)}")
                last = time.time()
                continue
            f = self.peer.expect(self.frames(), max(0.0, due - time.time()))
            if f is not None:
                raise Differs(f"line {line}: unexpected {self.describe(f, self.learn(f))}")
            if what.startswith("<"):
                self.send(parse_segment(what[1:].strip()))
            elif what.startswith("app"):
                if self.control is None:
                    raise Differs(f"line {line}: app steps need the Linux server's control socket")
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.control)
                    s.sendall(what[3:].strip().encode() + b"\n")
                    s.recv(16)
            elif what.startswith("state"):
                pass  # a state is lwIP's; on the wire only the segments are compared
            last = due
        f = self.peer.expect(self.frames(), SLACK)
        if f is not None:
            raise Differs(f"at the end: unexpected {self.describe(f, self.learn(f))}")


def main():
    iface, path = sys.argv[1], sys.argv[2]
    control = sys.argv[3] if len(sys.argv) > 3 else None
    headers, steps = parse(path)
    total = sum(after for _, after, _ in steps) / 1000.0
    if headers["mode"].split()[0] != "server":
        print("skipped: a client script (lwIP connects)")
        return 77
    if total > MAX_SECONDS:
        print(f"skipped: {total:.0f} s of script time")
        return 77
    if "raw " in open(path).read():
        print("skipped: raw option bytes are not played on the wire")
        return 77
    if control is None and any(w.startswith("app") for _, _, w in steps):
        print("skipped: app steps (lwip-tap's services take none)")
        return 77
    player = Player(iface, headers, control)
    try:
        player.play(steps)
    except Differs as e:
        print(f"differs at {e}")
        return 1
    finally:
        player.peer.close()
    print("same")
    return 0


sys.exit(main())
