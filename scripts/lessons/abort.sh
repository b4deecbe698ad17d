# shellcheck shell=bash
# lesson: an abortive close: RST instead of FIN, mid-transfer

lesson_main() {
    header "Abortive close: lwIP resets the connection"
    explain "With --abort-after 3000 the echo service calls tcp_abort() once a connection" \
        "has sent it 3000 bytes: lwIP sends a RST and forgets the connection at once, with" \
        "no FIN exchange and no TIME_WAIT. Whatever was in flight is lost."
    lesson_lwip --abort-after 3000
    lesson_capture_start
    head -c 20000 /dev/zero | tr '\0' 'x' |
        timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >"$WORK/nc.out" 2>"$WORK/nc.err"
    lesson_show echo 7
    local port=$PORT got resets
    got=$(wc -c <"$WORK/nc.out")
    resets=$(trace_segs "$port" | grep -c "^tx \[R")
    header "What to notice"
    claim rst,one-step "lwIP's [R.] ends the connection in one step: ESTABLISHED -> CLOSED via" \
        "app, tx [R.] (our call, and the RST it sent), with no FIN from lwIP and no" \
        "TIME_WAIT."
    if [ "$resets" -gt 1 ]; then
        claim more-rsts "The host's segments already in flight get a RST each ($resets RSTs from" \
            "lwIP in all): the connection is gone, and no one expects them."
    fi
    claim short "nc got $got of the 20000 bytes back: what was in flight is lost."
    expect rst "a RST from lwIP, in lwIP's timeline and on tap0" \
        eval 'trace_segs "$port" | grep -q "^tx \\[R" && capture_has "IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[R"'
    expect one-step "ESTABLISHED -> CLOSED via app, tx [R.], no FIN from lwIP, no TIME_WAIT" \
        eval 'grep -qF " $HOST4:$port ESTABLISHED -> CLOSED via app, tx [R.]" "$LWIP_LOG" &&
            ! trace_segs "$port" | grep -q "^tx \\[F" && ! states_of "$port" | grep -q TIME_WAIT'
    [ "$resets" -le 1 ] || expect more-rsts "more than one RST from lwIP ($resets)" test "$resets" -gt 1
    expect short "fewer than 20000 bytes back ($got)" test "$got" -lt 20000
    lesson_verdict "lwIP sent RST and dropped the connection without a FIN."
}
