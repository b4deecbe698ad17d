# shellcheck shell=bash
# lesson: lwIP closes first on "bye" and waits in TIME_WAIT

lesson_main() {
    header "Active close: lwIP closes first"
    explain "On the serial port, \"bye\" makes lwIP close. The client (nc) keeps its side open" \
        "for a moment, so each of the active closer's states shows."
    lesson_lwip
    lesson_capture_start
    { printf 'hello\n'; sleep 0.5; printf 'bye\n'; sleep 1.5; } |
        timeout 10 ip netns exec "$NS" nc "$LWIP4" 1234 >"$WORK/nc.out" 2>&1
    lesson_show serial 1234 "TIME_WAIT -> CLOSED"
    local port=$PORT held since_close
    since_close=$(ms_between "$(state_time "$port" "ESTABLISHED -> FIN_WAIT_1")" "$(state_time "$port" "TIME_WAIT -> CLOSED")")
    held=$(sed -nE "s/.* tcp-conn: [^ ]+ $HOST4:$port closed: .* TIME_WAIT ([0-9]+)\\.[0-9]+ ms;.*/\\1/p" "$LWIP_LOG")
    header "What to notice"
    claim fin-first "lwIP's FIN is the first: ESTABLISHED -> FIN_WAIT_1 via app (the serial" \
        "service's close on \"bye\"), then [F.] lwIP -> host."
    claim states "The host acknowledges it: FIN_WAIT_1 -> FIN_WAIT_2, where lwIP can still" \
        "receive. The host's own FIN: FIN_WAIT_2 -> TIME_WAIT, and lwIP's" \
        "last ACK."
    claim tw-timer,tw-2msl "TIME_WAIT ends on lwIP's timer (TIME_WAIT -> CLOSED via timer), 2" \
        "MSL ($((2 * LESSON_MSL)) ms with --msl $LESSON_MSL) after lwIP's own close (here $since_close ms), so" \
        "TIME_WAIT itself held only ${held:-?} ms (the time-wait lesson shows why)."
    expect fin-first "the first FIN from lwIP, in lwIP's timeline and on tap0" \
        eval '[ "$(first_fin "$port")" = tx ] && first_fin_from "$LWIP4" 1234'
    expect reply "the reply 0hello" test "$(cat "$WORK/nc.out")" = '0hello'
    expect states "states ... ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED" \
        has_states "$port" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
        "FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED"
    expect tw-timer "TIME_WAIT -> CLOSED via timer, ${held:-?} ms in TIME_WAIT (less than 2 MSL)" \
        eval 'grep -q " $HOST4:$port TIME_WAIT -> CLOSED via timer" "$LWIP_LOG" && [ "${held:-99999}" -lt $((2 * LESSON_MSL)) ]'
    expect tw-2msl "2 MSL to 2 MSL + 1 s from lwIP's close to CLOSED (took $since_close ms)" \
        test "$since_close" -ge $((2 * LESSON_MSL)) -a "$since_close" -le $((2 * LESSON_MSL + 1000))
    lesson_verdict "lwIP closed first and went FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED."
}
