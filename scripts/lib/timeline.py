#!/usr/bin/python3
"""One timeline of one TCP connection: the segments tcpdump saw on tap0 and
lwIP's state changes from lwip-tap's log, in the order they happened.

usage: timeline.py CAPTURE LOG PORT [PORT]

CAPTURE is `tcpdump -n -tt` text (relative sequence numbers, the default),
LOG is lwip-tap's stderr. Segments are kept if they carry PORT (both ports,
when two are given). A state change caused by a received segment ("via rx
[F.]") is printed right after that segment; the log's millisecond clock
alone cannot order it among the segments of the same millisecond.
"""
import datetime
import re
import sys

LWIP_ADDRS = ("192.0.2.2", "2001:db8::2")
FRAME = re.compile(r"^(\d+\.\d+) IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](.*)$")
LOG = re.compile(r"^(\S+)Z (\w+) ([\w-]+): (.*)$")
STATE = re.compile(r"^(\S+) (\S+) (\w+) -> (\w+) via (.*)$")
SHOWN_TAGS = ("connect", "fin-cross", "echo", "serial", "fault", "tcp-conn")


def tidy_options(rest):
    def opts(m):
        kept = []
        for o in m.group(1).split(","):
            o = re.sub(r"^TS val \d+ ecr \d+$", "TS", o.strip())
            if o and o != "nop" and o != "TS":
                kept.append(o)
        return ", options [%s]" % ",".join(kept) if kept else ""

    rest = re.sub(r", options \[([^\]]*)\]", opts, rest)
    return rest.lstrip(", ")


def frames(path, ports):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = FRAME.match(line.strip())
            if not m:
                continue
            t, src, sport, dst, dport, flags, rest = m.groups()
            if not set(ports) <= {sport, dport}:
                continue
            who = "lwIP -> host" if src in LWIP_ADDRS else "host -> lwIP"
            out.append((float(t), "frame", who, flags, tidy_options(rest)))
    return out


def epoch(iso):
    dt = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def log_events(path, ports):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG.match(line.strip())
            if not m:
                continue
            iso, _level, tag, msg = m.groups()
            if tag == "tcp-state":
                s = STATE.match(msg)
                if not s:
                    continue
                local, remote, old, new, cause = s.groups()
                lport, rport = local.rsplit(":", 1)[1], remote.rsplit(":", 1)[1]
                if not set(ports) <= {lport, rport}:
                    continue
                out.append((epoch(iso), "state", "%s -> %s" % (old, new), cause))
            elif tag in SHOWN_TAGS and (
                tag in ("connect", "fin-cross")
                or any(":" + p + " " in msg + " " for p in ports)
                or (tag == "fault" and all("." + p + " " in msg or "." + p + ":" in msg for p in ports))
            ):
                out.append((epoch(iso), "note", tag, msg))
    return out


# The flag lwIP's next frame carries after an app call enters this state.
APP_FLAG = {"SYN_SENT": "S", "FIN_WAIT_1": "F", "LAST_ACK": "F", "CLOSED": "R"}


def merge(fr, ev):
    """Frames in capture order, and each log event after the frames that led
    to it. Log events keep their own order (the causal one); the log's clock
    has milliseconds only, so within a millisecond the cause decides: a state
    change "via rx [F.]" goes right after the next received [F.], one of our
    calls right before the frame it makes lwIP send."""
    placed = [(i, 0, f) for i, f in enumerate(fr)]
    cursor = -1  # the last frame an earlier event was placed after
    for j, e in enumerate(ev):
        t = e[0]
        slot = None
        if e[1] == "state":
            rx = re.match(r"rx \[([^\]]*)\]", e[3])
            new = e[2].split(" -> ")[1]
            for i in range(max(cursor, 0), len(fr)):
                f = fr[i]
                if f[0] > t + 0.002:
                    break
                if rx and f[2] == "host -> lwIP" and f[3] == rx.group(1) and f[0] >= t - 0.001:
                    slot = i
                    break
                if e[3] == "app" and f[2] == "lwIP -> host" and APP_FLAG.get(new, "?") in f[3] and f[0] >= t - 0.001:
                    slot = i - 1
                    break
        if slot is None:
            before = [i for i, f in enumerate(fr) if f[0] < t]
            slot = before[-1] if before else -1
        slot = max(slot, cursor)
        cursor = slot
        placed.append((slot, 1 + j, e))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [p[2] for p in placed]


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    ports = sys.argv[3:]
    fr = frames(sys.argv[1], ports)
    ev = log_events(sys.argv[2], ports)
    events = merge(fr, ev)
    if not events:
        print("    (nothing captured for port %s)" % " and ".join(ports))
        return 0
    start = min(e[0] for e in events)
    print("    %9s  %-13s %-5s %s" % ("ms", "wire", "flags", "segment, or lwIP's state change"))
    for e in events:
        ms = (e[0] - start) * 1000.0
        if e[1] == "frame":
            print("    %9.3f  %-13s %-5s %s" % (ms, e[2], "[%s]" % e[3], e[4]))
        elif e[1] == "state":
            print("    %9s  %-13s %-5s lwIP state %s  (%s)" % ("", "", "", e[2], e[3]))
        else:
            print("    %9s  %-13s %-5s lwip-tap %s: %s" % ("", "", "", e[2], e[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
