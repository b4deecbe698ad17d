#!/usr/bin/env bash
# --diagram FILE.svg draws each connection as a ladder diagram: one SVG per
# connection, numbered in opening order (FILE-1.svg, FILE-2.svg, each logged
# as "diagram: wrote PATH: HOST -> LWIP"), an arrow per segment labelled like
# the timeline, each side's states where they change (the host's as its acks
# show them, its TIME_WAIT's end not seen), lost segments ending half-way,
# retransmissions marked, a legend. The SVG's structure is checked with an
# XML parser; where Debian's chromium is installed, it renders the file too.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc python3
e2e_require_lwiptap
ns_create
lwip_start --trace --diagram "$E2E_WORK/conn.svg" --tx-drop 30 --seed 4
ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev "$TAP" nud permanent
first=40001 second=40002
for port in $first $second; do
    out=$(printf 'connection from %s\n' "$port" | timeout 30 ip netns exec "$NS" nc -N -p "$port" "$LWIP4" 7) ||
        fail "nc from port $port failed"
    assert_eq "connection from $port" "$out" "echo through 30% output loss"
    wait_for_line "$LWIP_LOG" " $HOST4:$port LAST_ACK -> CLOSED" 30 || fail "connection from $port did not close"
done
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
assert_log "diagram: wrote $E2E_WORK/conn-1\.svg: $HOST4:$first -> $LWIP4:7$" "first connection drawn in conn-1.svg"
assert_log "diagram: wrote $E2E_WORK/conn-2\.svg: $HOST4:$second -> $LWIP4:7$" "second in conn-2.svg"

check_svg() { # file client-port
    local segments lost rexmit
    segments=$(grep -cE "INFO (link: (rx|tx)|fault: tx) [0-9]+B t\+[0-9.]+ ($HOST4\.$2 > $LWIP4\.7|$LWIP4\.7 > $HOST4\.$2):" "$LWIP_LOG")
    lost=$(grep -cE "INFO fault: tx [0-9]+B t\+[0-9.]+ $LWIP4\.7 > $HOST4\.$2: .*DROPPED" "$LWIP_LOG" || true)
    rexmit=$(grep -E "INFO (link|fault): (rx|tx) [0-9]+B t\+[0-9.]+ ($HOST4\.$2 > $LWIP4\.7|$LWIP4\.7 > $HOST4\.$2): " "$LWIP_LOG" |
        grep -cE "retransmission( after [<0-9]+ ms)?\)" || true)
    /usr/bin/python3 - "$1" "$segments" "$lost" "$rexmit" "$HOST4:$2" "$LWIP4:7" <<'PY' || fail "$1 is not the ladder diagram of $HOST4:$2"
import sys
import xml.etree.ElementTree as ET

path, segments, lost, rexmit, host, lwip = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5], sys.argv[6]
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(path).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
lifelines = [l for l in root.iter("{http://www.w3.org/2000/svg}line") if "lifeline" in l.get("class", "")]
assert len(lifelines) == 2, "two time lines, host and lwIP"
texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
assert any(t == "host " + host for t in texts), "the host's end is named"
assert any(t == "lwIP " + lwip for t in texts), "lwIP's end is named"
groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "segment" in g.get("class", "").split()]
assert len(groups) == segments, f"{len(groups)} arrows for {segments} segments"
labels = ["".join(t.itertext()) for g in groups for t in g.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "label"]
assert labels[0].startswith("[S] seq 0 win "), labels[0]
assert labels[1].startswith("[S.] seq 0 ack 1 win "), labels[1]
assert any(l.startswith("[P.] seq 1:") for l in labels), "the data is drawn"
assert any(l.startswith("[F.] ") for l in labels), "the FINs are drawn"
dropped = [g for g in groups if "dropped" in g.get("class").split()]
assert len(dropped) == lost, f"{len(dropped)} lost arrows for {lost} drops"
for g in dropped:
    assert g.find("s:path", ns) is not None and g.find("s:line", ns).get("marker-end") is None, "a lost arrow ends in a cross"
marked = [g for g in groups if "retransmission" in g.get("class").split()]
assert len(marked) == rexmit, f"{len(marked)} retransmissions marked for {rexmit}"
states = [(t.get("class"), "".join(t.itertext())) for t in root.iter("{http://www.w3.org/2000/svg}text") if "state" in (t.get("class") or "")]
lwip_states = [s for c, s in states if c == "state lwip"]
host_states = [s for c, s in states if c == "state host"]
assert lwip_states == ["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"], lwip_states
assert host_states[:3] == ["CLOSED", "SYN_SENT", "ESTABLISHED"] and "FIN_WAIT_1" in host_states, host_states
assert host_states[-1] == "TIME_WAIT", host_states
assert "CLOSE_WAIT" not in host_states and "LAST_ACK" not in host_states, host_states
notes = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "note"]
assert "(end not seen)" in notes, notes
assert any(g.get("class") == "legend" for g in root.iter("{http://www.w3.org/2000/svg}g")), "a legend"
PY
}
check_svg "$E2E_WORK/conn-1.svg" "$first"
check_svg "$E2E_WORK/conn-2.svg" "$second"
drops=$(grep -c "DROPPED by --drop" "$LWIP_LOG" || true)
[ "$drops" -ge 1 ] || fail "--tx-drop 30 dropped nothing: no lost arrow was tested"

if command -v chromium >/dev/null 2>&1; then
    timeout 60 chromium --headless --no-sandbox --disable-gpu --screenshot="$E2E_WORK/conn.png" \
        --window-size=1200,1600 "file://$E2E_WORK/conn-1.svg" >"$E2E_WORK/chromium.log" 2>&1 ||
        fail "chromium could not render the diagram"
    size=$(stat -c %s "$E2E_WORK/conn.png" 2>/dev/null || echo 0)
    [ "$size" -gt 10000 ] || fail "chromium's screenshot of the diagram is empty ($size bytes)"
    say "chromium rendered the diagram ($size-byte PNG)"
else
    say "chromium is not installed: the SVG's structure was checked, not its rendering"
fi
e2e_pass
