# shellcheck shell=bash
# lesson: how long TIME_WAIT lasts, and why it is 2 MSL
LESSON_TW_MSL=2000

lesson_main() {
    header "TIME_WAIT: 2 MSL"
    explain "The side that closes first keeps the connection in TIME_WAIT for twice the" \
        "maximum segment lifetime: long enough to acknowledge the peer's FIN again if the" \
        "last ACK is lost, and for old segments of the connection to die out. lwIP's MSL" \
        "is 60 s (2 minutes of TIME_WAIT); --msl $LESSON_TW_MSL makes it $((2 * LESSON_TW_MSL / 1000)) s here."
    LESSON_MSL=$LESSON_TW_MSL lesson_lwip
    lesson_capture_start
    { printf 'bye\n'; sleep 0.5; } | timeout 10 ip netns exec "$NS" nc "$LWIP4" 1234 >/dev/null 2>&1
    lesson_show serial 1234 "TIME_WAIT -> CLOSED"
    local port=$PORT
    local closed entered left held since_close
    closed=$(state_time "$port" "ESTABLISHED -> FIN_WAIT_1")
    entered=$(state_time "$port" "[A-Z_0-9]+ -> TIME_WAIT")
    left=$(state_time "$port" "TIME_WAIT -> CLOSED")
    held=$(ms_between "$entered" "$left")
    since_close=$(ms_between "$closed" "$left")
    header "What to notice"
    claim tw-held "lwIP entered TIME_WAIT at ${entered%???} and left it at ${left%???}: $held ms."
    claim tw-2msl "lwIP counts the 2 MSL ($((2 * LESSON_TW_MSL)) ms) from the last segment it took in" \
        "before its own close (${closed%???} here, $since_close ms before the end), not from the" \
        "start of TIME_WAIT: once the receiving side is closed it stops updating the" \
        "connection's timer (pcb->tmr). A peer that lingers in CLOSE_WAIT shortens" \
        "lwIP's TIME_WAIT that way."
    claim tw-timer,tw-2msl "lwIP's slow timer ticks every 500 ms, so the end (TIME_WAIT ->" \
        "CLOSED via timer) comes up to about half a second late: here" \
        "$((since_close - 2 * LESSON_TW_MSL)) ms after 2 MSL."
    expect tw-timer "TIME_WAIT -> CLOSED via timer" grep -q " $HOST4:$port TIME_WAIT -> CLOSED via timer" "$LWIP_LOG"
    expect tw-2msl "2 MSL to 2 MSL + 1 s from lwIP's close to CLOSED (took $since_close ms)" \
        test "$since_close" -ge $((2 * LESSON_TW_MSL)) -a "$since_close" -le $((2 * LESSON_TW_MSL + 1000))
    expect tw-held "TIME_WAIT itself held, for $held ms, less than 2 MSL" \
        test "$held" -ge $((2 * LESSON_TW_MSL - 1000)) -a "$held" -lt "$since_close"
    lesson_verdict "the connection lingered 2 MSL ($since_close ms) after lwIP closed it."
}
