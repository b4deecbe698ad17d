# shellcheck shell=bash
# lesson: lost segments and their retransmissions (--drop 25), 20 s to 1 min

# The longest series of copies of one lwIP segment: "SEQ N T1 T2 ..." (the
# t+ times of its copies, the dropped ones among them).
longest_series() {
    cat "$WORK"/lwip-tap*.log | grep -E "INFO (link|fault): tx .*\\.$1: Flags \\[[^]]*\\], seq [0-9]+:[0-9]+," |
        sed -nE 's/.* t\+([0-9.]+) .*, seq ([0-9]+:[0-9]+),.*/\2 \1/p' |
        awk '{ t[$1] = t[$1] " " $2; n[$1]++ } END { for (s in n) print n[s], s, t[s] }' |
        sort -k1,1nr -k2,2V | head -n1 | awk '{ $0 = $2 " " $1 substr($0, index($0, $3) - 1); print }'
}

# Prints, every 5 s until lwip-tap's connection to the host is over, how
# far the lesson is: the frames dropped and the segments sent again so far.
loss_progress() {
    local t=0
    while sleep 5; do
        t=$((t + 5))
        printf '    ... %3d s: %d frames dropped, %d segments sent again so far\n' "$t" \
            "$(grep -c 'INFO fault: .*DROPPED by --drop' "$LWIP_LOG")" \
            "$(grep -cE 'INFO (link|fault): .*\((fast )?retransmission' "$LWIP_LOG")"
    done
}

lesson_main() {
    header "Loss and retransmission"
    explain "--drop 25 --seed 7 makes lwip-tap's link drop a quarter of the frames each" \
        "way. A frame lwIP sends and the link drops never reaches tap0; a frame the host" \
        "sends and the link drops is on tap0 but lwIP never sees it. Either way a sender" \
        "times out and sends again."
    explain "lwIP's retransmission timeout (RTO) counts in 500 ms ticks: 1.5 s before its" \
        "first round-trip measurement (3 ticks, so that RFC 6298's 1 s is kept whatever" \
        "the timer's phase), then srtt + 4 rttvar, which on this link stays at 1.5 s;" \
        "each retry of the same segment doubles it (1.5, 3, 6, 12, 24 s). Linux's RTO" \
        "goes down to 200 ms. So this lesson takes 20 s to a minute, most of it" \
        "waiting for lwIP's timer; it prints how far it is every 5 s."
    printf '\n'
    # Address resolution would lose frames too, and the kernel gives up on
    # ARP after three tries: the host knows lwIP's MAC beforehand.
    ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev tap0 nud permanent
    lesson_lwip --drop 25 --seed 7
    lesson_capture_start
    loss_progress &
    local progress=$!
    sandbox_track "$progress"
    seq 1 3000 >"$WORK/in.txt"
    timeout 90 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$WORK/in.txt" >"$WORK/nc.out" 2>&1
    local port
    port=$(client_port echo)
    # lwIP may still be resending its FIN: the connection's end is part of it.
    wait_for_line "$LWIP_LOG" " $HOST4:${port:-0} [A-Z_0-9]+ -> CLOSED" 60
    kill "$progress" 2>/dev/null
    wait "$progress" 2>/dev/null
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline, abridged (host port ${port:-?})"
    explain "The opening and closing segments, every frame the link dropped (DROPPED by" \
        "--drop) and every copy sent again; what is left out is counted."
    printf '\n'
    lesson_timeline --no-explain --only 'retransmission|DROPPED|\[[SFR]' "${port:-0}" 7
    local drops_tx drops_rx retx_lwip retx_host series seq copies gaps_ms ending
    drops_tx=$(trace_segs "$port" | grep -c '^tx .*DROPPED by --drop')
    drops_rx=$(trace_segs "$port" | grep -c '^rx .*DROPPED by --drop')
    retx_lwip=$(trace_segs "$port" | grep -cE '^tx .*\((fast )?retransmission')
    retx_host=$(trace_segs "$port" | grep -cE '^rx .*\((fast )?retransmission')
    series=$(longest_series "$port")
    seq=${series%% *}
    copies=$(printf '%s\n' "$series" | cut -d' ' -f2)
    gaps_ms=$(printf '%s\n' "$series" | cut -d' ' -f3- | tr ' ' '\n' | grep . | gaps | paste -sd ' ')
    ending=$(states_of "$port" | tail -n1)
    header "One segment of lwIP's, sent ${copies:-?} times"
    explain "Each copy of it in lwIP's timeline, the dropped ones among them:"
    "$PY" "$TIMELINE" --no-explain --only "^t[^ ]+  lwIP -> host .*, seq ${seq:-none}," "$LWIP_LOG" -- "${port:-0}" 7 |
        grep -vE '^ {4}\(|^ {18,20}[^ ]'
    header "What to notice"
    claim drops "The link dropped $drops_tx of lwIP's frames and $drops_rx of the host's: each" \
        "\"DROPPED by --drop\" line is where one was lost."
    claim retx "$retx_lwip segments of lwIP's and $retx_host of the host's were sent again," \
        "labelled (retransmission) or (fast retransmission) in lwIP's timeline."
    if [ "${copies:-0}" -ge 3 ]; then
        claim backoff "lwIP sent seq $seq $copies times, ${gaps_ms// / ms, } ms apart: each wait" \
            "longer than the one before, the RTO doubling on each retry."
    else
        claim backoff "No segment of lwIP's had to go more than twice in this run (seq $seq:" \
            "$copies copies, $gaps_ms ms apart), so no backoff shows."
    fi
    case $ending in
    "LAST_ACK -> CLOSED" | "TIME_WAIT -> CLOSED")
        claim ending "The connection still closed normally ($ending)." ;;
    *)
        claim ending "The connection did not finish closing within a minute: lwIP's last" \
            "state change was $ending, when the lesson stopped lwip-tap." ;;
    esac
    claim intact "The echo came back intact: TCP hid every loss from the application."
    expect drops "frames dropped each way, in lwIP's timeline and its stats ($drops_tx, $drops_rx)" \
        eval '[ "$drops_tx" -ge 1 ] && [ "$drops_rx" -ge 1 ] && grep -qE "stats: fault (rx|tx) dropped=[1-9]" "$LWIP_LOG"'
    expect retx "retransmissions labelled in lwIP's timeline ($retx_lwip, $retx_host)" \
        test "$((retx_lwip + retx_host))" -ge 1
    if [ "${copies:-0}" -ge 3 ]; then
        expect backoff "seq $seq's copies ever further apart ($gaps_ms ms)" \
            eval 'printf "%s\n" $gaps_ms | awk "NR > 1 && \$1 <= prev { bad = 1 } { prev = \$1 } END { exit bad }"'
    else
        expect backoff "no lwIP segment sent more than twice ($copies)" test "${copies:-0}" -le 2
    fi
    case $ending in
    "LAST_ACK -> CLOSED" | "TIME_WAIT -> CLOSED")
        expect ending "the connection closed by TCP ($ending)" \
            trace_has " $HOST4:$port (LAST_ACK -> CLOSED via rx|TIME_WAIT -> CLOSED via timer)" ;;
    *)
        expect ending "the last state change, $ending, before lwip-tap stopped" test -n "$ending" ;;
    esac
    expect intact "the echo intact ($(wc -l <"$WORK/nc.out") of 3000 lines)" cmp -s "$WORK/in.txt" "$WORK/nc.out"
    lesson_verdict "segments were lost, sent again, and the echo came back intact."
}
