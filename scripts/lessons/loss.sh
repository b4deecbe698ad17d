# shellcheck shell=bash
# lesson: a lost segment and its retransmission (--drop)

lesson_main() {
    header "Loss and retransmission"
    explain "--drop 25 --seed 7 makes lwip-tap's link drop a quarter of the frames each way. A" \
        "frame lwIP sends and the link drops never reaches tap0; a frame" \
        "the host sends and the link drops is on tap0 but lwIP never sees it. Either way a" \
        "sender times out and sends again."
    # Address resolution would lose frames too, and the kernel gives up on
    # ARP after three tries: the host knows lwIP's MAC beforehand.
    ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev tap0 nud permanent
    lesson_lwip --drop 25 --seed 7 --explain
    lesson_capture_start
    seq 1 3000 >"$WORK/in.txt"
    timeout 60 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$WORK/in.txt" >"$WORK/nc.out" 2>&1
    local port
    port=$(client_port echo)
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline (host port ${port:-?})"
    lesson_timeline "${port:-0}" 7 | head -n 40
    # A data segment that starts below what its sender already sent is a
    # retransmission; when lwIP's first copy was dropped before tap0, the
    # second one is the only copy, arriving after later ones.
    local retx
    retx=$(grep -E "\\.$port[ :].*, seq [0-9]+:[0-9]+," "$CAPTURE" |
        sed -nE 's/^[0-9.]+ IP ([^ ]+) > [^ ]+: Flags \[[^]]*\], seq ([0-9]+):([0-9]+),.*/\1 \2 \3/p' |
        awk '{ if ($1 in top && $2 < top[$1]) n++; if ($3 > top[$1]) top[$1] = $3 } END { print n + 0 }')
    # One loss as lwIP's own timeline tells it: the segment the link dropped,
    # its copy after the retransmission timeout, and the ACK that covers it.
    local lost seq resent acked
    lost=$(grep -m1 -E "INFO fault: tx [0-9]+B t\+[0-9.]+ $LWIP4\.7 > $HOST4\.$port: Flags \[[^]]*\], seq [0-9]+:[0-9]+, .* DROPPED" "$LWIP_LOG")
    seq=$(printf '%s\n' "$lost" | sed -nE 's/.*, seq ([0-9]+:[0-9]+),.*/\1/p')
    resent=""
    acked=""
    if [ -n "$seq" ]; then
        resent=$(grep -m1 -E "INFO (link|fault): tx [0-9]+B t\+[0-9.]+ $LWIP4\.7 > $HOST4\.$port: .*, seq $seq, .*\((fast )?retransmission( after [0-9<]+ ms)?" "$LWIP_LOG")
        # The first ACK from the host, after the copy, that covers its last byte.
        acked=$(awk -v copy="$resent" -v from="$HOST4.$port > $LWIP4.7:" -v end="${seq#*:}" '
            $0 == copy { after = 1; next }
            after && index($0, "INFO link: rx ") && index($0, from) && match($0, /, ack [0-9]+,/) {
                if (substr($0, RSTART + 6, RLENGTH - 7) + 0 >= end + 0) { print; exit }
            }' "$LWIP_LOG")
    fi
    header "One lost segment, as lwIP's timeline (--trace) tells it"
    printf '%s\n' "$lost" "$resent" "$acked" | grep . | sed -E 's/^[^ ]+ INFO //; s/, options \[nop,nop,TS val [0-9]+ ecr [0-9]+\]//' |
        sed 's/^/    /'
    explain "- The drop; then silence until lwIP's retransmission timeout fires: the copy" \
        "  says how long after the first it went (\"retransmission after N ms\")." \
        "- Then the host's ACK for those bytes."
    header "What to notice"
    explain "- A data segment whose seq starts below what its sender had already sent is a" \
        "  retransmission ($retx here): the host's appear twice on tap0, lwIP's once, late." \
        "- Between the two copies: silence, the retransmission timeout (lwIP: at least 1 s," \
        "  doubling on each retry; Linux: 200 ms and up)." \
        "- Duplicate ACKs (the same ack again) tell the sender that something is missing." \
        "- lwip-tap's \"fault: ... DROPPED by --drop\" lines mark each frame the link dropped," \
        "  in either direction, at the point where it was lost."
    expect "the echo intact ($(wc -l <"$WORK/nc.out") of 3000 lines)" cmp -s "$WORK/in.txt" "$WORK/nc.out"
    expect "a retransmitted segment in the capture" test "$retx" -ge 1
    expect "the drops logged and counted" grep -qE "stats: fault (rx|tx) dropped=[1-9]" "$LWIP_LOG"
    expect "a dropped segment of lwIP's, resent after its timeout and then acknowledged" \
        test -n "$resent" -a -n "$acked"
    lesson_verdict "segments were lost, sent again, and the echo came back intact."
}
