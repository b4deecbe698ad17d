#!/usr/bin/python3
"""One TCP connection as lwip-tap's own timeline tells it (--trace or
--explain): each segment with relative seq/ack, scaled windows and labels,
lwIP's state changes where they happened, the plain-language line under
each (--explain), and the fault stage's verdicts (--drop, ...). The same
notation as the demo, the `fault:` lines and the ladder diagrams.

usage: timeline.py [--no-explain] [--only ERE] [--part PART] LOG... -- PORT [PORT]
       timeline.py --wire < TCPDUMP_TEXT

LOG is lwip-tap's stderr (several are read in turn). Segments are kept if
they carry PORT (both ports, when two are given); the application's lines
(echo:, serial:, ...) if they name the first PORT. --only ERE keeps the
segments that match ERE (fault verdicts among them) and every state change
and application line; the segments it leaves out are counted on a line of its own, never cut silently. --part
handshake|data|teardown prints one part: up to ESTABLISHED, up to the
close, from the close on (the first FIN, or what leads to it). The output is folded to 80 columns.

--wire folds tcpdump's own lines (stdin) the same way, for the places where
the raw wire is the point, without tcpdump's clock and the option lists that
hold only the timestamp.
"""
import re
import sys
import textwrap

WIDTH = 80
LWIP_ADDRS = ("192.0.2.2", "2001:db8::2")
LOG = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z (\w+) ([\w-]+): (.*)$")
SEGMENT = re.compile(r"^(rx|tx) \d+B (t\+[\d.]+) (\S+)\.(\d+) > (\S+)\.(\d+): Flags (\[[^\]]*\])(.*)$")
STATE = re.compile(r"^(\S+) (\S+) (\w+ -> \w+ via .*)$")
# The services' and the session's lines that tell what the application did.
NOTE_TAGS = ("connect", "fin-cross", "echo", "serial", "tcp-conn")
# The timestamp option rides on every segment; nop only pads. Both are left
# out (said once, in the header).
QUIET_OPTION = re.compile(r"^(nop|TS val \d+ ecr \d+)$")

SEG_INDENT = " " * 4
CONT_INDENT = " " * 30  # under the flags
STATE_INDENT = " " * 18
EXPLAIN_INDENT = " " * 16 + "| "


def tidy_options(rest):
    def opts(m):
        kept = [o.strip() for o in m.group(1).split(",") if not QUIET_OPTION.match(o.strip())]
        return ", options [%s]" % ",".join(kept) if kept else ""

    return re.sub(r", options \[([^\]]*)\]", opts, rest)


def records(paths):
    """The log's records, a message and its continuation lines joined."""
    for path in paths:
        current = None
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = LOG.match(line)
                if m:
                    if current:
                        yield current
                    current = [m.group(2), m.group(3)]
                elif current and line.strip():
                    current[1] += " " + line.strip()
        if current:
            yield current


def connection(paths, ports):
    """Rows of the connection: (kind, text). An explanation belongs to the
    row just before it, so it is kept only if that row was."""
    rows = []
    keep_explain = False
    for tag, msg in records(paths):
        if tag == "explain":
            if keep_explain:
                rows.append(("explain", msg))
            continue
        keep_explain = False
        if tag in ("link", "fault"):
            m = SEGMENT.match(msg)
            if not m:
                continue
            _, t, src, sport, _dst, dport, flags, rest = m.groups()
            if not set(ports) <= {sport, dport}:
                continue
            who = "lwIP -> host" if src in LWIP_ADDRS else "host -> lwIP"
            rows.append(("fault" if tag == "fault" else "segment", "%s  %s  %s%s" % (t, who, flags, tidy_options(rest))))
            keep_explain = True
        elif tag == "tcp-state":
            m = STATE.match(msg)
            if not m:
                continue
            ends = {m.group(1).rsplit(":", 1)[-1], m.group(2).rsplit(":", 1)[-1]}
            if set(ports) <= ends:
                rows.append(("state", "lwIP state: " + m.group(3)))
                keep_explain = True
        elif tag in NOTE_TAGS and (
            tag in ("connect", "fin-cross") or re.search(r"[:.]%s\b" % ports[0], msg)
        ):
            rows.append(("note", "lwip-tap %s: %s" % (tag, msg)))
    return rows


def fold(text, first, rest):
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
    ) or [first.rstrip()]


def render(kind, text):
    if kind in ("segment", "fault"):
        # An option list breaks only at its commas, never inside "mss 1460".
        text = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\0"), text)
        return [line.replace("\0", " ") for line in fold(text, SEG_INDENT, CONT_INDENT)]
    if kind == "state":
        return fold(text, STATE_INDENT, STATE_INDENT + "  ")
    if kind == "explain":
        return fold(text, EXPLAIN_INDENT, EXPLAIN_INDENT)
    return fold(text, STATE_INDENT, STATE_INDENT + "  ")


def part_of(rows, part):
    """Rows of one part of the connection's life (see --part)."""
    est = next((i for i, r in enumerate(rows) if r[0] == "state" and "-> ESTABLISHED" in r[1]), len(rows) - 1)
    while est + 1 < len(rows) and rows[est + 1][0] == "explain":
        est += 1
    # The close starts with the first FIN, or with the state change or the
    # application's line that comes before it.
    fin = next(
        (
            i
            for i, r in enumerate(rows)
            if (r[0] in ("segment", "fault") and re.search(r" \[[^\]]*F", r[1]))
            or (r[0] == "state" and "ESTABLISHED ->" in r[1])
            or (r[0] == "note" and " closed" in r[1])
        ),
        len(rows),
    )
    fin = max(fin, est + 1)
    return {"handshake": rows[: est + 1], "data": rows[est + 1 : fin], "teardown": rows[fin:]}[part]


def wire():
    for line in sys.stdin:
        line = re.sub(r", options \[nop,nop,TS val \d+ ecr \d+\]", "", line.rstrip("\n"))
        line = re.sub(r"^[\d:.]+ ", "", line)
        # Breaks between fields ("seq 1:7" stays whole), and inside an
        # option list only at its commas.
        pieces = []
        for field in line.split(", "):
            if len(field) > WIDTH - len(SEG_INDENT) - 4:
                opts = field.split(",")
                pieces += [o + "," for o in opts[:-1]] + [opts[-1]]
            else:
                pieces.append(field)
        out, current = [], SEG_INDENT + pieces[0]
        for prev, p in zip(pieces, pieces[1:]):
            sep = "" if prev.endswith(",") else ", "
            if len(current) + len(sep) + len(p) + 1 > WIDTH:
                out.append(current + ("" if sep == "" else ","))
                current = SEG_INDENT + "    " + p
            else:
                current += sep + p
        out.append(current)
        print("\n".join(out))
    return 0


def main(argv):
    if argv == ["--wire"]:
        return wire()
    explain = True
    only = None
    part = None
    while argv and argv[0].startswith("--") and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--no-explain":
            explain = False
        elif opt == "--only" and argv:
            only = re.compile(argv.pop(0))
        elif opt == "--part" and argv and argv[0] in ("handshake", "data", "teardown"):
            part = argv.pop(0)
        else:
            sys.stderr.write(__doc__)
            return 2
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    split = argv.index("--")
    paths, ports = argv[:split], argv[split + 1 :]
    if not paths or len(ports) not in (1, 2):
        sys.stderr.write(__doc__)
        return 2
    rows = connection(paths, ports)
    if part:
        rows = part_of(rows, part)
    if not rows:
        print("    (lwip-tap's log has nothing for port %s)" % " and ".join(ports))
        return 0
    left_out = 0
    shown = None  # whether the last segment was printed, for its explanation
    for kind, text in rows:
        if kind == "explain":
            if explain and shown:
                for line in render(kind, text):
                    print(line)
            continue
        shown = kind not in ("segment", "fault") or only is None or bool(only.search(text))
        if not shown:
            left_out += 1
            continue
        if left_out:
            print("    (%d segment%s left out)" % (left_out, "" if left_out == 1 else "s"))
            left_out = 0
        for line in render(kind, text):
            print(line)
    if left_out:
        print("    (%d segment%s left out)" % (left_out, "" if left_out == 1 else "s"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
