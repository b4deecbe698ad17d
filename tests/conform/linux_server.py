#!/usr/bin/python3
"""The Linux side of wire_play.py: an echo server on port 7 and a sink on
port 9000 (reads and discards, like lwiptap_conform's own listener), and a
unix control socket through which the player has the script's app steps done
on the last connection accepted on 9000.

Usage: linux_server.py CONTROL_SOCKET"""
import os
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
sink = {"conn": None}


def listen(port, role):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ, (role, "listen"))


def app_step(words, conn):
    if words[0] == "close":
        if conn in sel.get_map():
            sel.unregister(conn)
        conn.close()
        sink["conn"] = None
    elif words[0] == "shutdown":
        conn.shutdown(socket.SHUT_WR)
    elif words[0] == "write":
        n = int(words[2]) if words[1] == "len" else None
        conn.sendall(bytes(ord("a") + i % 26 for i in range(n)) if n else " ".join(words[1:]).strip('"').encode())
    elif words[0] == "keepalive":
        idle, intvl, cnt = (int(w) for w in words[1:4])
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, max(1, idle // 1000))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, intvl // 1000))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)


def main():
    path = sys.argv[1]
    listen(7, "echo")
    listen(9000, "sink")
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    ctl.bind(path)
    ctl.listen(4)
    sel.register(ctl, selectors.EVENT_READ, ("control", "listen"))
    while True:
        for key, _ in sel.select():
            role, kind = key.data
            sock = key.fileobj
            if kind == "listen" and role != "control":
                conn, _ = sock.accept()
                sel.register(conn, selectors.EVENT_READ, (role, "conn"))
                if role == "sink":
                    sink["conn"] = conn
            elif role == "control":
                c, _ = sock.accept()
                words = c.recv(256).decode().split()
                if sink["conn"] is not None:
                    try:
                        app_step(words, sink["conn"])
                    except OSError:
                        pass  # the connection is gone: the segments tell
                c.sendall(b"ok\n")
                c.close()
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(sock)
                    if sock is not sink["conn"]:
                        sock.close()
                elif role == "echo":
                    try:
                        sock.sendall(data)
                    except OSError:  # reset by the script
                        sel.unregister(sock)
                        sock.close()


main()
