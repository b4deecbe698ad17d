# shellcheck shell=bash
# lesson: both sides send FIN before either sees the other's: CLOSING
LESSON_PORT=5555

# fin_field PORT rx|tx seq|ack: a field of that side's first FIN.
fin_field() {
    trace_segs "$1" | grep -m1 -E "^$2 \\[[^]]*F" | sed -nE "s/.*, $3 ([0-9]+)[,:].*/\\1/p"
}

lesson_main() {
    header "Simultaneous close: two FINs cross"
    explain "lwIP (--connect) sends \"bye\" to the host's tcp-server and closes at once;" \
        "tcp-server closes on \"bye\" too. Left alone, whichever FIN is first wins a race." \
        "--cross-fins makes it deterministic: the link holds lwIP's FIN until the host's" \
        "FIN arrives, then lets it go just before lwIP sees the host's. Each FIN is on the" \
        "wire before the other side has received the other one."
    ns_bg "$TCP_SERVER" "$LESSON_PORT" 2>"$WORK/server.log"
    wait_for_line "$WORK/server.log" 'listening on' 5 || lesson_die "tcp-server did not start"
    lesson_capture_start
    printf 'hello\nbye\n' >"$WORK/input.txt"
    LWIP_INPUT=$WORK/input.txt lesson_lwip --connect "$HOST4:$LESSON_PORT" --cross-fins
    lesson_lwip_wait 20
    lesson_capture_stop
    local port our_seq our_ack their_seq their_ack
    port=$(session_port)
    header "Timeline (lwIP port ${port:-?})"
    lesson_timeline "${port:-0}" "$LESSON_PORT"
    our_seq=$(fin_field "$port" tx seq) our_ack=$(fin_field "$port" tx ack)
    their_seq=$(fin_field "$port" rx seq) their_ack=$(fin_field "$port" rx ack)
    header "What to notice"
    claim two-fins "Two FINs, one each way, and neither acknowledges the other: lwIP's FIN" \
        "(seq ${our_seq:-?}) carries ack ${our_ack:-?}, not beyond the host's FIN (seq ${their_seq:-?}), and the" \
        "host's FIN carries ack ${their_ack:-?}, not beyond lwIP's."
    claim closing "lwIP: FIN_WAIT_1 -> CLOSING via rx [F.]: a FIN arrived while its own was" \
        "unacknowledged."
    claim states "Then the ACK of its FIN: CLOSING -> TIME_WAIT, and CLOSED on lwIP's timer."
    claim host-acks "The host acknowledges lwIP's FIN after sending its own (ack $((${our_seq:-0} + 1))):" \
        "what a side in CLOSING does, so the host goes through CLOSING to TIME_WAIT too."
    expect two-fins "one FIN each way, neither acknowledging the other's" \
        eval '[ -n "$our_ack" ] && [ -n "$their_ack" ] && [ "$our_ack" -le "$their_seq" ] &&
            [ "$their_ack" -le "$our_seq" ] && [ "$(trace_segs "$port" | grep -cE "^(rx|tx) \\[[^]]*F")" -eq 2 ]'
    expect closing "FIN_WAIT_1 -> CLOSING via rx [F.]" trace_has ":$port [^ ]+ FIN_WAIT_1 -> CLOSING via rx \\[F"
    expect states "lwIP's states FIN_WAIT_1 -> CLOSING -> TIME_WAIT -> CLOSED via timer" \
        eval 'has_states "$port" "CLOSED -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
            "FIN_WAIT_1 -> CLOSING" "CLOSING -> TIME_WAIT" "TIME_WAIT -> CLOSED" &&
            trace_has ":$port [^ ]+ TIME_WAIT -> CLOSED via timer"'
    expect host-acks "an ACK from the host, after its FIN, of lwIP's FIN (ack $((${our_seq:-0} + 1)))" \
        eval 'trace_segs "$port" | sed -n "/^rx \\[[^]]*F/,\$p" | grep -q "^rx \\[\\.\\], ack $((${our_seq:-0} + 1)),"'
    expect exit-0 "lwip-tap exiting 0 (it exited $LWIP_RC)" test "$LWIP_RC" -eq 0
    lesson_verdict "the FINs crossed and lwIP went through CLOSING."
}
