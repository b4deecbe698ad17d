# shellcheck shell=bash
# lesson: keepalive probes find out that an idle peer is gone

lesson_main() {
    header "Keepalive: is the idle peer still there?"
    explain "With --keepalive 2,1,3 lwIP probes a connection after 2 s of silence, every 1 s," \
        "and gives up after 3 unanswered probes. A probe is an ACK with the sequence number" \
        "just before the next one: the peer must answer it with an ACK of its own." \
        "The host talks, stays silent (its kernel answers the probes), then vanishes: its" \
        "addresses are removed from tap0, so probes reach nobody."
    lesson_lwip --keepalive 2,1,3
    lesson_capture_start
    lesson_peer keepalive 7 tap0
    lesson_show echo 7
    local port=$PORT
    local probes
    probes=$(grep -cE "IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[\\.\\], seq [0-9]+:[0-9]+, ack|IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[\\.\\], ack [0-9]+, win [0-9]+, length 0" "$CAPTURE")
    header "What to notice"
    explain "- After 2 s of silence lwIP sends a probe ([.], length 0), and the host's kernel" \
        "  answers it although the application sleeps: keepalive tests the peer's stack." \
        "- Once the host is gone, three probes one second apart go unanswered, and lwIP resets" \
        "  the connection ([R.]): ESTABLISHED -> CLOSED via timer, tx [R.]."
    expect "probes from lwIP (saw $probes)" test "$probes" -ge 4
    expect "the host's kernel answering a probe" capture_has "IP $HOST4\\.$port > $LWIP4\\.7: Flags \\[\\.\\]"
    expect "lwIP's RST after the unanswered probes" capture_has "IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[R"
    expect "ESTABLISHED -> CLOSED via timer, tx [R.]" grep -qF " $HOST4:$port ESTABLISHED -> CLOSED via timer, tx [R.]" "$LWIP_LOG"
    expect "the dead peer reported" grep -q "answered none of 3 keepalive probes" "$LWIP_LOG"
    lesson_verdict "lwIP probed the idle host, and reset the connection once the host was gone."
}
