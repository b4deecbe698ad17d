# shellcheck shell=bash
# lesson: RST both ways: to a closed port, from a closed port, mid-transfer
LESSON_CLOSED_PORT=9

lesson_main() {
    header "RST: to a closed port, from a closed port, and mid-transfer"
    explain "1. lwIP (--connect) to a host port nobody listens on: the host's kernel" \
        "answers the SYN with [R.], and lwip-tap reports \"connection refused\" and exits 1."
    explain "2. The host to a port nobody listens on in lwIP, which answers [R.] itself."
    explain "3. A host peer that closes with SO_LINGER 0 sends RST instead of FIN: lwIP drops" \
        "the connection at once (ESTABLISHED -> CLOSED via rx [R.])."
    lesson_capture_start
    printf 'hello\n' >"$WORK/input.txt"
    LWIP_INPUT=$WORK/input.txt lesson_lwip --connect "$HOST4:$LESSON_CLOSED_PORT"
    lesson_lwip_wait 10
    local refused_rc=$LWIP_RC
    lesson_lwip
    ip netns exec "$NS" nc -z -w 2 "$LWIP4" "$LESSON_CLOSED_PORT" >/dev/null 2>&1
    lesson_peer reset 7
    local port
    port=$(client_port echo)
    lesson_capture_stop
    lesson_lwip_stop
    header "1. lwIP -> a closed host port"
    grep -E "connect: " "$WORK/lwip-tap1.log" | sed -E 's/^[^ ]+ [A-Z]+ /    /'
    lesson_timeline --run 1 "$LESSON_CLOSED_PORT"
    printf '\n    The same two segments on the wire, where the RST'"'"'s own seq 0 shows:\n'
    wire_view "IP ($LWIP4\\.[0-9]+ > $HOST4\\.$LESSON_CLOSED_PORT|$HOST4\\.$LESSON_CLOSED_PORT > $LWIP4\\.[0-9]+): "
    header "2. The host -> a closed lwIP port"
    lesson_timeline --run 2 --no-explain "$LESSON_CLOSED_PORT"
    header "3. The host resets a connection (host port ${port:-?})"
    lesson_timeline --run 2 "${port:-0}" 7
    header "What to notice"
    claim refused-rst,closed-port-rst "A RST answering a SYN acknowledges it (ack 1 in the" \
        "timeline: SYN + 1) and carries seq 0 on the wire: \"nobody here\"."
    claim refused-exit "lwip-tap reports \"connection refused\" and exits 1."
    claim peer-rst "The host's RST ends lwIP's connection at once: ESTABLISHED -> CLOSED via" \
        "rx [R.]."
    claim no-answer "A RST is never acknowledged: lwIP sends nothing more on either" \
        "connection whose RST it received."
    expect refused-rst "the host's [R.] to lwIP's SYN, ack 1 (timeline) and seq 0 (wire)" \
        eval 'trace_segs "$LESSON_CLOSED_PORT" 1 | grep -q "^rx \\[R\\.\\], seq 0, ack 1," &&
            capture_has "IP $HOST4\\.$LESSON_CLOSED_PORT > $LWIP4\\.[0-9]+: Flags \\[R\\.\\], seq 0, ack [0-9]+"'
    expect refused-exit "\"connection refused\" and exit status 1 (it was $refused_rc)" \
        eval '[ "$refused_rc" -eq 1 ] && grep -q "connection refused by $HOST4:$LESSON_CLOSED_PORT" "$WORK/lwip-tap1.log"'
    expect closed-port-rst "lwIP's [R.], ack 1, from its closed port" \
        eval 'trace_segs "$LESSON_CLOSED_PORT" 2 | grep -q "^tx \\[R\\.\\], seq 0, ack 1,"'
    expect peer-rst "the host's RST mid-connection: ESTABLISHED -> CLOSED via rx [R.] (or [R])" \
        eval 'trace_segs "$port" 2 | grep -q "^rx \\[R" &&
            grep -qE " $HOST4:$port ESTABLISHED -> CLOSED via rx \\[R" "$WORK/lwip-tap2.log"'
    expect no-answer "nothing from lwIP after a RST it received" \
        eval '! trace_segs "$LESSON_CLOSED_PORT" 1 | sed -n "/^rx \\[R/,\$p" | grep -q "^tx " &&
            ! trace_segs "$port" 2 | sed -n "/^rx \\[R/,\$p" | grep -q "^tx "'
    lesson_verdict "RSTs went both ways, and each side forgot its connection at once."
}
