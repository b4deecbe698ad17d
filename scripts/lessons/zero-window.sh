# shellcheck shell=bash
# lesson: a peer that stops reading closes its window; lwIP probes it

lesson_main() {
    header "Zero window and persist probes"
    explain "The host sends 256 KiB to lwIP's echo port with a 4 KiB receive buffer and" \
        "reads nothing for 8 s. Its window closes (win 0): lwIP must not send, and probes" \
        "the window with one byte (the persist timer) until it opens. Then the host reads" \
        "everything."
    lesson_lwip
    lesson_capture_start
    lesson_peer zero-window 7
    local port
    port=$(client_port echo)
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline, abridged (host port ${port:-?})"
    explain "Only the segments that open and close the connection, the host's zero" \
        "windows, lwIP's probes and the reopening are shown; the rest are counted."
    printf '\n'
    lesson_timeline --no-explain --only '\(.*(zero window|window update|zero-window probe)\)|\[[SFR]' "${port:-0}" 7 \
        >"$WORK/timeline.txt"
    sed -n '1,/(window update)/p' "$WORK/timeline.txt"
    printf '    (%s more lines, from the reopening to the close, left out)\n' \
        "$(sed -n '/(window update)/,$p' "$WORK/timeline.txt" | tail -n +2 | wc -l)"
    local probes probe_seq probe_ack reopen_seq intervals closed_t
    probes=$(trace_segs "$port" | grep -c '^tx .*, length 1 .*(zero-window probe)')
    probe_seq=$(trace_segs "$port" | grep -m1 '(zero-window probe)' | sed -nE 's/^tx [^ ]+ seq ([0-9]+):.*/\1/p')
    # The host's answer to the first probe, and lwIP's first data after the reopening.
    probe_ack=$(trace_segs "$port" | sed -n '/(zero-window probe)/,$p' | grep -m1 '^rx ' | sed -nE 's/.*, ack ([0-9]+),.*/\1/p')
    reopen_seq=$(trace_segs "$port" | sed -n '/(window update)/,$p' | grep -m1 '^tx .*, seq [0-9]*:' |
        sed -nE 's/^tx [^ ]+ seq ([0-9]+):.*/\1/p')
    closed_t=$(trace_times "$port" 'rx .*\(.*zero window\)' | head -n1)
    intervals=$({
        echo "$closed_t"
        trace_times "$port" 'tx .*\(zero-window probe\)'
    } | gaps | paste -sd ' ' | sed 's/ / ms, /g')
    header "What to notice"
    claim zero-window "host -> lwIP ... win 0 (zero window): the host's buffer is full, and" \
        "lwIP stops sending."
    claim probes,answered "lwIP -> host ... length 1 (zero-window probe): $probes probes, ${intervals:-?}" \
        "ms after the window closed and after each other: lwIP's persist timer backs off," \
        "in its 500 ms ticks. Each probe is answered with win 0 while the host does not" \
        "read."
    claim probe-byte "The host does not take the probe's byte (it answers ack ${probe_ack:-?}, the" \
        "probe's own seq): once the window reopens, lwIP's next segment starts at that" \
        "byte again (seq ${reopen_seq:-?})."
    claim no-states "While the window is closed lwIP's state does not change: the connection" \
        "stays ESTABLISHED, only the data waits."
    claim intact "Once the host reads, its window reopens and lwIP sends the rest: not a byte" \
        "lost."
    expect zero-window "a zero window from the host, in lwIP's timeline and on tap0" \
        eval 'trace_segs "$port" | grep -q "^rx .*, win 0, .*zero window" &&
            capture_has "IP $HOST4\\.$port > $LWIP4\\.7: .* win 0,"'
    expect probes "2 or more one-byte probes, each interval longer than the one before ($intervals ms)" \
        eval '[ "$probes" -ge 2 ] && printf "%s\n" "$intervals" | tr -d "ms," | tr " " "\n" | grep . |
            awk "NR > 1 && \$1 <= prev { bad = 1 } { prev = \$1 } END { exit bad }"'
    expect answered "each probe answered by the host with win 0" \
        eval 'trace_segs "$port" | sed -n "/(zero-window probe)/,/(window update)/p" |
            awk "/zero-window probe/ { p = 1; next } p && /^rx / { if (!/, win 0,/) bad = 1; p = 0 } END { exit bad || p }"'
    expect probe-byte "the probe's byte unacknowledged, and sent again after the reopening" \
        eval '[ -n "$probe_seq" ] && [ "$probe_ack" = "$probe_seq" ] && [ "$reopen_seq" = "$probe_seq" ]'
    expect no-states "no state change of the connection between the zero window and the reopening" \
        eval '[ "$(states_of "$port" | paste -sd "|")" = "LISTEN -> SYN_RCVD|SYN_RCVD -> ESTABLISHED|ESTABLISHED -> CLOSE_WAIT|CLOSE_WAIT -> LAST_ACK|LAST_ACK -> CLOSED" ] &&
            ! awk "/INFO (link|fault): rx .*\\.$port > .*zero window/ { z = 1 } /window update/ { z = 0 }
                z && /tcp-state: .*:$port / { bad = 1 } END { exit !bad }" "$LWIP_LOG"'
    expect intact "the 256 KiB back intact (the host peer's check)" test "$PEER_RC" -eq 0
    lesson_verdict "the window closed, lwIP probed it, and every byte came back."
}
