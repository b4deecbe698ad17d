# shellcheck shell=bash
# lesson: an abortive close: RST instead of FIN, mid-transfer

lesson_main() {
    header "Abortive close: lwIP resets the connection"
    explain "With --abort-after 3000 the echo service calls tcp_abort() once a connection has sent" \
        "it 3000 bytes: lwIP sends a RST and forgets the connection at once, with no FIN" \
        "exchange and no TIME_WAIT. Whatever was in flight is lost."
    lesson_lwip --abort-after 3000
    lesson_capture_start
    head -c 20000 /dev/zero | tr '\0' 'x' |
        timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >"$WORK/nc.out" 2>"$WORK/nc.err"
    lesson_show echo 7
    local port=$PORT
    header "What to notice"
    explain "- lwIP's [R.] ends the connection in one step: ESTABLISHED -> CLOSED via app, tx [R.]" \
        "  (our call, and the RST it sent)." \
        "- The host's next segments, if any, are answered with RST too: the connection is gone." \
        "- nc got $(wc -c <"$WORK/nc.out") of the 20000 bytes back."
    expect "a RST from lwIP" capture_has "IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[R"
    expect "no FIN from lwIP" bash -c "! grep -qE 'IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[F' '$CAPTURE'"
    expect "ESTABLISHED -> CLOSED via app, tx [R.]" grep -qF " $HOST4:$port ESTABLISHED -> CLOSED via app, tx [R.]" "$LWIP_LOG"
    lesson_verdict "lwIP sent RST and dropped the connection without a FIN."
}
