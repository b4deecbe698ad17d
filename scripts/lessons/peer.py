#!/usr/bin/python3
"""Host-side peers for the lessons that need a client behaving on purpose.
Run inside the lesson's namespace; each prints what it saw and exits 0 only
if the data it got back is exactly what it expected.

  peer.py half-close HOST PORT     sends, gets the answer and lwIP's FIN, keeps sending, then closes
  peer.py zero-window HOST PORT    sends 256 KiB to echo without reading for 8 s, then reads it all
  peer.py keepalive HOST PORT DEV  talks, goes silent, then vanishes (the address of DEV is removed)
  peer.py reset HOST PORT          sends, then closes with SO_LINGER 0: a RST instead of a FIN
"""
import os
import socket
import struct
import subprocess
import sys
import time


def connect(host, port, rcvbuf=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect((host, port))
    return s


def text(data):
    """Bytes as a learner reads them: "hello" plus a newline, not b'hello\\n'."""
    shown = data.decode("ascii", "replace")
    if shown.endswith("\n"):
        return '"%s" and a newline' % shown[:-1]
    return '"%s"' % shown


def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def half_close(host, port):
    s = connect(host, port)
    s.sendall(b"hello\n")
    answer = recv_exactly(s, 6)
    eof = s.recv(100)
    print("got %s, then %s" % (text(answer), "lwIP's FIN (end of data)" if eof == b"" else text(eof)))
    time.sleep(0.3)
    s.sendall(b"still talking after your FIN\n")
    print("sent 29 more bytes after lwIP's FIN")
    time.sleep(0.3)
    s.close()
    return answer == b"hello\n" and eof == b""


def zero_window(host, port):
    data = os.urandom(256 * 1024)
    s = connect(host, port, rcvbuf=4096)
    s.setblocking(False)
    sent = 0
    deadline = time.time() + 8
    while time.time() < deadline:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
    print("sent %d bytes and read nothing for 8 s" % sent)
    s.setblocking(True)
    s.settimeout(15)
    got = b""
    while len(got) < len(data):
        if sent < len(data):
            s.setblocking(False)
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
            s.setblocking(True)
            s.settimeout(15)
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    ok = got == data
    print("read %d bytes back: %s" % (len(got), "identical" if ok else "DIFFERENT"))
    return ok


def keepalive(host, port, dev):
    s = connect(host, port)
    s.sendall(b"hello\n")
    answer = recv_exactly(s, 6)
    print("got %s, then stays silent (its kernel still answers lwIP's probes)" % text(answer))
    time.sleep(3.5)
    subprocess.run(["ip", "addr", "flush", "dev", dev], check=True)
    print("removed the host's addresses from %s: lwIP's probes now reach nobody" % dev)
    time.sleep(6)
    s.close()
    return answer == b"hello\n"


def reset(host, port):
    s = connect(host, port)
    s.sendall(b"hello\n")
    answer = recv_exactly(s, 6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("got %s, then closed with SO_LINGER 0 (RST)" % text(answer))
    return answer == b"hello\n"


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "half-close":
        ok = half_close(host, port)
    elif mode == "zero-window":
        ok = zero_window(host, port)
    elif mode == "keepalive" and len(sys.argv) == 5:
        ok = keepalive(host, port, sys.argv[4])
    elif mode == "reset":
        ok = reset(host, port)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
