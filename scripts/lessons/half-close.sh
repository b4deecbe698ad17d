# shellcheck shell=bash
# lesson: lwIP shuts its sending side and keeps receiving

lesson_main() {
    header "Half-close: lwIP stops sending, not receiving"
    explain "With --half-close the echo service answers the first message, then sends its" \
        "FIN (tcp_shutdown of the sending side only). The host keeps sending; lwIP keeps" \
        "taking the data until the host closes too."
    lesson_lwip --half-close
    lesson_capture_start
    lesson_peer half-close 7
    lesson_show echo 7 "FIN_WAIT_2 -> TIME_WAIT"
    local port=$PORT
    header "What to notice"
    claim fin-on-answer "lwIP's FIN rides on its answer: [FP.], seq 1:7, the 6 bytes and the" \
        "FIN in one segment, after ESTABLISHED -> FIN_WAIT_1 via app."
    claim data-after-fin "After that FIN the host still sends 29 bytes, and lwIP acknowledges" \
        "them: a half-closed connection carries data one way. lwIP sits in FIN_WAIT_2" \
        "meanwhile."
    claim states "The host's FIN ends it: FIN_WAIT_2 -> TIME_WAIT."
    expect peer "the host peer's own checks (answer, then lwIP's FIN)" test "$PEER_RC" -eq 0
    expect fin-on-answer "[FP.], seq 1:7 from lwIP, and ESTABLISHED -> FIN_WAIT_1 via app" \
        eval 'trace_segs "$port" | grep -m1 "^tx \[F" | grep -q "^tx \[FP\.\], seq 1:7," &&
            grep -qF " $HOST4:$port ESTABLISHED -> FIN_WAIT_1 via app" "$LWIP_LOG"'
    expect data-after-fin "29 bytes from the host after lwIP's FIN, acknowledged (ack 36)" \
        eval 'trace_segs "$port" | sed -n "/^tx \[F/,\$p" | grep -q "^rx \[P\.\], seq 7:36," &&
            trace_segs "$port" | grep -q "^tx \[\.\], ack 36," &&
            grep -q "closed after 35 bytes in, 6 out" "$LWIP_LOG"'
    expect states "states ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" \
        has_states "$port" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
        "FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED"
    lesson_verdict "lwIP half-closed and still received 29 bytes after its FIN."
}
