#!/usr/bin/python3
"""Do a ladder diagram's states agree with the capture? For one connection
(host port PORT, lwIP port LPORT), the teardown states of each side as RFC
9293's state machine gives them from the segments on the wire, against the
states the diagram draws.

usage: teardown_check.py CAPTURE SVG HOST_PORT LWIP_PORT

CAPTURE is `tcpdump -n -S` text of tap0 (absolute numbers). Each side's
states follow from its own FIN and the other side's segments that reached
it afterwards (the ack numbers say which it had seen): a FIN that acknowledges the other's FIN closes
passively (CLOSE_WAIT, LAST_ACK, CLOSED); otherwise FIN_WAIT_1, then
FIN_WAIT_2 (an ACK of it first), TIME_WAIT (a FIN that acknowledges it) or
CLOSING (a FIN that does not). Prints both sides and exits 0 if the diagram
agrees, 1 if not, 2 if the files do not hold the connection.
"""
import re
import sys

SEG = re.compile(r"IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](.*)$")


def segments(path, hport, lport):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = SEG.search(line)
            if not m:
                continue
            _, sport, _, dport, flags, rest = m.groups()
            if {sport, dport} != {hport, lport}:
                continue
            seq = re.search(r", seq (\d+)", rest)
            ack = re.search(r", ack (\d+)", rest)
            out.append(
                (
                    "host" if sport == hport else "lwip",
                    flags,
                    int(seq.group(1)) if seq else None,
                    int(ack.group(1)) if ack else None,
                )
            )
    return out


def acks(ack, fin_seq):
    """ack covers the FIN at fin_seq (sequence numbers wrap at 2^32)."""
    return ack is not None and fin_seq is not None and 0 < (ack - fin_seq) % 2**32 < 2**31


def teardown(segs, me):
    """me's states from ESTABLISHED on, as its peer's segments reach it."""
    mine = [s for s in segs if s[0] == me and "F" in s[1]]
    theirs_fin = [s for s in segs if s[0] != me and "F" in s[1]]
    if not mine:
        return []
    my_fin = mine[0]
    their_fin_seq = theirs_fin[0][2] if theirs_fin else None
    if theirs_fin and acks(my_fin[3], their_fin_seq):
        states = ["CLOSE_WAIT", "LAST_ACK"]
        after = segs[segs.index(my_fin) + 1 :]
        if any(s[0] != me and acks(s[3], my_fin[2]) for s in after):
            states.append("CLOSED")
        return states
    states = ["FIN_WAIT_1"]
    # What reached me after my FIN left: the peer's segments after it on
    # tap0, and a FIN of the peer's before it there that my FIN does not
    # acknowledge (on its way to me while mine was on its way out).
    at = segs.index(my_fin)
    arrivals = [
        s
        for i, s in enumerate(segs)
        if s[0] != me and (i > at or ("F" in s[1] and not acks(my_fin[3], s[2])))
    ]
    for s in arrivals:
        fin = "F" in s[1]
        acked = acks(s[3], my_fin[2])
        state = states[-1]
        if state == "FIN_WAIT_1" and fin:
            states.append("TIME_WAIT" if acked else "CLOSING")
        elif state == "FIN_WAIT_1" and acked:
            states.append("FIN_WAIT_2")
        elif state == "FIN_WAIT_2" and fin:
            states.append("TIME_WAIT")
        elif state == "CLOSING" and acked:
            states.append("TIME_WAIT")
    return states


def drawn(svg, side):
    """The diagram's states of one side, from ESTABLISHED on (the first word
    of each label: a label may add how sure it is)."""
    with open(svg, errors="replace") as f:
        text = f.read()
    states = re.findall(r'class="state %s">([A-Z_0-9]+)' % side, text)
    if "ESTABLISHED" in states:
        states = states[states.index("ESTABLISHED") + 1 :]
    return states


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    capture, svg, hport, lport = sys.argv[1:]
    segs = segments(capture, hport, lport)
    if not segs:
        print("no segment of %s <-> %s in %s" % (hport, lport, capture))
        return 2
    ok = True
    for side, name in (("host", "host"), ("lwip", "lwIP")):
        want = teardown(segs, side)
        got = shown = drawn(svg, side)
        # The end of the peer's TIME_WAIT is not on the wire: a CLOSED drawn
        # after it is the diagram's guess, not a contradiction.
        if side == "host" and got[-1:] == ["CLOSED"] and want[-1:] == ["TIME_WAIT"]:
            got = got[:-1]
        # lwIP's CLOSED after TIME_WAIT comes from its timer, not the wire.
        if side == "lwip" and got[-1:] == ["CLOSED"] and want[-1:] == ["TIME_WAIT"]:
            got = got[:-1]
        agree = got == want
        ok = ok and agree
        print(
            "%-5s capture: %-40s diagram: %s%s"
            % (name, " -> ".join(want) or "-", " -> ".join(shown) or "-", "" if agree else "   DISAGREE")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
