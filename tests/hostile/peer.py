"""A hostile peer on the host side of the tap: raw Ethernet frames in and out,
from addresses the kernel does not own, so the kernel never answers for them.

It answers lwIP's ARP requests and neighbour solicitations for its own
addresses (in a thread), and hands every other frame lwIP sends to the case
that is waiting for it. Packets are built and parsed with scapy."""
import queue
import random
import socket
import threading
import time

from scapy.all import (ARP, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP, IPv6,
                       IPv6ExtHdrFragment, TCP, Ether, Raw, conf)

conf.verb = 0

ETH_P_ALL = 0x0003
LWIP4 = "192.0.2.2"
LWIP6 = "2001:db8::2"
HOST4 = "192.0.2.1"
HOST6 = "2001:db8::1"
LWIP_MAC = "02:00:00:00:00:02"


class CaseFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailed(what)


class Peer:
    def __init__(self, iface, ip4="192.0.2.66", ip6="2001:db8::66", mac="02:00:00:00:00:66"):
        self.iface, self.ip4, self.ip6, self.mac = iface, ip4, ip6, mac
        self.extra4 = set()  # spoofed IPv4 sources that we answer ARP for too
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.settimeout(0.2)
        self.frames = queue.Queue()
        self.fragments = {}  # IPv6 fragment id -> {offset: (more, bytes)}
        self.running = True
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        self.introduce()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    # ------------------------------------------------------------- the wire

    def send(self, pkt):
        """Sends an L3 packet (IP or IPv6) from us to lwIP, or a whole Ether frame."""
        frame = pkt if isinstance(pkt, (bytes, bytearray)) else bytes(
            pkt if pkt.haslayer(Ether) else Ether(src=self.mac, dst=LWIP_MAC) / pkt)
        self.sock.send(frame)

    def _reader(self):
        while self.running:
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if data[6:12] != bytes.fromhex(LWIP_MAC.replace(":", "")):
                continue  # the kernel's frames, or our own
            frame = Ether(data)
            if self._answer_neighbour_query(frame):
                continue
            if frame.haslayer(IPv6ExtHdrFragment):
                frame = self._reassemble(frame)
                if frame is None:
                    continue
            self.frames.put(frame)

    def _reassemble(self, frame):
        """lwIP fragments TCP segments after a Packet Too Big: put them back together."""
        fh = frame[IPv6ExtHdrFragment]
        parts = self.fragments.setdefault(fh.id, {})
        parts[fh.offset * 8] = (fh.m, bytes(fh.payload))
        data, at = b"", 0
        while at in parts:
            more, chunk = parts[at]
            data += chunk
            at += len(chunk)
            if not more:
                del self.fragments[fh.id]
                ip = frame[IPv6]
                whole = IPv6(src=ip.src, dst=ip.dst, nh=fh.nh, hlim=ip.hlim, plen=len(data)) / Raw(data)
                return Ether(bytes(Ether(src=frame.src, dst=frame.dst) / whole))
        return None

    def _answer_neighbour_query(self, frame):
        if frame.haslayer(ARP) and frame[ARP].op == 1:
            target = frame[ARP].pdst
            if target == self.ip4 or target in self.extra4:
                self.send(Ether(src=self.mac, dst=frame.src) /
                          ARP(op=2, hwsrc=self.mac, psrc=target, hwdst=frame.src, pdst=frame[ARP].psrc))
            return True
        if frame.haslayer(ICMPv6ND_NS):
            if frame[ICMPv6ND_NS].tgt == self.ip6:
                self.send(IPv6(src=self.ip6, dst=frame[IPv6].src, hlim=255) /
                          ICMPv6ND_NA(tgt=self.ip6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=self.mac))
            return True
        return False

    def introduce(self):
        """Teaches lwIP our MACs, as a host's first packet would."""
        self.send(Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=self.mac, psrc=self.ip4, pdst=LWIP4))
        self.send(IPv6(src=self.ip6, dst=LWIP6, hlim=255) / ICMPv6ND_NS(tgt=LWIP6) /
                  ICMPv6NDOptSrcLLAddr(lladdr=self.mac))
        time.sleep(0.1)
        self.drain()

    def drain(self):
        while True:
            try:
                self.frames.get_nowait()
            except queue.Empty:
                return

    def expect(self, pred, timeout=1.0):
        """The first frame from lwIP for which pred(frame) holds, or None."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                return None
            if pred(frame):
                return frame

    def collect(self, pred, duration):
        out, end = [], time.time() + duration
        while time.time() < end:
            f = self.expect(pred, end - time.time())
            if f is not None:
                out.append(f)
        return out

    # ------------------------------------------------------------- TCP

    def tcp_from_lwip(self, sport, v6=False):
        ip = IPv6 if v6 else IP
        return lambda f: f.haslayer(ip) and f.haslayer(TCP) and f[TCP].dport == sport

    def l3(self, v6=False, **kw):
        return IPv6(src=self.ip6, dst=LWIP6, **kw) if v6 else IP(src=self.ip4, dst=LWIP4, **kw)

    def connect(self, dport=7, sport=None, v6=False, options=None, window=65535):
        """Three-way handshake; returns a Conn, or None when lwIP did not answer with SYN-ACK."""
        sport = sport or random.randint(20000, 60000)
        isn = random.randint(0, 2**32 - 1)
        opts = options if options is not None else [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]
        self.send(self.l3(v6) / TCP(sport=sport, dport=dport, flags="S", seq=isn, window=window, options=opts))
        synack = self.expect(self.tcp_from_lwip(sport, v6))
        if synack is None or synack[TCP].flags != "SA":
            return None
        conn = Conn(self, sport, dport, v6, isn + 1, synack[TCP].seq + 1, window)
        conn.send("A")
        return conn


class Conn:
    """One connection to lwIP, its sequence numbers kept by hand."""

    def __init__(self, peer, sport, dport, v6, snd_nxt, rcv_nxt, window):
        self.peer, self.sport, self.dport, self.v6 = peer, sport, dport, v6
        self.snd_nxt, self.rcv_nxt, self.window = snd_nxt, rcv_nxt, window
        self.received = bytearray()

    def segment(self, flags, data=b"", seq=None, ack=None, options=None, window=None, **tcp):
        return self.peer.l3(self.v6) / TCP(
            sport=self.sport, dport=self.dport, flags=flags, seq=self.snd_nxt if seq is None else seq,
            ack=self.rcv_nxt if ack is None else ack, window=self.window if window is None else window,
            options=options or [], **tcp) / Raw(data)

    def send(self, flags, data=b"", advance=True, **kw):
        self.peer.send(self.segment(flags, data, **kw))
        if advance and "seq" not in kw:
            self.snd_nxt += len(data) + (1 if "F" in flags or "S" in flags else 0)

    def receive(self, want, timeout=3.0, ack=True):
        """Reads lwIP's segments until want bytes of data arrived in order (acknowledging them)."""
        end = time.time() + timeout
        while len(self.received) < want and time.time() < end:
            f = self.peer.expect(self.peer.tcp_from_lwip(self.sport, self.v6), end - time.time())
            if f is None:
                break
            self.absorb(f, ack)
        return bytes(self.received)

    def absorb(self, frame, ack=True):
        seg = frame[TCP]
        data = bytes(seg.payload) if seg.payload else b""
        skip = (self.rcv_nxt - seg.seq) % 2**32  # a retransmission may overlap what we have
        if data and skip < len(data):
            self.received += data[skip:]
            self.rcv_nxt = (self.rcv_nxt + len(data) - skip) % 2**32
        if "F" in seg.flags and seg.seq + len(data) == self.rcv_nxt:
            self.rcv_nxt += 1
        if ack and (data or "F" in seg.flags):
            self.send("A")
        return seg

    def reset(self):
        self.send("R", advance=False)

    def echo(self, data, chunk=512, timeout=10.0):
        """Sends data in chunks and reads the same amount back."""
        start = len(self.received)
        for i in range(0, len(data), chunk):
            self.send("PA", data[i:i + chunk])
            self.receive(start + i + len(data[i:i + chunk]), timeout=timeout)
        return self.receive(start + len(data), timeout=timeout)[start:]
