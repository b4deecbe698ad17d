#!/usr/bin/env bash
# A tcp-client session on the serial echo port: each line comes back prefixed
# with its serial number, and "bye" makes lwIP close the connection (an
# active close: ESTABLISHED -> FIN_WAIT_1 via app ... -> TIME_WAIT; tcp-client
# closes right after "bye", so its FIN may cross lwIP's: FIN_WAIT_1 goes to
# TIME_WAIT directly, or via CLOSING or FIN_WAIT_2, depending on timing).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
e2e_require_tcp_client
ns_create
lwip_start

serial_hello_world_bye
assert_log "serial: $HOST4:$PORT closed after 16 bytes in, 14 out" "serial service byte counts"
assert_state_sequence "$HOST4:$PORT" \
    "LISTEN -> SYN_RCVD" \
    "SYN_RCVD -> ESTABLISHED" \
    "ESTABLISHED -> FIN_WAIT_1" \
    "(FIN_WAIT_1|FIN_WAIT_2|CLOSING) -> TIME_WAIT"
assert_log "$HOST4:$PORT ESTABLISHED -> FIN_WAIT_1 via app" "lwIP closed first (active close, by the app)"
assert_file_lacks "$LWIP_LOG" "$HOST4:$PORT [A-Z_0-9]+ -> CLOSE_WAIT" "no passive close on bye"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
