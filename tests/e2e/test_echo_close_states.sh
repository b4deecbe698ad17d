#!/usr/bin/env bash
# An echo client that half-closes (nc -N): lwIP closes passively,
# ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED, for the same port pair the
# capture shows; the host's FIN comes first.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
ns_create
lwip_start
tcpdump_start "$E2E_WORK/capture.txt"

echo_one_line 'ping over tcp'
tcpdump_stop

assert_state_sequence "$HOST4:$PORT" \
    "LISTEN -> SYN_RCVD" \
    "SYN_RCVD -> ESTABLISHED" \
    "ESTABLISHED -> CLOSE_WAIT" \
    "CLOSE_WAIT -> LAST_ACK" \
    "LAST_ACK -> CLOSED"
assert_log "$HOST4:$PORT ESTABLISHED -> CLOSE_WAIT via rx \[F\.\]" "CLOSE_WAIT caused by the host's FIN"
assert_log "$HOST4:$PORT LAST_ACK -> CLOSED via rx \[\.\]" "CLOSED caused by the host's last ACK"
assert_capture_handshake "$E2E_WORK/capture.txt" "$PORT" 7
assert_capture_teardown "$E2E_WORK/capture.txt" "$PORT" 7 client
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
