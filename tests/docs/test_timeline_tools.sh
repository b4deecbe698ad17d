#!/usr/bin/env bash
# The tools the demo and the lessons print with, on canned input:
# scripts/lib/timeline.py shows lwip-tap's own timeline lines as they are
# (relative numbers, scaled windows, labels, fault verdicts), in order,
# folded to 80 columns, and counts what --only leaves out;
# scripts/lib/teardown_check.py works out both sides' teardown states from a
# capture's FINs and ack numbers and tells a diagram that agrees from one
# that does not; scripts/lib/views_check.py tells a diagram arrow with the
# timeline's numbers from one without.
set -uo pipefail
root=${1:?usage: test_timeline_tools.sh REPO_ROOT}
tl=$root/scripts/lib/timeline.py
tc=$root/scripts/lib/teardown_check.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

cat >"$work/log" <<'LOG'
2026-12-02T18:56:08.229099Z INFO link: rx 74B t+0.000000 192.0.2.1.45048 > 192.0.2.2.1234: Flags [S], seq 0, win 64240, options [mss 1460,sackOK,TS val 671734175 ecr 0,nop,wscale 10], length 0
2026-12-02T18:56:08.229102Z INFO explain: SYN: the host asks to open a connection. Its first sequence number (ISN) is 4255437082; the timeline counts from it,
  so the SYN is byte 0.
2026-12-02T18:56:08.229135Z INFO tcp-state: 192.0.2.2:1234 192.0.2.1:45048 LISTEN -> SYN_RCVD via rx [S]
2026-12-02T18:56:08.229140Z INFO link: rx 74B t+0.000000 192.0.2.1.40000 > 192.0.2.2.7: Flags [S], seq 0, win 64240, length 0
2026-12-02T18:56:08.229141Z INFO explain: another connection's SYN
2026-12-02T18:56:08.229181Z INFO link: tx 78B t+0.000061 192.0.2.2.1234 > 192.0.2.1.45048: Flags [S.], seq 0, ack 1, win 65535, options [mss 1460,nop,nop,TS val 437277 ecr 671734175,nop,wscale 3,nop,nop,sackOK], length 0
2026-12-02T18:56:08.229192Z INFO link: rx 66B t+0.000105 192.0.2.1.45048 > 192.0.2.2.1234: Flags [.], ack 1, win 64512, options [nop,nop,TS val 671734175 ecr 437277], length 0
2026-12-02T18:56:08.229201Z INFO tcp-state: 192.0.2.2:1234 192.0.2.1:45048 SYN_RCVD -> ESTABLISHED via rx [.]
2026-12-02T18:56:09.229469Z INFO fault: tx 73B t+1.000318 192.0.2.2.1234 > 192.0.2.1.45048: Flags [P.], seq 1:8, ack 7, win 262136, length 7 DROPPED by --drop
2026-12-02T18:56:10.729469Z INFO link: tx 73B t+2.500318 192.0.2.2.1234 > 192.0.2.1.45048: Flags [P.], seq 1:8, ack 7, win 262136, length 7 (retransmission after 1500 ms)
LOG
out=$(/usr/bin/python3 "$tl" "$work/log" -- 45048 1234) || fail "timeline.py exited $?"
printf '%s\n' "$out" >"$work/out"
grep -q "^    t+0.000000  host -> lwIP  \[S\], seq 0, win 64240, options$" "$work/out" ||
    fail "the SYN as lwip-tap logged it, folded before its options: $(head -n2 "$work/out")"
grep -q "^ *\[mss 1460,sackOK,wscale 10\], length 0$" "$work/out" || fail "the SYN's options without TS and nop"
grep -q "^                | so the SYN is byte 0\.$\|the SYN is byte 0\.$" "$work/out" || fail "a folded explanation joined"
grep -q "^                  lwIP state: LISTEN -> SYN_RCVD via rx \[S\]$" "$work/out" || fail "the state change"
grep -q "another connection" "$work/out" && fail "another connection's explanation shown"
grep -q "win 64512, length 0$" "$work/out" || fail "the scaled window, the timestamp-only option list left out"
# A segment folded at 80 columns goes on under its flags: join it back.
sed -E ':a;N;$!ba;s/\n {30}/ /g' "$work/out" >"$work/joined"
grep -q "^    t+1.000318  lwIP -> host  \[P.\], seq 1:8, ack 7, win 262136, length 7 DROPPED by --drop$" "$work/joined" ||
    fail "the fault verdict"
grep -q "length 7 (retransmission after 1500 ms)$" "$work/joined" || fail "the label"
[ "$(grep -n 'SYN_RCVD -> ESTABLISHED' "$work/out" | cut -d: -f1)" -lt "$(grep -n 'DROPPED' "$work/out" | cut -d: -f1)" ] ||
    fail "the log's order kept"
awk 'length > 80' "$work/out" | grep -q . && fail "lines over 80 columns: $(awk 'length > 80' "$work/out")"
grep -qE ' +$' "$work/out" && fail "trailing blanks"
only=$(/usr/bin/python3 "$tl" --no-explain --only 'retransmission|DROPPED' "$work/log" -- 45048 1234)
[ "$(grep -E '^    \([0-9]+ segments? left out\)$' <<<"$only" | paste -sd ' ')" = "    (1 segment left out)     (2 segments left out)" ] ||
    fail "--only counts what it leaves out: $only"
grep -q "explain\|| SYN" <<<"$only" && fail "--no-explain shows explanations"
part=$(/usr/bin/python3 "$tl" --no-explain --part handshake "$work/log" -- 45048 1234)
grep -q "DROPPED" <<<"$part" && fail "--part handshake goes past ESTABLISHED"
grep -q "SYN_RCVD -> ESTABLISHED" <<<"$part" || fail "--part handshake ends at ESTABLISHED"
wire=$(printf '%s\n' '1796238233.718270 IP 192.0.2.2.57859 > 192.0.2.1.9: Flags [S], seq 1283321610, win 65535, options [mss 1460,nop,nop,TS val 902766 ecr 0,nop,wscale 3,nop,nop,sackOK], length 0' |
    /usr/bin/python3 "$tl" --wire)
awk 'length > 80' <<<"$wire" | grep -q . && fail "--wire over 80 columns: $wire"
grep -q "^    IP 192.0.2.2.57859 > 192.0.2.1.9: Flags \[S\], seq 1283321610, win 65535,$" <<<"$wire" ||
    fail "--wire keeps tcpdump's raw numbers, without its clock: $wire"

# A crossing: each FIN leaves before the other side's arrives (neither
# acknowledges the other), as tap0 saw it.
cat >"$work/cap" <<'CAP'
1.0 IP 192.0.2.1.47590 > 192.0.2.2.1234: Flags [P.], seq 100:104, ack 500, win 63, length 4
1.1 IP 192.0.2.1.47590 > 192.0.2.2.1234: Flags [F.], seq 104, ack 500, win 63, length 0
1.2 IP 192.0.2.2.1234 > 192.0.2.1.47590: Flags [F.], seq 500, ack 104, win 32766, length 0
1.3 IP 192.0.2.1.47590 > 192.0.2.2.1234: Flags [.], ack 501, win 63, length 0
1.4 IP 192.0.2.2.1234 > 192.0.2.1.47590: Flags [.], ack 105, win 32765, length 0
CAP
svg() {
    { for s in ESTABLISHED $1; do printf '<text class="state host">%s</text>\n' "$s"; done
      for s in ESTABLISHED $2; do printf '<text class="state lwip">%s</text>\n' "$s"; done; } >"$work/svg"
}
svg "FIN_WAIT_1 CLOSING TIME_WAIT" "FIN_WAIT_1 CLOSING TIME_WAIT CLOSED"
/usr/bin/python3 "$tc" "$work/cap" "$work/svg" 47590 1234 >"$work/tc" || fail "a crossing drawn as one rejected: $(cat "$work/tc")"
# The diagram of issue 14: the host's side drawn as a passive close.
svg "CLOSE_WAIT LAST_ACK CLOSED" "FIN_WAIT_1 CLOSING TIME_WAIT CLOSED"
/usr/bin/python3 "$tc" "$work/cap" "$work/svg" 47590 1234 >"$work/tc" && fail "the host drawn CLOSE_WAIT in a crossing accepted"
grep -q "host  capture: FIN_WAIT_1 -> CLOSING -> TIME_WAIT .*DISAGREE" "$work/tc" || fail "the host's states: $(cat "$work/tc")"
# The host's FIN acknowledges lwIP's: the host closed passively.
sed -i 's/^1.1 .*/1.1 IP 192.0.2.1.47590 > 192.0.2.2.1234: Flags [F.], seq 104, ack 501, win 63, length 0/; s/^1.2 .*/0.9 IP 192.0.2.2.1234 > 192.0.2.1.47590: Flags [F.], seq 500, ack 104, win 32766, length 0/' "$work/cap"
sort -n "$work/cap" -o "$work/cap"
svg "CLOSE_WAIT LAST_ACK CLOSED" "FIN_WAIT_1 TIME_WAIT CLOSED"
/usr/bin/python3 "$tc" "$work/cap" "$work/svg" 47590 1234 >"$work/tc" ||
    fail "a passive close of the host with lwIP's FIN_WAIT_1 -> TIME_WAIT rejected: $(cat "$work/tc")"
# views_check.py: an arrow with the raw window of a dropped frame (issue 14)
# is not the timeline's segment; the scaled one is.
vc=$root/scripts/lib/views_check.py
printf '%s\n' '<g class="segment from-lwip dropped">' \
    '<text class="label" fill="#1f3a93">[P.] seq 1:8 ack 7 win 32767 len 7 LOST</text>' >"$work/svg"
/usr/bin/python3 "$vc" "$work/log" "$work/svg" 45048 1234 >"$work/vc" && fail "a raw window in the diagram accepted"
grep -q "the timeline says win 262136" "$work/vc" || fail "views_check.py: $(cat "$work/vc")"
sed -i 's/win 32767/win 262136/' "$work/svg"
/usr/bin/python3 "$vc" "$work/log" "$work/svg" 45048 1234 >"$work/vc" || fail "the timeline's own numbers rejected: $(cat "$work/vc")"
[ "$status" -ne 0 ] || echo "PASS: timeline.py, teardown_check.py and views_check.py"
exit "$status"
