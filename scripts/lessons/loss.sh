# shellcheck shell=bash
# lesson: a lost segment and its retransmission (--drop)

lesson_main() {
    header "Loss and retransmission"
    explain "--drop 20 --seed 7 makes lwip-tap's link drop 20% of the frames each way, the same" \
        "ones on every run. A frame lwIP sends and the link drops never reaches tap0; a frame" \
        "the host sends and the link drops is on tap0 but lwIP never sees it. Either way a" \
        "sender times out and sends again."
    lesson_lwip --drop 20 --seed 7
    lesson_capture_start
    seq 1 400 >"$WORK/in.txt"
    timeout 60 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$WORK/in.txt" >"$WORK/nc.out" 2>&1
    local port
    port=$(client_port echo)
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline (host port ${port:-?})"
    lesson_timeline "${port:-0}" 7 | head -n 40
    local retx
    retx=$(grep -E "\\.$port[ :].*length [1-9]" "$CAPTURE" | sed -nE 's/^[0-9.]+ IP ([^ ]+) > [^ ]+: Flags \[[^]]*\], seq ([0-9:]+),.*/\1 \2/p' |
        sort | uniq -d | wc -l)
    header "What to notice"
    explain "- A data segment appears twice with the same seq range: the retransmission." \
        "  ($retx segments were sent more than once.)" \
        "- Between the two copies: silence, the retransmission timeout (lwIP: at least 1 s," \
        "  doubling on each retry; Linux: 200 ms and up)." \
        "- Duplicate ACKs (the same ack again) tell the sender that something is missing."
    expect "the echo intact ($(wc -l <"$WORK/nc.out") of 400 lines)" cmp -s "$WORK/in.txt" "$WORK/nc.out"
    expect "a retransmitted segment in the capture" test "$retx" -ge 1
    lesson_verdict "segments were lost, sent again, and the echo came back intact."
}
