#!/usr/bin/env bash
# "bye" on the serial port from a client that keeps its side open for a
# while: lwIP's active close walks ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2
# -> TIME_WAIT, and lwIP's FIN is the first one in the capture.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
ns_create
lwip_start
tcpdump_start "$E2E_WORK/capture.txt"

rc=0
# Separate writes, so "bye" arrives as a chunk of its own; the pause after it
# keeps the client from closing before lwIP's FIN arrives.
{ printf 'hello\n'; sleep 0.5; printf 'bye\n'; sleep 1.5; } |
    timeout 20 ip netns exec "$NS" nc "$LWIP4" 1234 >"$E2E_WORK/nc-out.txt" \
        2>"$E2E_WORK/nc-err.txt" || rc=$?
assert_eq 0 "$rc" "nc exit code"
assert_eq "0hello" "$(cat "$E2E_WORK/nc-out.txt")" "serial reply"
port=$(connection_port serial)
wait_for_line "$LWIP_LOG" " $HOST4:$port FIN_WAIT_2 -> TIME_WAIT" 5 || true
tcpdump_stop

assert_state_sequence "$HOST4:$port" \
    "LISTEN -> SYN_RCVD" \
    "SYN_RCVD -> ESTABLISHED" \
    "ESTABLISHED -> FIN_WAIT_1" \
    "FIN_WAIT_1 -> FIN_WAIT_2" \
    "FIN_WAIT_2 -> TIME_WAIT"
assert_log "$HOST4:$port ESTABLISHED -> FIN_WAIT_1 via app" "FIN_WAIT_1 caused by the app's close"
assert_log "$HOST4:$port FIN_WAIT_2 -> TIME_WAIT via rx \[F\.\]" "TIME_WAIT caused by the host's FIN"
assert_capture_teardown "$E2E_WORK/capture.txt" "$port" 1234 server
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
