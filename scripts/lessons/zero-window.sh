# shellcheck shell=bash
# lesson: a peer that stops reading closes its window; lwIP probes it

lesson_main() {
    header "Zero window and persist probes"
    explain "The host sends 256 KiB to lwIP's echo port with a 4 KiB receive buffer and reads" \
        "nothing for 5 s. Its window closes (win 0): lwIP must not send, and probes the window" \
        "with one byte (the persist timer) until it opens. Then the host reads everything."
    lesson_lwip
    lesson_capture_start
    lesson_peer zero-window 7
    local port
    port=$(client_port echo)
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline, abridged (host port ${port:-?}): the host's zero-window ACKs, lwIP's probes, the reopening"
    lesson_timeline "${port:-0}" 7 >"$WORK/timeline.txt"
    sed -n '1p' "$WORK/timeline.txt"
    awk '/host -> lwIP .* win 0, length 0$/ { zero = 1; print; next }
         zero && /lwIP -> host .* length 1$/ { print; next }
         zero && /host -> lwIP .* length 0$/ && !/win 0,/ { print; if (++reopened == 2) exit }' \
        "$WORK/timeline.txt" | head -n 24
    printf '\n    lwIP'"'"'s state changes meanwhile: none until the end\n'
    grep 'lwIP state' "$WORK/timeline.txt"
    header "What to notice"
    explain "- host -> lwIP ... win 0: the host's buffer is full." \
        "- lwIP -> host [.] ... length 1: a zero-window probe, repeated with a growing interval" \
        "  (1.5 s, 3 s, ...), each answered with win 0 while the host does not read." \
        "- Once the host reads, its window reopens and lwIP sends the rest: not a byte lost."
    local probes
    probes=$(grep -cE "IP $LWIP4\\.7 > $HOST4\\.$port: Flags \\[\\.\\], seq [0-9]+:[0-9]+, ack [0-9]+, win [0-9]+, length 1$" "$CAPTURE")
    expect "a zero window from the host" capture_has "IP $HOST4\\.$port > $LWIP4\\.7: .* win 0,"
    expect "lwIP's one-byte window probes (saw $probes)" test "$probes" -ge 1
    expect "the 256 KiB back intact (the host peer's check)" test "$PEER_RC" -eq 0
    lesson_verdict "the window closed, lwIP probed it, and every byte came back."
}
