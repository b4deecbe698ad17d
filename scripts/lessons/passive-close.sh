# shellcheck shell=bash
# lesson: the host closes first; lwIP follows from CLOSE_WAIT

lesson_main() {
    header "Passive close: the host closes first"
    explain "nc -N sends its input to lwIP's echo port and then closes its sending side" \
        "(FIN). lwIP, the passive closer, sends back what is left, then its own FIN."
    lesson_lwip
    lesson_capture_start
    printf 'Echo, echo, echo!\n' | timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >"$WORK/nc.out" 2>&1
    lesson_show echo 7 "LAST_ACK -> CLOSED"
    local port=$PORT
    header "What to notice"
    claim first-fin "The first FIN comes from the host: [F.] host -> lwIP."
    claim close-wait "lwIP's state goes ESTABLISHED -> CLOSE_WAIT via rx [F.]: the peer is" \
        "done sending, lwIP is not."
    claim states "lwIP's own close (app) sends its FIN: CLOSE_WAIT -> LAST_ACK; the host's" \
        "ACK of it ends the connection: LAST_ACK -> CLOSED. No TIME_WAIT on this side:" \
        "that is the active closer's burden."
    expect first-fin "the first FIN from the host, in lwIP's timeline and on tap0" \
        eval '[ "$(first_fin "$port")" = rx ] && first_fin_from "$HOST4" "$port"'
    expect reply "the echo reply" test "$(cat "$WORK/nc.out")" = 'Echo, echo, echo!'
    expect close-wait "ESTABLISHED -> CLOSE_WAIT via rx [F.]" \
        grep -qF " $HOST4:$port ESTABLISHED -> CLOSE_WAIT via rx [F" "$LWIP_LOG"
    expect states "states LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED" \
        has_states "$port" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> CLOSE_WAIT" \
        "CLOSE_WAIT -> LAST_ACK" "LAST_ACK -> CLOSED"
    lesson_verdict "the host closed first; lwIP went CLOSE_WAIT -> LAST_ACK -> CLOSED."
}
