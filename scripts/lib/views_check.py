#!/usr/bin/python3
"""Does a ladder diagram give the same numbers as lwip-tap's own timeline?
Every arrow of the diagram (flags, seq, ack, window, length) must be a
segment of the connection in the log's timeline lines (link: and fault:)
with the same numbers: one notation in every view.

usage: views_check.py LOG SVG HOST_PORT LWIP_PORT

A pure ACK's seq is not in the timeline; there it is not compared. Prints
each arrow that has no such segment and exits 1 if there is one, 0 if all
agree, 2 if the files do not hold the connection.
"""
import html
import re
import sys

TRACE = re.compile(
    r"INFO (?:link|fault): (rx|tx) \d+B t\+[\d.]+ \S+\.(\d+) > \S+\.(\d+): Flags \[([^\]]*)\](.*)$"
)
LABEL = re.compile(r'<g class="segment from-(host|lwip)[^"]*">.*?class="label"[^>]*>([^<]*)</text>', re.S)


def num(pattern, text):
    m = re.search(pattern, text)
    return m.group(1) if m else None


def timeline(path, hport, lport):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE.search(line)
            if not m or {m.group(2), m.group(3)} != {hport, lport}:
                continue
            direction, flags, rest = m.group(1), m.group(4), m.group(5)
            out.append(
                {
                    "from": "lwip" if direction == "tx" else "host",
                    "flags": flags,
                    "seq": num(r", seq ([\d:]+)", rest),
                    "ack": num(r", ack (\d+)", rest),
                    "win": num(r", win (\d+)", rest),
                    "len": num(r", length (\d+)", rest),
                }
            )
    return out


def diagram(path):
    with open(path, errors="replace") as f:
        text = f.read()
    out = []
    for side, label in LABEL.findall(text):
        label = html.unescape(label)
        m = re.match(r"\[([^\]]*)\](.*)", label)
        if not m:
            continue
        rest = m.group(2)
        out.append(
            {
                "from": side,
                "flags": m.group(1),
                "seq": num(r"\bseq ([\d:]+)", rest),
                "ack": num(r"\back (\d+)", rest),
                "win": num(r"\bwin (\d+)", rest),
                "len": num(r"\blen(?:gth)? (\d+)", rest),
                "label": label,
            }
        )
    return out


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    log, svg, hport, lport = sys.argv[1:]
    segs = timeline(log, hport, lport)
    arrows = diagram(svg)
    if not segs or not arrows:
        print("no segments of %s <-> %s in %s and %s" % (hport, lport, log, svg))
        return 2
    unused = list(segs)
    bad = 0
    for a in arrows:
        match = None
        for s in unused:
            if all(a[k] == s[k] for k in ("from", "flags", "ack", "len")) and (s["seq"] is None or a["seq"] == s["seq"]):
                if match is None:
                    match = s
                if a["win"] == s["win"]:
                    match = s
                    break
        if match is None:
            print("diagram: %s (%s) is no segment of the timeline" % (a["label"], a["from"]))
            bad += 1
            continue
        unused.remove(match)
        if match["win"] != a["win"]:
            print("diagram: %s (%s): the timeline says win %s" % (a["label"], a["from"], match["win"]))
            bad += 1
    print("%d of %d arrows agree with the timeline" % (len(arrows) - bad, len(arrows)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
