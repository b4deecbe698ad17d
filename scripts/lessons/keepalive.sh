# shellcheck shell=bash
# lesson: keepalive probes find out that an idle peer is gone

lesson_main() {
    header "Keepalive: is the idle peer still there?"
    explain "With --keepalive 2,1,3 lwIP probes a connection after 2 s of silence, every" \
        "1 s, and gives up after 3 unanswered probes. A probe is an ACK whose seq is one" \
        "below the next byte lwIP would send, a byte the peer already has: the peer must" \
        "answer it with an ACK of its own. The host talks, stays silent (its kernel" \
        "answers the probes), then vanishes: its addresses are removed from tap0, so" \
        "probes reach nobody."
    lesson_lwip --keepalive 2,1,3
    lesson_capture_start
    lesson_peer keepalive 7 tap0
    lesson_show echo 7
    local port=$PORT probes next first_probe answered unanswered
    probes=$(trace_segs "$port" | grep -c '^tx \[\.\], seq [0-9]*, ack .*(keepalive)')
    # lwIP's next byte: the end of the last data it sent.
    next=$(trace_segs "$port" | sed -nE 's/^tx \[[^]]*\], seq [0-9]+:([0-9]+),.*/\1/p' | tail -n1)
    first_probe=$(trace_segs "$port" | grep -m1 '(keepalive)' | sed -nE 's/^tx \[\.\], seq ([0-9]+),.*/\1/p')
    # The probes after the last answer from the host went unanswered.
    unanswered=$(trace_segs "$port" | awk '/^rx / { n = 0; next } /\(keepalive\)/ { n++ } END { print n + 0 }')
    answered=$((probes - unanswered))
    # The silence before the first probe: from the segment before it.
    local probe_t idle
    probe_t=$(trace_times "$port" 'tx .*\(keepalive\)' | head -n1)
    idle=$(trace_times "$port" '' | awk -v p="${probe_t:-0}" '$1 < p' | tail -n1 | { cat; echo "$probe_t"; } | gaps)
    header "What to notice"
    claim idle,probe-seq "After 2 s of silence (${idle:-?} ms here: lwIP's timer ticks every 500" \
        "ms) lwIP sends a probe: [.], seq ${first_probe:-?}, length 0 (keepalive), one below its" \
        "next byte (${next:-?})."
    claim kernel-answers "The host's kernel answers it ($answered answered) although the" \
        "application sleeps: keepalive tests the peer's stack, not the application."
    claim unanswered,interval "Once the host is gone, $unanswered probes about 1 s apart go" \
        "unanswered ($(trace_times "$port" 'tx \[\.\].*\(keepalive\)' | tail -n "$unanswered" | gaps |
            paste -sd ' ' | sed 's/ / ms, /g') ms between them)."
    claim rst "lwIP then resets the connection ([R.]): ESTABLISHED -> CLOSED via timer," \
        "tx [R.], and the echo service reports the dead peer."
    expect probe-seq "a keepalive probe with seq = next byte - 1 ($first_probe, $next)" \
        test "${first_probe:-x}" = "$((${next:-0} - 1))"
    expect idle "2 s to 3 s of silence before the first probe (${idle:-?} ms)" \
        test "${idle:-0}" -ge 1900 -a "${idle:-0}" -le 3000
    expect kernel-answers "the host's kernel answering a probe ($answered)" test "$answered" -ge 1
    expect unanswered "3 probes unanswered at the end ($unanswered)" test "$unanswered" -eq 3
    expect interval "the unanswered probes 0.5 s to 1.6 s apart" \
        eval 'trace_times "$port" "tx \\[\\.\\].*\\(keepalive\\)" | tail -n 3 | gaps |
            awk "\$1 < 500 || \$1 > 1600 { bad = 1 } END { exit bad }"'
    expect rst "lwIP's RST after the unanswered probes: ESTABLISHED -> CLOSED via timer, tx [R.]" \
        eval 'trace_segs "$port" | tail -n1 | grep -q "^tx \\[R" &&
            grep -qF " $HOST4:$port ESTABLISHED -> CLOSED via timer, tx [R.]" "$LWIP_LOG" &&
            grep -q "answered none of 3 keepalive probes" "$LWIP_LOG"'
    lesson_verdict "lwIP probed the idle host, and reset the connection once the host was gone."
}
