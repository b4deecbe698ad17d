#!/usr/bin/env bash
# tcpdump on the host side of tap0 sees the whole life of a tcp-client
# connection to the serial port: [S], [S.] from lwIP with its options, [.],
# the data, and [F.] both ways; and lwIP's state log tells the same story for
# the same port pair.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip tcpdump
e2e_require_lwiptap
e2e_require_tcp_client
ns_create
lwip_start
tcpdump_start "$E2E_WORK/capture.txt"

serial_hello_world_bye
tcpdump_stop

assert_capture_handshake "$E2E_WORK/capture.txt" "$PORT" 1234
j="$E2E_WORK/capture.txt.joined"
[ -n "$(tcp_segments "$j" "$LWIP4.1234" "$HOST4.$PORT" "P." | grep 'length 7$')" ] ||
    fail "capture: no 7-byte reply ('0hello\\n') from lwIP"
assert_capture_teardown "$E2E_WORK/capture.txt" "$PORT" 1234 any
# The capture has exactly one connection to port 1234, and it is this one.
n=$(grep -cE "Flags \[S\],.* $LWIP4.1234: |$HOST4.[0-9]+ > $LWIP4.1234: Flags \[S\]" "$j" || true)
assert_eq 1 "$n" "SYNs to port 1234 in the capture"

assert_state_sequence "$HOST4:$PORT" \
    "LISTEN -> SYN_RCVD" \
    "SYN_RCVD -> ESTABLISHED" \
    "ESTABLISHED -> FIN_WAIT_1" \
    "(FIN_WAIT_1|FIN_WAIT_2|CLOSING) -> TIME_WAIT"
assert_log "$LWIP4:1234 $HOST4:$PORT LISTEN -> SYN_RCVD via rx \[S\]" "SYN_RCVD caused by the received SYN"
assert_log "$LWIP4:1234 $HOST4:$PORT SYN_RCVD -> ESTABLISHED via rx \[\.\]" "ESTABLISHED caused by the received ACK"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
