#!/usr/bin/env bash
# On a terminal, lwip-tap reads commands at a prompt: "pcbs" lists every TCP
# control block with its state, "stats" prints lwIP's counters, "debug"
# switches lwIP's debug categories at run time, anything else names the
# mistake and lists the commands, and "quit" shuts down cleanly (exit 0).
# script(1) gives it a pty.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip script mkfifo
e2e_require_lwiptap
ns_create

LWIP_LOG="$E2E_WORK/lwip-tap.log"
mkfifo "$E2E_WORK/keys"
# Read-write, so neither this open nor script's below waits for the other end.
exec 5<>"$E2E_WORK/keys"
# Not ns_bg: a background job's stdin is /dev/null unless its own command redirects it.
ip netns exec "$NS" script -qfec "'$LWIPTAP' --tap $TAP --ip $LWIP4/24 2>'$LWIP_LOG'" /dev/null \
    <"$E2E_WORK/keys" >"$E2E_WORK/pty.txt" &
console=$!
sandbox_track "$console"
wait_for_line "$LWIP_LOG" 'lwip-tap: up on' 10 || fail "lwip-tap did not come up on a pty"

# An open echo connection, so "pcbs" has an ESTABLISHED one to show.
ns_bg bash -c 'exec 3<>"/dev/tcp/$1/7" && printf "hi\n" >&3 && read -r -t 5 line <&3 &&
    echo "echo:$line" && sleep 10' client "$LWIP4" >"$E2E_WORK/client.txt" 2>&1
wait_for_line "$E2E_WORK/client.txt" '^echo:hi$' 10 || fail "the echo client got no answer"
port=$(connection_port echo)

printf 'pcbs\n' >&5
wait_for_line "$LWIP_LOG" "pcbs: active 192.0.2.2:7 192.0.2.1:$port ESTABLISHED" 5 ||
    fail "'pcbs' did not list the open connection"
assert_log 'pcbs: listen port 1234 LISTEN' "'pcbs' lists the serial listener"
printf 'stats\n' >&5
wait_for_line "$LWIP_LOG" 'stats: tcp rx=[1-9]' 5 || fail "'stats' printed no tcp counters"
# ... and a line per open connection: "hi\n" each way.
wait_for_line "$LWIP_LOG" "tcp-conn: $LWIP4:7 $HOST4:$port ESTABLISHED: sent [0-9]+ segments, 3 bytes, 0 retransmissions; received [0-9]+ segments, 3 bytes, 0 retransmissions; time in SYN_RCVD [0-9.]+ ms, ESTABLISHED [0-9.]+ ms; srtt" 5 ||
    fail "'stats' printed no tcp-conn line for the open connection"
printf 'what\n' >&5
wait_for_line "$LWIP_LOG" "console: unknown command 'what'" 5 || fail "an unknown command was not named"
wait_for_line "$E2E_WORK/pty.txt" '^  stats  +lwIP.s counters' 5 || fail "an unknown command got no help"
for cmd in pcbs debug help quit; do
    grep -qE "^  $cmd " "$E2E_WORK/pty.txt" || fail "help does not list $cmd"
done
grep -q 'lwip-tap> ' "$E2E_WORK/pty.txt" || fail "no prompt on the terminal"

# debug +ip: lwIP's IP header dump appears for the next frames, and stops after -ip.
printf 'debug +ip\n' >&5
wait_for_line "$LWIP_LOG" 'console: debug categories on: ip$' 5 || fail "'debug +ip' not confirmed"
ip netns exec "$NS" ping -c 1 -W 2 "$LWIP4" >/dev/null
wait_for_line "$LWIP_LOG" 'lwip: IP header:' 5 || fail "no IP header dump after 'debug +ip'"
printf 'debug -ip +tcp_out\n' >&5
wait_for_line "$LWIP_LOG" 'console: debug categories on: tcp_out$' 5 || fail "'debug -ip +tcp_out' not confirmed"
dumps=$(grep -c 'lwip: IP header:' "$LWIP_LOG")
ip netns exec "$NS" ping -c 1 -W 2 "$LWIP4" >/dev/null
sleep 0.3
assert_eq "$dumps" "$(grep -c 'lwip: IP header:' "$LWIP_LOG")" "IP header dumps after 'debug -ip'"
printf 'debug +nosuch\n' >&5
wait_for_line "$LWIP_LOG" "console: unknown debug category 'nosuch'" 5 || fail "a bad category was not named"
printf 'quit\n' >&5
wait_pid "$console" 10
[ "$WAIT_RC" -ne 124 ] || fail "lwip-tap still running 10 s after 'quit'"

# Log lines on the same terminal: the prompt is wiped before each and drawn
# again after it, so no line runs on after "lwip-tap> ".
ip netns exec "$NS" script -qfec "'$LWIPTAP' --tap $TAP --ip $LWIP4/24" /dev/null \
    <"$E2E_WORK/keys" >"$E2E_WORK/pty2.txt" &
console=$!
sandbox_track "$console"
wait_for_line "$E2E_WORK/pty2.txt" 'lwip-tap: up on' 10 || fail "lwip-tap did not come up on a pty (stderr too)"
printf 'what\n' >&5
wait_for_line "$E2E_WORK/pty2.txt" "console: unknown command 'what'" 5 || fail "an unknown command was not named"
printf 'quit\n' >&5
wait_pid "$console" 10
# As the terminal shows it: what follows "\r ESC[K" replaces the line.
sed -e 's/\r$//' -e 's/.*\r\x1b\[K//' "$E2E_WORK/pty2.txt" >"$E2E_WORK/pty2.clean"
! grep -qE 'lwip-tap> .*(INFO|WARN) ' "$E2E_WORK/pty2.clean" || fail "a log line ran on after the prompt"
grep -A1 "lwip-tap: up on" "$E2E_WORK/pty2.clean" | tail -1 | grep -q '^lwip-tap> ' ||
    fail "no prompt drawn again after a log line"
grep -q '^commands:' "$E2E_WORK/pty2.clean" || fail "help does not start a line of its own"
assert_eq 0 "$WAIT_RC" "exit code after 'quit'"
assert_log "echo: $HOST4:$port closed at shutdown" "the open connection was closed"
e2e_pass
