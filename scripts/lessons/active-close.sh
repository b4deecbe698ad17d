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
    local port=$PORT
    header "What to notice"
    explain "- lwIP's FIN is the first: ESTABLISHED -> FIN_WAIT_1 via app (our close on bye)." \
        "- The host acknowledges it at once: FIN_WAIT_1 -> FIN_WAIT_2. lwIP can still receive." \
        "- The host's own FIN: FIN_WAIT_2 -> TIME_WAIT, and lwIP's last ACK." \
        "- TIME_WAIT lasts 2 MSL ($((2 * LESSON_MSL)) ms with --msl $LESSON_MSL) in case that last ACK is lost."
    expect "the first FIN from lwIP" first_fin_from "$LWIP4" 1234
    expect "the reply 0hello" test "$(cat "$WORK/nc.out")" = '0hello'
    expect "states ... ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED" \
        has_states "$port" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" \
        "FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED"
    lesson_verdict "lwIP closed first and went FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED."
}
