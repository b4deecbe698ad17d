#!/usr/bin/env python3
"""A page's part, for e2e.web and the hostile suite: subscribes to GET /events
on HOST:PORT and writes every event it reads as one line, KIND JSON, to
stdout (flushed), or, with --never-read, sends the request and then never
reads (a subscriber whose queue must stay bounded), until killed."""
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    never_read = "--never-read" in sys.argv
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if never_read:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    s.sendall(b"GET /events HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n")
    if never_read:
        print("subscribed, never reading", flush=True)
        while True:
            time.sleep(3600)
    f = s.makefile("rb")
    status = f.readline().decode().strip()
    print("STATUS " + status, flush=True)
    while f.readline() not in (b"\r\n", b""):
        pass
    kind = None
    for raw in f:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            print(kind + " " + line[6:], flush=True)


if __name__ == "__main__":
    main()
