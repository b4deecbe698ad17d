# shellcheck shell=bash
# lesson: lwIP opens the connection itself (--connect) and closes it first
LESSON_PORT=5555

lesson_main() {
    header "Active open: lwIP is the client"
    explain "Until now the host always opened. Here lwip-tap --connect $HOST4:$LESSON_PORT makes lwIP" \
        "send the SYN itself, to the host's tcp-server (the original TCPServer's protocol)." \
        "lwIP sends each line as one message, prints the reply, and closes first when its" \
        "input ends. tcp-server waits 300 ms before it closes its own side (--close-delay)," \
        "so lwIP's FIN_WAIT_2 is visible."
    ns_bg "$TCP_SERVER" --close-delay 300 "$LESSON_PORT" 2>"$WORK/server.log"
    wait_for_line "$WORK/server.log" 'listening on' 5 || lesson_die "tcp-server did not start"
    lesson_capture_start
    printf 'hello\nworld\n' >"$WORK/input.txt"
    LWIP_INPUT=$WORK/input.txt lesson_lwip --connect "$HOST4:$LESSON_PORT"
    lesson_lwip_wait 20
    lesson_capture_stop
    local port
    port=$(session_port)

    header "What lwIP printed (the replies)"
    sed 's/^/    /' "$LWIP_OUT"
    header "Timeline of the connection (lwIP port ${port:-?})"
    lesson_timeline "${port:-0}" "$LESSON_PORT"
    header "What to notice"
    claim syn-from-lwip "The first [S] goes from lwIP to the host (seq 0: the timeline counts" \
        "from lwIP's ISN): user-space code chose its ISN and options."
    claim open-states "lwIP's state walks CLOSED -> SYN_SENT -> ESTABLISHED, the client's side" \
        "of the handshake, where a server walks LISTEN -> SYN_RCVD -> ESTABLISHED."
    claim close-states "lwIP closes first: FIN_WAIT_1 (FIN sent), FIN_WAIT_2 (acknowledged," \
        "the host still open), TIME_WAIT (the host's FIN came), CLOSED on lwIP's timer" \
        "(--msl $LESSON_MSL ms here)."
    claim exit-0 "Then lwip-tap exits 0: the session is over."

    expect syn-from-lwip "lwIP's SYN [S] to the host, in lwIP's timeline and on tap0" \
        eval 'trace_segs "$port" | head -n1 | grep -q "^tx \[S\], seq 0," &&
            capture_has "^[0-9.]+ IP $LWIP4\\.$port > $HOST4\\.$LESSON_PORT: Flags \\[S\\],"'
    expect synack "the host's SYN-ACK [S.]" eval 'trace_segs "$port" | grep -q "^rx \[S\.\], seq 0, ack 1,"'
    expect replies "replies 0hello and 1world" test "$(cat "$LWIP_OUT")" = $'0hello\n1world'
    expect open-states "CLOSED -> SYN_SENT -> ESTABLISHED" \
        eval 'states_of "$port" | head -n2 | paste -sd "|" | grep -qx "CLOSED -> SYN_SENT|SYN_SENT -> ESTABLISHED"'
    expect close-states "then FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED via timer, nothing else" \
        eval 'has_states "$port" "CLOSED -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
            "FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED" &&
            trace_has ":$port [^ ]+ TIME_WAIT -> CLOSED via timer"'
    expect exit-0 "lwip-tap exiting 0 after the session (it exited $LWIP_RC)" test "$LWIP_RC" -eq 0
    lesson_verdict "lwIP opened with [S], exchanged two messages, closed first and exited 0."
}
