# shellcheck shell=bash
# lesson: both sides send FIN before either sees the other's: CLOSING
LESSON_PORT=5555

lesson_main() {
    header "Simultaneous close: two FINs cross"
    explain "lwIP (--connect) sends \"bye\" to the host's tcp-server and closes at once; tcp-server" \
        "closes on \"bye\" too. Left alone, whichever FIN is first wins a race. --cross-fins" \
        "makes it deterministic: the link holds lwIP's FIN until the host's FIN arrives, then" \
        "lets it go just before lwIP sees the host's. Each FIN is on the wire before the" \
        "other side has received the other one."
    ns_bg "$TCP_SERVER" "$LESSON_PORT" 2>"$WORK/server.log"
    wait_for_line "$WORK/server.log" 'listening on' 5 || lesson_die "tcp-server did not start"
    lesson_capture_start
    printf 'hello\nbye\n' >"$WORK/input.txt"
    LWIP_INPUT=$WORK/input.txt lesson_lwip --connect "$HOST4:$LESSON_PORT" --cross-fins
    lesson_lwip_wait 20
    lesson_capture_stop
    local port
    port=$(session_port)
    header "Timeline (lwIP port ${port:-?})"
    lesson_timeline "${port:-0}" "$LESSON_PORT"
    header "What to notice"
    explain "- Two [F.] in a row, one each way, and neither acknowledges the other's FIN." \
        "- lwIP: FIN_WAIT_1 -> CLOSING: a FIN arrived while its own was unacknowledged." \
        "- Then the ACK of its FIN: CLOSING -> TIME_WAIT. Both sides end in TIME_WAIT."
    local fins
    fins=$(grep -E "Flags \\[F" "$CAPTURE" | grep -c "\\.$port")
    expect "two FINs on the wire" test "$fins" -eq 2
    expect "the two FINs adjacent, no ACK between them" \
        bash -c "grep -E '\\.$port[ :]' '$CAPTURE' | grep -A1 -m1 'Flags \\[F' | tail -n1 | grep -q 'Flags \\[F'"
    expect "lwIP's states FIN_WAIT_1 -> CLOSING -> TIME_WAIT -> CLOSED" \
        has_states "$port" "CLOSED -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
        "FIN_WAIT_1 -> CLOSING" "CLOSING -> TIME_WAIT" "TIME_WAIT -> CLOSED"
    expect "lwip-tap exiting 0 (it exited $LWIP_RC)" test "$LWIP_RC" -eq 0
    lesson_verdict "the FINs crossed and lwIP went through CLOSING."
}
