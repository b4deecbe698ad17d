# shellcheck shell=bash
# lesson: RST both ways: to a closed port, from a closed port, mid-transfer
LESSON_CLOSED_PORT=9

lesson_main() {
    header "RST: to a closed port, from a closed port, and mid-transfer"
    explain "1. lwIP (--connect) to a host port nobody listens on: the host's kernel answers the" \
        "   SYN with [R.], and lwip-tap reports \"connection refused\" and exits 1." \
        "2. The host to a port nobody listens on in lwIP: lwIP answers [R.] itself." \
        "3. A host peer that closes with SO_LINGER 0 sends RST instead of FIN: lwIP drops the" \
        "   connection at once (ESTABLISHED -> CLOSED via rx [R.])."
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
    grep -E "\\.$LESSON_CLOSED_PORT[: ]" "$CAPTURE" | grep "$LWIP4\\.[0-9]* > $HOST4" -A1 | head -n2 | sed 's/^/    /'
    header "2. The host -> a closed lwIP port"
    grep -E "> $LWIP4\\.$LESSON_CLOSED_PORT:|$LWIP4\\.$LESSON_CLOSED_PORT >" "$CAPTURE" | head -n2 | sed 's/^/    /'
    header "3. The host resets a connection (host port ${port:-?})"
    lesson_timeline "${port:-0}" 7
    header "What to notice"
    explain "- A RST answering a SYN carries ack = SYN + 1 and seq 0: \"nobody here\"." \
        "- A RST is never acknowledged; the side that gets it forgets the connection at once."
    expect "the host's RST to lwIP's SYN" \
        capture_has "IP $HOST4\\.$LESSON_CLOSED_PORT > $LWIP4\\.[0-9]+: Flags \\[R\\.\\]"
    expect "\"connection refused\" and exit status 1 (it was $refused_rc)" \
        bash -c "[ $refused_rc -eq 1 ] && grep -q 'connection refused by $HOST4:$LESSON_CLOSED_PORT' '$WORK/lwip-tap1.log'"
    expect "lwIP's RST from its closed port" capture_has "IP $LWIP4\\.$LESSON_CLOSED_PORT > $HOST4\\.[0-9]+: Flags \\[R\\.\\]"
    expect "the host's RST mid-connection" capture_has "IP $HOST4\\.$port > $LWIP4\\.7: Flags \\[R"
    expect "ESTABLISHED -> CLOSED via rx [R.] (or [R])" grep -qE " $HOST4:$port ESTABLISHED -> CLOSED via rx \\[R" "$WORK/lwip-tap2.log"
    lesson_verdict "RSTs went both ways, and each side forgot its connection at once."
}
