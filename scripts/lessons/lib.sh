# shellcheck shell=bash
# What every lesson of scripts/demo.sh LESSON shares: a private namespace with
# tap0, lwip-tap in it, tcpdump on tap0, the merged timeline of one connection,
# and the self-check that makes a lesson exit 0 only if what it explains
# happened. Sourced by scripts/demo.sh, never executed.
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
    sed 's/^/    host: /' "$WORK/peer.out"
}

# lesson_lwip [OPTIONS...]: lwip-tap in the background with one frame per
# segment (--no-offload) and a short MSL, stdin from $LWIP_INPUT (default
# /dev/null). Sets LWIP_PID and LWIP_LOG and waits until it is up.
lesson_lwip() {
    LWIP_RUNS=$((LWIP_RUNS + 1))
    LWIP_LOG=$WORK/lwip-tap$LWIP_RUNS.log
    LWIP_OUT=$WORK/lwip-tap$LWIP_RUNS.out
    # Not ns_bg: a background command without a redirection of its own reads
    # /dev/null, whatever the function's stdin is.
    [ "$LWIP_RUNS" -gt 1 ] || rm -f "$DIAGRAMS/$LESSON"-*.svg
    ip netns exec "$NS" "$LWIPTAP" --tap tap0 --ip "$LWIP4/24" --ip6 "$LWIP6/64" --no-offload \
        --msl "$LESSON_MSL" --diagram "$DIAGRAMS/$LESSON$([ "$LWIP_RUNS" -gt 1 ] && printf -- '-run%s' "$LWIP_RUNS").svg" "$@" \
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

explain() {
    printf '%s\n' "$@"
}

# lesson_timeline PORT [PORT]: the connection's segments and lwIP's state
# changes, merged, from every lwip-tap log of the lesson.
lesson_timeline() {
    cat "$WORK"/lwip-tap*.log >"$WORK/all.log"
    "$PY" "$TIMELINE" "$CAPTURE" "$WORK/all.log" "$@"
}

# expect DESCRIPTION COMMAND...: the lesson's self-check, one claim at a time.
expect() {
    local what=$1
    shift
    "$@" >/dev/null 2>&1 || LESSON_MISSING+=("$what")
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

lesson_verdict() {
    local svg shown=0
    for svg in "$DIAGRAMS/$LESSON"-*.svg; do
        [ -s "$svg" ] || continue
        [ "$shown" = 1 ] || header "Ladder diagrams (lwip-tap --diagram): open in a browser"
        shown=1
        printf '    file://%s\n' "$svg"
    done
    header "Self-check"
    if [ ${#LESSON_MISSING[@]} -eq 0 ]; then
        printf '%sOK%s: %s\n' "$GREEN" "$RESET" "$1"
        exit 0
    fi
    printf '%sFAILED%s: not seen:\n' "$RED" "$RESET"
    printf '    - %s\n' "${LESSON_MISSING[@]}"
    printf '\nlwip-tap log (last 30 lines):\n'
    tail -n 30 "$WORK/all.log" 2>/dev/null | sed 's/^/    /'
    exit 1
}
