#!/usr/bin/env bash
# scripts/demo.sh, run against the binaries under test (no setup, no build),
# exits 0 and prints every section it promises.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip tcpdump nc ping
e2e_require_lwiptap
e2e_require_tcp_client
demo="$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo.sh"
[ -f "$demo" ] || fail "no $demo"
build=$(cd "$(dirname "$LWIPTAP")/.." && pwd)
[ "$build/bin/lwip-tap" -ef "$LWIPTAP" ] || fail "lwip-tap is not in <build>/bin: $LWIPTAP"

rc=0
LWIPTAP_DEMO_SKIP_BUILD=1 LWIPTAP_BUILD_DIR="$build" LWIPTAP_DEMO_DIAGRAMS="$E2E_WORK/diagrams" LWIPTAP_DEMO_KEEP="$E2E_WORK/kept" timeout 90 bash "$demo" \
    >"$E2E_WORK/demo-output.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "demo.sh exit code"
out="$E2E_WORK/demo-output.txt"
for section in '== Setup ==' '== ping \(IPv4\)' '== ping6 \(IPv6\)' '== Serial echo session' \
    '== The three-way handshake' '== Data exchange ==' '== Teardown ==' \
    '== The same connection on the wire' '== Echo session' '== Ladder diagrams ==' '== Result =='; do
    assert_file_contains "$out" "^$section" "demo section '$section'"
done
assert_file_contains "$out" '^    lwIP answers:  0hello$' "demo transcript"
assert_file_contains "$out" '^    lwIP answers:  1world$' "demo transcript"
assert_file_contains "$out" "$LWIP4\.1234 > $HOST4\.[0-9]+: Flags \\[S\\.\\], seq [0-9]{2,}" "demo SYN-ACK line (tcpdump, raw numbers)"
# The sections are lwIP's --explain timeline: relative numbers, states, and a line under each.
# A segment folded at 80 columns goes on under its flags: join it back.
sed -E ':a;N;$!ba;s/\n {30}/ /g' "$out" >"$E2E_WORK/joined.txt"
assert_file_contains "$E2E_WORK/joined.txt" '^    t\+0\.000000  host -> lwIP  \[S\], seq 0, win [0-9]+, options \[mss' "demo timeline SYN"
assert_file_contains "$E2E_WORK/joined.txt" '^    t\+[0-9.]+  lwIP -> host  \[S\.\], seq 0, ack 1, .*mss 1460' "demo timeline SYN-ACK"
assert_file_contains "$out" '^                \| SYN-ACK: lwIP agrees' "demo explanation under the SYN-ACK"
assert_file_contains "$out" '^                  lwIP state: ESTABLISHED -> FIN_WAIT_1 via app' "demo state change"
assert_file_contains "$out" '^                \| lwIP.s application closed first \(an active close\)' "demo explanation of FIN_WAIT_1"
assert_file_contains "$out" '^    file://.*/connection-1\.svg$' "demo diagram of the first connection"
assert_file_contains "$out" '^    file://.*/connection-2\.svg$' "demo diagram of the second connection"
assert_file_contains "$out" '^        [0-9.]+:[0-9]+ -> [0-9.]+:1234$' "the diagram of the serial connection named"
! grep -nE '^    file://' "$out" | grep -vE '/connection-[0-9]+\.svg$' || fail "a diagram not named connection-N.svg"
# Every arrow of each diagram carries the numbers of lwip-tap's own timeline.
conn_re='^[0-9.]+:([0-9]+) -> [0-9.]+:([0-9]+)$'
while IFS= read -r line; do
    svg=${line#    file://}
    conn=$(grep -A1 -xF "$line" "$out" | sed -n '2s/^ *//p')
    [[ $conn =~ $conn_re ]] || fail "no connection under $svg ($conn)"
    /usr/bin/python3 "$(dirname "$0")/../../scripts/lib/views_check.py" "$E2E_WORK/kept/lwip-tap.log" "$svg" \
        "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" || fail "$svg disagrees with the timeline of $conn"
    # The demo keeps lwIP's default MSL (60 s) and ends within it: a TIME_WAIT
    # that ended did not last 2 MSL, the shutdown cut it short.
    ! grep -q '(2 MSL)' "$svg" || fail "$svg says a TIME_WAIT of the demo lasted 2 MSL"
done < <(grep -E '^    file://' "$out")
# Which of the three teardowns happened, said from lwIP's states.
assert_file_contains "$out" 'This run: the (host acknowledged|host.s FIN carried|FINs crossed)' "the teardown named"
assert_file_contains "$out" '^OK: ' "demo verdict"
# What the learner reads: 80 columns, no trailing blanks, no doubled words,
# no "1 segments", no Python bytes.
! awk 'length > 80 { print FNR ": " $0; bad = 1 } END { exit !bad }' "$out" || fail "lines over 80 columns"
! grep -nE ' +$' "$out" || fail "trailing blanks"
! grep -nE '(^|[^A-Za-z])([A-Za-z]+):? \2([^A-Za-z0-9_]|$)' "$out" || fail "a doubled word"
! grep -nE '(^|[^0-9.:+])1 (segments|frames|bytes|probes|copies|times|lines|events|arrows|retransmissions)([^A-Za-z]|$)' "$out" ||
    fail "a plural after 1"
! grep -nE "(^|[^A-Za-z])b['\"]" "$out" || fail "Python bytes notation"
assert_namespace_gone "$out" demo
e2e_pass
