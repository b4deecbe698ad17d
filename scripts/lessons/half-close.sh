# shellcheck shell=bash
# lesson: lwIP shuts its sending side and keeps receiving

lesson_main() {
    header "Half-close: lwIP stops sending, not receiving"
    explain "With --half-close the echo service answers the first message, then sends its FIN" \
        "(tcp_shutdown of the sending side only). The host keeps sending; lwIP keeps taking" \
        "the data until the host closes too."
    lesson_lwip --half-close
    lesson_capture_start
    lesson_peer half-close 7
    lesson_show echo 7 "FIN_WAIT_2 -> TIME_WAIT"
    local port=$PORT
    header "What to notice"
    explain "- lwIP's FIN rides on its answer ([FP.]): ESTABLISHED -> FIN_WAIT_1." \
        "- After that FIN the host still sends data, and lwIP acknowledges it: a half-closed" \
        "  connection carries data one way. lwIP sits in FIN_WAIT_2 meanwhile." \
        "- The host's FIN ends it: FIN_WAIT_2 -> TIME_WAIT."
    expect "the host peer's own checks (answer, then lwIP's FIN)" test "$PEER_RC" -eq 0
    expect "host data after lwIP's FIN, acknowledged" \
        grep -q "closed after 35 bytes in, 6 out" "$LWIP_LOG"
    expect "states ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" \
        has_states "$port" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
        "FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED"
    lesson_verdict "lwIP half-closed and still received 29 bytes after its FIN."
}
