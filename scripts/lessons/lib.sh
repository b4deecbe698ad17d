# shellcheck shell=bash
# What every lesson of scripts/demo.sh LESSON shares: a private namespace with
# tap0, lwip-tap in it (its own timeline, --explain, is what a lesson shows),
# tcpdump on tap0 (for the self-checks, and for the raw wire where a lesson
# wants it seen), and the self-check that makes a lesson exit 0 only if what
# it explains happened. Sourced by scripts/demo.sh, never executed.
#
# Addresses (documentation ranges), as in the demo:
#   host side of tap0 (the Linux kernel)  192.0.2.1/24  2001:db8::1/64
#   lwIP (the lwip-tap process)           192.0.2.2/24  2001:db8::2/64

HOST4=192.0.2.1
LWIP4=192.0.2.2
HOST6=2001:db8::1
LWIP6=2001:db8::2
LESSON_MSL=1000 # TIME_WAIT = 2 MSL = 2 s in the lessons, not lwIP's 2 minutes
PY=/usr/bin/python3
TIMELINE=$root/scripts/lib/timeline.py
LESSON_MISSING=()
LESSON_CHECKS=()
LESSON_CLAIMS=()
LWIP_RUNS=0

lesson_die() {
    printf '%slesson: %s%s\n' "$RED" "$*" "$RESET" >&2
    exit 1
}

# Namespace and tap0; tcpdump is started by lesson_capture_start.
lesson_setup() {
    NS=lt-lesson-$$
    sandbox_tap_ns "$NS" "$HOST4" "$HOST6" || lesson_die "cannot set up tap0 in a network namespace ($NS)"
    # Linux ignores an ARP request from a neighbour that announced itself
    # (lwIP's gratuitous ARP at start) less than locktime (1 s) ago, which
    # would delay lwIP's first SYN by a second.
    ip netns exec "$NS" sysctl -qw net.ipv4.neigh.tap0.locktime=0 || true
    printf '%s(namespace %s, removed at the end)%s\n' "$DIM" "$NS" "$RESET"
}

PEER_PY=$root/scripts/lessons/peer.py

# lesson_peer MODE PORT [ARGS...]: the scripted host peer (peer.py), its
# output indented; sets PEER_RC.
lesson_peer() {
    local mode=$1 port=$2
    shift 2
    PEER_RC=0
    ip netns exec "$NS" timeout 40 "$PY" "$PEER_PY" "$mode" "$LWIP4" "$port" "$@" >"$WORK/peer.out" 2>&1 ||
        PEER_RC=$?
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line" | fold -s -w 64 | sed -e '1s/^/    host peer: /' -e '2,$s/^/               /' -e 's/ *$//'
    done <"$WORK/peer.out"
}

# lesson_lwip [OPTIONS...]: lwip-tap in the background with one frame per
# segment (--no-offload), a short MSL and its own timeline (--explain), stdin
# from $LWIP_INPUT (default /dev/null). Sets LWIP_PID and LWIP_LOG and waits
# until it is up. Each run draws its connections (--diagram): the first run
# from LESSON.svg on, a later one from LESSON-runN.svg; lwip-tap numbers the
# files of a run itself and logs which file is which connection.
lesson_lwip() {
    LWIP_RUNS=$((LWIP_RUNS + 1))
    LWIP_LOG=$WORK/lwip-tap$LWIP_RUNS.log
    LWIP_OUT=$WORK/lwip-tap$LWIP_RUNS.out
    local svg=$DIAGRAMS/$LESSON.svg
    [ "$LWIP_RUNS" -eq 1 ] || svg=$DIAGRAMS/$LESSON-run$LWIP_RUNS.svg
    [ "$LWIP_RUNS" -gt 1 ] || rm -f "$DIAGRAMS/$LESSON".svg "$DIAGRAMS/$LESSON"-*.svg
    # Not ns_bg: a background command without a redirection of its own reads
    # /dev/null, whatever the function's stdin is.
    ip netns exec "$NS" "$LWIPTAP" --tap tap0 --ip "$LWIP4/24" --ip6 "$LWIP6/64" --no-offload \
        --msl "$LESSON_MSL" --explain --diagram "$svg" "$@" \
        <"${LWIP_INPUT:-/dev/null}" >"$LWIP_OUT" 2>"$LWIP_LOG" &
    LWIP_PID=$!
    sandbox_track "$LWIP_PID"
    wait_for_line "$LWIP_LOG" 'lwip-tap: up on|ERROR' 10 || {
        cat "$LWIP_LOG" >&2
        lesson_die "lwip-tap did not start"
    }
}

# Waits for lwip-tap to exit by itself (a --connect session); sets LWIP_RC.
lesson_lwip_wait() {
    wait_pid "$LWIP_PID" "${1:-20}"
    LWIP_RC=$WAIT_RC
}

lesson_lwip_stop() {
    kill -TERM "$LWIP_PID" 2>/dev/null
    wait_pid "$LWIP_PID" 10
    LWIP_RC=$WAIT_RC
}

lesson_capture_start() {
    CAPTURE=$WORK/capture.txt
    ns_bg tcpdump -i tap0 -n -tt -l -U tcp >"$CAPTURE" 2>"$WORK/tcpdump.err"
    TCPDUMP_PID=$BG_PID
    wait_for_line "$WORK/tcpdump.err" 'listening on' 10 || lesson_die "tcpdump did not start"
    sleep 0.3
}

lesson_capture_stop() {
    sleep 0.3
    kill -INT "$TCPDUMP_PID" 2>/dev/null
    wait_pid "$TCPDUMP_PID" 5
}

header() {
    printf '\n%s== %s ==%s\n' "$BOLD" "$*" "$RESET"
}

# explain TEXT...: one paragraph, folded to 80 columns; a paragraph that
# starts with "- " or "1. " hangs under its text.
explain() {
    local text="$*" hang=""
    case $text in
    "- "*) hang="  " ;;
    [0-9]". "*) hang="   " ;;
    esac
    printf '%s\n' "$text" | fold -s -w $((79 - ${#hang})) | sed -e "2,\$s/^/$hang/" -e 's/ *$//'
}

# lesson_timeline [--run N] [--only ERE] [--no-explain] PORT [PORT]: the
# connection as lwip-tap's own timeline (--explain) told it, from every
# lwip-tap log of the lesson (or run N's), in the notation of the demo, the
# fault lines and the diagrams.
lesson_timeline() {
    local opts=() logs=("$WORK"/lwip-tap*.log)
    while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do
        case $1 in
        --only) opts+=("$1" "$2") && shift 2 ;;
        --run) logs=("$WORK/lwip-tap$2.log") && shift 2 ;;
        *) opts+=("$1") && shift ;;
        esac
    done
    cat "$WORK"/lwip-tap*.log >"$WORK/all.log"
    printf '%s\n' "    lwip-tap's own timeline (--explain): time since the connection's first" \
        "    segment, who sent it, flags, seq and ack counted from each side's first" \
        "    sequence number, the window in bytes (scaled), lwIP's state changes, and" \
        "    under each a line that says what it means (the timestamp option and nop" \
        "    padding are left out)." ""
    "$PY" "$TIMELINE" "${opts[@]}" "${logs[@]}" -- "$@"
}

# wire_view ERE: the capture's lines that match ERE, labelled as the raw wire.
wire_view() {
    printf '    (tcpdump -i tap0, raw numbers: absolute seq/ack, unscaled windows)\n'
    grep -E -- "$1" "$CAPTURE" | "$PY" "$TIMELINE" --wire
}

# expect NAME DESCRIPTION COMMAND...: one check of the lesson's self-check,
# under a name that the lesson's claims cite.
expect() {
    local name=$1 what=$2
    shift 2
    # Without pipefail: "trace_segs | grep -q" ends the pipe early, and the
    # writer's SIGPIPE would fail a check that holds.
    if (
        set +o pipefail
        "$@"
    ) >/dev/null 2>&1; then
        LESSON_CHECKS+=("ok $name $what")
    else
        LESSON_CHECKS+=("FAILED $name $what")
        LESSON_MISSING+=("[$name] $what")
    fi
}

# claim NAME[,NAME...] TEXT...: one point of "What to notice", folded to 80
# columns, ending with the names of the self-checks that prove it.
# lesson_verdict fails a lesson one of whose claims cites a check that did
# not run; tests/docs/test_lesson_claims.sh checks the same in the source.
claim() {
    local names=$1
    shift
    LESSON_CLAIMS+=("$names")
    printf '%s [%s]\n' "$*" "${names//,/, }" | fold -s -w 76 | sed -e '1s/^/- /' -e '2,$s/^/  /' -e 's/ *$//'
}

# The state changes of the connection with host (or lwIP) port $1, in order,
# one "OLD -> NEW" per line.
states_of() {
    sed -nE "s/.* tcp-state: [^ ]+ [^ ]+:$1 ([A-Z_0-9]+ -> [A-Z_0-9]+) via .*/\1/p; s/.* tcp-state: [^ ]+:$1 [^ ]+ ([A-Z_0-9]+ -> [A-Z_0-9]+) via .*/\1/p" \
        "$WORK"/lwip-tap*.log
}

# has_states PORT "A -> B" ...: these transitions, in this order, and no others between.
has_states() {
    local port=$1
    shift
    [ "$(states_of "$port" | paste -sd '|')" = "$(printf '%s\n' "$@" | paste -sd '|')" ]
}

# The lwIP-side port of the --connect session.
session_port() {
    sed -nE 's/.* connect: connected to .* from port ([0-9]+)$/\1/p' "$WORK"/lwip-tap*.log | head -n1
}

# The host port of the service connection of service $1 (echo/serial), first one.
client_port() {
    sed -nE "s/.* $1: ($HOST4|\\[2001:db8::1\\]):([0-9]+) connected.*/\\2/p" "$WORK"/lwip-tap*.log | head -n1
}

# ms_between HH:MM:SS.mmm HH:MM:SS.mmm: milliseconds from the first to the second.
ms_between() {
    "$PY" -c 'import sys
def s(t):
    h, m, x = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(x)
print(int(round((s(sys.argv[2]) - s(sys.argv[1])) * 1000)))' "$1" "$2" 2>/dev/null || echo 0
}

# lesson_show SERVICE LWIP_PORT [STATE_ERE]: waits (up to 5 s) for the state
# log line STATE_ERE of the service's connection, stops the capture and
# lwip-tap, sets PORT (the connection's host port) and prints its timeline.
lesson_show() {
    PORT=$(client_port "$1")
    [ -z "${3:-}" ] || wait_for_line "$LWIP_LOG" " $HOST4:$PORT $3" 5
    lesson_capture_stop
    lesson_lwip_stop
    header "Timeline (host port ${PORT:-?})"
    lesson_timeline "${PORT:-0}" "$2"
}

# first_fin_from ADDR PORT: the capture's first FIN was sent from ADDR.PORT.
first_fin_from() {
    grep -m1 -E "Flags \[F" "$CAPTURE" | grep -q "IP $1\.$2 > "
}

# capture_has ERE: a captured line matches.
capture_has() {
    grep -Eq -- "$1" "$CAPTURE"
}

# trace_has ERE: a line of lwip-tap's logs (its timeline among them) matches.
trace_has() {
    cat "$WORK"/lwip-tap*.log | grep -Eq -- "$1"
}

lesson_verdict() {
    local names name line seen
    if [ -n "$(diagram_files "$WORK"/lwip-tap*.log)" ]; then
        header "Ladder diagrams (lwip-tap --diagram): open in a browser"
        show_diagrams "$WORK"/lwip-tap*.log
    fi
    # A claim whose check never ran proves nothing.
    for names in "${LESSON_CLAIMS[@]}"; do
        for name in ${names//,/ }; do
            seen=0
            for line in "${LESSON_CHECKS[@]}"; do
                line=${line#* }
                [ "${line%% *}" != "$name" ] || seen=1
            done
            [ "$seen" = 1 ] || LESSON_MISSING+=("[$name] cited by a claim, but no such check ran")
        done
    done
    header "Self-check"
    for line in "${LESSON_CHECKS[@]}"; do
        printf '%-6s %s\n' "${line%% *}" "$(printf '%s' "${line#* }" | sed -E 's/^([^ ]+) /[\1] /')" |
            fold -s -w 76 | sed -e '1s/^/    /' -e '2,$s/^/           /' -e 's/ *$//'
    done
    if [ ${#LESSON_MISSING[@]} -eq 0 ]; then
        printf '%sOK%s: %s\n' "$GREEN" "$RESET" "$1"
        exit 0
    fi
    printf '%sFAILED%s: not seen:\n' "$RED" "$RESET"
    printf '    - %s\n' "${LESSON_MISSING[@]}"
    printf '\nlwip-tap log (last 30 lines):\n'
    tail -n 30 "$WORK/all.log" 2>/dev/null | cut -c1-200 | sed 's/^/    /'
    exit 1
}

# trace_segs PORT [RUN]: the connection's segments in lwip-tap's timeline
# (of every run, or of run RUN), one "tx|rx [FLAGS], REST" per line, the
# fault stage's verdicts included.
trace_segs() {
    cat "$WORK"/lwip-tap${2:-*}.log | grep -E "INFO (link|fault): (rx|tx) .*\\.$1( >|:)" |
        sed -nE "s/.* INFO (link|fault): (rx|tx) [0-9]+B t\\+[0-9.]+ [^ ]+ > [^ ]+: Flags (.*)/\\2 \\3/p"
}

# first_fin PORT: who sent the connection's first FIN in lwIP's timeline
# (tx: lwIP, rx: the host).
first_fin() {
    trace_segs "$1" | grep -m1 -E '^(rx|tx) \[[^]]*F' | cut -d' ' -f1
}

# state_time PORT ERE: the log's clock (HH:MM:SS.micro) at the state change
# ERE ("ESTABLISHED -> FIN_WAIT_1", ...) of the connection with host port PORT.
state_time() {
    sed -nE "s/^[^T]+T([0-9:.]+)Z .* $HOST4:$1 $2 .*/\\1/p" "$WORK"/lwip-tap*.log | head -n1
}

# trace_times PORT ERE: the t+ times (seconds) of the connection's segments
# in lwip-tap's timeline whose "tx|rx [FLAGS], REST" matches ERE.
trace_times() {
    cat "$WORK"/lwip-tap*.log | grep -E "INFO (link|fault): (rx|tx) .*\\.$1( >|:)" |
        sed -nE "s/.* INFO (link|fault): (rx|tx) [0-9]+B t\\+([0-9.]+) [^ ]+ > [^ ]+: Flags (.*)/\\3 \\2 \\4/p" |
        grep -E -- "^[0-9.]+ $2" | cut -d' ' -f1
}

# gaps: the differences between successive numbers on stdin, in ms.
gaps() {
    awk 'NR > 1 { printf "%d\n", ($1 - prev) * 1000 + 0.5 } { prev = $1 }'
}
