#!/usr/bin/env bash
# lwip-tap demo: lwIP running in a user process answers ping, ping6, a serial
# echo session and an RFC 862 echo session over a TAP device, while tcpdump
# watches the wire; then it prints, section by section, what happened on the
# wire and in lwIP's TCP state machine.
#
#   sudo scripts/demo.sh           the default run: handshake, data, teardown
#   sudo scripts/demo.sh LESSON    one behaviour of TCP (scripts/lessons/LESSON.sh)
#   scripts/demo.sh --list         the lessons
#
# Everything happens inside a private network namespace (lt-demo-<pid>) that
# the script creates and deletes again; nothing outside it is touched.
# Addresses come from the documentation ranges (RFC 5737, RFC 3849):
#   host side of tap0 (the Linux kernel)  192.0.2.1/24  2001:db8::1/64
#   lwIP (the lwip-tap process)           192.0.2.2/24  2001:db8::2/64
#
# Environment:
#   LWIPTAP_DEMO_SKIP_BUILD=1  do not run scripts/setup.sh and cmake (tests use this)
#   LWIPTAP_BUILD_DIR=DIR      build directory to use (default: <repo>/build)
#   LWIPTAP_DEMO_DIAGRAMS=DIR  where the ladder diagrams go (default: /tmp/lwip-tap-demo)
#   LWIPTAP_DEMO_KEEP=DIR      copy the scratch files (lwip-tap's log, the capture)
#                              to DIR at the end (scripts/demo-check.sh uses this)
#
# Exit code: 0 if the handshake, the echo replies and the teardown were all
# seen (for a lesson: if what it explains happened), 1 otherwise (or if
# anything failed on the way), 2 for an unknown lesson.

set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# In the order a course would take them.
LESSONS=(active-open passive-close active-close half-close simultaneous-close abort reset time-wait
    keepalive zero-window loss)

list_lessons() {
    local name summary
    printf 'Lessons (sudo scripts/demo.sh LESSON):\n'
    for name in "${LESSONS[@]}"; do
        summary=$(sed -n 's/^# lesson: //p' "$root/scripts/lessons/$name.sh")
        printf '  %-20s %s\n' "$name" "$summary"
    done
}

LESSON=""
case "${1:-}" in
"") ;;
--list)
    list_lessons
    exit 0
    ;;
-h | --help)
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    list_lessons
    exit 0
    ;;
*)
    for name in "${LESSONS[@]}"; do
        [ "$1" != "$name" ] || LESSON=$1
    done
    if [ -z "$LESSON" ]; then
        printf 'demo: unknown lesson %s\n' "'$1'" >&2
        list_lessons >&2
        exit 2
    fi
    ;;
esac
if [ $# -gt 1 ]; then
    printf 'demo: one lesson at a time (got %s arguments)\n' "$#" >&2
    exit 2
fi
# shellcheck source=scripts/lib/sandbox.sh
. "$root/scripts/lib/sandbox.sh" || exit 1
# shellcheck source=scripts/lib/diagrams.sh
. "$root/scripts/lib/diagrams.sh" || exit 1
build=${LWIPTAP_BUILD_DIR:-$root/build}

HOST4=192.0.2.1
LWIP4=192.0.2.2
HOST6=2001:db8::1
LWIP6=2001:db8::2
SERIAL_PORT=1234
ECHO_PORT=7
ECHO_TEXT='Echo, echo, echo!'

if [ -t 1 ]; then
    BOLD=$(printf '\033[1m') DIM=$(printf '\033[2m') RED=$(printf '\033[31m')
    GREEN=$(printf '\033[32m') RESET=$(printf '\033[0m')
else
    BOLD='' DIM='' RED='' GREEN='' RESET=''
fi

die() {
    printf '%sdemo: %s%s\n' "$RED" "$*" "$RESET" >&2
    exit 1
}

if [ "$(id -u)" -ne 0 ]; then
    printf 'demo: this demo creates a network namespace and a tap device, which needs root.\n' >&2
    printf '      run: sudo scripts/demo.sh\n' >&2
    exit 1
fi

# ------------------------------------------------------------------ cleanup

NS=""
WORK=""

cleanup() {
    trap - EXIT INT TERM HUP PIPE
    sandbox_teardown
    if [ -n "$WORK" ] && [ -n "${LWIPTAP_DEMO_KEEP:-}" ]; then
        mkdir -p "$LWIPTAP_DEMO_KEEP" && cp -r "$WORK"/. "$LWIPTAP_DEMO_KEEP"/
    fi
    [ -z "$WORK" ] || rm -rf "$WORK"
}
on_exit() {
    local rc=$?
    cleanup
    exit "$rc"
}
trap on_exit EXIT
trap 'printf "\ndemo: interrupted, cleaning up\n" >&2; exit 130' INT TERM HUP
trap 'exit 141' PIPE

# ------------------------------------------------------------------ helpers

header() {
    printf '\n%s== %s ==%s\n' "$BOLD" "$*" "$RESET"
}

# explain TEXT...: one paragraph, folded to 80 columns.
explain() {
    printf '%s\n' "$*" | fold -s -w 79 | sed 's/ *$//'
}

indent() {
    sed 's/^/    /'
}

TIMELINE=$root/scripts/lib/timeline.py

# timeline_of PORT SERVICE_PORT [PART]: lwIP's own timeline (--explain) of
# the connection from host port PORT, or one part of it (handshake, data,
# teardown): the notation of the lessons, the fault lines and the diagrams,
# folded to 80 columns.
timeline_of() {
    /usr/bin/python3 "$TIMELINE" ${3:+--part "$3"} "$LOG" -- "$1" "$2"
}

# The state changes of lwIP's connection from host port $1, "A -> B|C -> D".
states_of() {
    sed -nE "s/.* tcp-state: [^ ]+ $HOST4:$1 ([A-Z_0-9]+ -> [A-Z_0-9]+) via .*/\1/p" "$LOG" | paste -sd '|'
}

# The tcpdump lines of one connection, host port $1 and lwIP port $2.
conn_lines() {
    grep -E -- " ($HOST4\\.$1 > $LWIP4\\.$2|$LWIP4\\.$2 > $HOST4\\.$1): " "$CAPTURE" || true
}

# ------------------------------------------------------------------ build

if [ "${LWIPTAP_DEMO_SKIP_BUILD:-0}" != 1 ]; then
    header "Preparing: packages, lwIP source and the build"
    bash "$root/scripts/setup.sh" || die "scripts/setup.sh failed"
    build_log=$(mktemp "${TMPDIR:-/tmp}/lt-demo-build.XXXXXX")
    printf 'building in %s ... ' "$build"
    if cmake -S "$root" -B "$build" >"$build_log" 2>&1 &&
        cmake --build "$build" -j2 >>"$build_log" 2>&1; then
        printf 'done\n'
        rm -f "$build_log"
    else
        printf 'FAILED\n'
        tail -n 30 "$build_log" >&2
        rm -f "$build_log"
        die "the build failed (full log above)"
    fi
fi

LWIPTAP=$build/bin/lwip-tap
TCP_CLIENT=$build/bin/tcp-client
[ -x "$LWIPTAP" ] || die "$LWIPTAP not found: build first (or unset LWIPTAP_DEMO_SKIP_BUILD)"
[ -x "$TCP_CLIENT" ] || die "$TCP_CLIENT not found: build first (or unset LWIPTAP_DEMO_SKIP_BUILD)"
for tool in ip tcpdump nc ping; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing: run sudo scripts/setup.sh"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lt-demo.XXXXXX")
# The ladder diagrams outlive the demo's scratch files: they are for a browser.
DIAGRAMS=${LWIPTAP_DEMO_DIAGRAMS:-${TMPDIR:-/tmp}/lwip-tap-demo}
mkdir -p "$DIAGRAMS" || die "cannot create $DIAGRAMS for the diagrams"
if [ -n "$LESSON" ]; then
    TCP_SERVER=$build/bin/tcp-server
    [ -x "$TCP_SERVER" ] || die "$TCP_SERVER not found: build first (or unset LWIPTAP_DEMO_SKIP_BUILD)"
    # shellcheck source=scripts/lessons/lib.sh
    . "$root/scripts/lessons/lib.sh"
    # shellcheck source=/dev/null
    . "$root/scripts/lessons/$LESSON.sh"
    lesson_setup
    lesson_main
    exit $?
fi
LOG=$WORK/lwip-tap.log
CAPTURE=$WORK/capture.txt

# ------------------------------------------------------------------ network

NS=lt-demo-$$
sandbox_tap_ns "$NS" "$HOST4" "$HOST6" || die "cannot set up tap0 in a network namespace ($NS)"

rm -f "$DIAGRAMS"/connection*.svg
ns_bg "$LWIPTAP" --tap tap0 --ip "$LWIP4/24" --ip6 "$LWIP6/64" --explain --diagram "$DIAGRAMS/connection.svg" \
    --web </dev/null 2>"$LOG"
LWIP_PID=$BG_PID
wait_for_line "$LOG" 'lwip-tap: up on' 10 || {
    cat "$LOG" >&2
    die "lwip-tap did not start"
}

ns_bg tcpdump -i tap0 -n -S -l -U >"$CAPTURE" 2>"$WORK/tcpdump.err"
TCPDUMP_PID=$BG_PID
wait_for_line "$WORK/tcpdump.err" 'listening on' 10 || {
    cat "$WORK/tcpdump.err" >&2
    die "tcpdump did not start"
}
sleep 0.5

header "Setup"
explain "A private network namespace ($NS) holds a TAP device, tap0: a virtual" \
    "Ethernet cable with the Linux kernel at one end and the lwip-tap process at the" \
    "other. Frames the kernel sends into tap0 are read by lwip-tap, which runs the" \
    "lwIP TCP/IP stack in user space and writes its answers back."
printf '\n'
printf '    Linux kernel (host side of tap0)  %-12s %s\n' "$HOST4" "$HOST6"
printf '    lwIP in lwip-tap                  %-12s %s\n' "$LWIP4" "$LWIP6"
printf '    services: echo (RFC 862) on port %s, serial echo on port %s\n' "$ECHO_PORT" "$SERIAL_PORT"
printf '    live page (--web): http://%s/ (opening it: docs/web.md)\n' "$LWIP4"
printf '\n    %s\n' "tcpdump -i tap0 -n -S is watching the wire."

# ------------------------------------------------------------------ ping

header "ping (IPv4): ICMP echo request -> echo reply"
explain "The kernel first asks who has $LWIP4 (ARP); lwIP answers with its MAC" \
    "address, then replies to each ICMP echo request."
ip netns exec "$NS" ping -c 3 -i 0.3 -W 2 "$LWIP4" >"$WORK/ping4.txt" 2>&1
grep -E 'bytes from|packets transmitted' "$WORK/ping4.txt" | indent

header "ping6 (IPv6): neighbour discovery, then ICMPv6 echo"
ip netns exec "$NS" ping -6 -c 3 -i 0.3 -W 2 "$LWIP6" >"$WORK/ping6.txt" 2>&1
grep -E 'bytes from|packets transmitted' "$WORK/ping6.txt" | indent

# ------------------------------------------------------------------ sessions

printf 'hello\nworld\nbye\n' >"$WORK/client-in.txt"
timeout 20 ip netns exec "$NS" "$TCP_CLIENT" "$LWIP4" "$SERIAL_PORT" <"$WORK/client-in.txt" \
    >"$WORK/client-out.txt" 2>"$WORK/client-err.txt"
client_rc=$?
SERIAL_CLIENT_PORT=$(sed -nE "s/.* serial: $HOST4:([0-9]+) connected.*/\1/p" "$LOG" | head -n1)

printf '%s\n' "$ECHO_TEXT" | timeout 20 ip netns exec "$NS" nc -N "$LWIP4" "$ECHO_PORT" \
    >"$WORK/nc-out.txt" 2>"$WORK/nc-err.txt"
nc_rc=$?
ECHO_CLIENT_PORT=$(sed -nE "s/.* echo: $HOST4:([0-9]+) connected.*/\1/p" "$LOG" | head -n1)

# Let both connections finish closing before the capture stops.
[ -z "$SERIAL_CLIENT_PORT" ] ||
    wait_for_line "$LOG" " $HOST4:$SERIAL_CLIENT_PORT [A-Z_0-9]+ -> TIME_WAIT" 5
[ -z "$ECHO_CLIENT_PORT" ] ||
    wait_for_line "$LOG" " $HOST4:$ECHO_CLIENT_PORT [A-Z_0-9]+ -> CLOSED" 5
sleep 0.5
kill -INT "$TCPDUMP_PID" 2>/dev/null
wait_pid "$TCPDUMP_PID" 5

sp=${SERIAL_CLIENT_PORT:-none}
conn_lines "$sp" "$SERIAL_PORT" >"$WORK/serial.cap"
serial_syn=$(grep -m1 -E "$HOST4\\.$sp > $LWIP4\\.$SERIAL_PORT: Flags \\[S\\]," "$WORK/serial.cap")
serial_synack=$(grep -m1 -E "$LWIP4\\.$SERIAL_PORT > $HOST4\\.$sp: Flags \\[S\\.\\]," "$WORK/serial.cap")
serial_ack=$(grep -m1 -E "$HOST4\\.$sp > $LWIP4\\.$SERIAL_PORT: Flags \\[\\.\\]," "$WORK/serial.cap")

header "Serial echo session: tcp-client -> $LWIP4 port $SERIAL_PORT"
explain "tcp-client sends each line; lwIP answers with a serial number (0, 1, ...)" \
    "followed by the line. \"bye\" asks lwIP to close the connection."
printf '\n'
mapfile -t sent <"$WORK/client-in.txt"
mapfile -t received <"$WORK/client-out.txt"
for i in "${!sent[@]}"; do
    printf '    client sends:  %s\n' "${sent[$i]}"
    [ -z "${received[$i]+set}" ] || printf '    lwIP answers:  %s\n' "${received[$i]}"
done
if grep -q 'closed by server' "$WORK/client-err.txt"; then
    printf '    (lwIP closed the connection)\n'
fi
if [ "$client_rc" -ne 0 ]; then
    printf '    %s(tcp-client exited with code %s: %s)%s\n' "$RED" "$client_rc" \
        "$(tr '\n' ' ' <"$WORK/client-err.txt")" "$RESET"
fi
printf '    %s(client port: %s)%s\n' "$DIM" "$sp" "$RESET"

# The sections come from lwIP's own --explain timeline: each segment as lwIP
# saw it (relative seq/ack, scaled windows), each state change where it
# happened, and under each a line that says what it means.
header "The three-way handshake (serial connection, client port $sp)"
explain "From lwIP's own timeline (lwip-tap --explain): time since the first segment," \
    "who sent it, the flags, seq and ack counted from each side's first sequence" \
    "number, the window in bytes (scaled) and the TCP options (the timestamp option" \
    "and nop padding left out); lwIP's state changes in between."
printf '\n'
timeline_of "$sp" "$SERIAL_PORT" handshake

header "Data exchange"
printf '\n'
timeline_of "$sp" "$SERIAL_PORT" data

header "Teardown"
# Three endings happen, depending on when the host's FIN leaves: lwIP's
# state log says which one this run had.
serial_states=$(states_of "$sp")
case $serial_states in
*"FIN_WAIT_1 -> FIN_WAIT_2|FIN_WAIT_2 -> TIME_WAIT"*)
    teardown="the host acknowledged lwIP's FIN first and sent its own FIN later: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" ;;
*"FIN_WAIT_1 -> TIME_WAIT"*)
    teardown="the host's FIN carried the ACK of lwIP's FIN: FIN_WAIT_1 -> TIME_WAIT in one step" ;;
*"FIN_WAIT_1 -> CLOSING|CLOSING -> TIME_WAIT"*)
    teardown="the FINs crossed: the host's FIN left before lwIP's reached it, a simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT" ;;
*) teardown="" ;;
esac
explain "\"bye\" makes lwIP close first. Whether the host's FIN comes after its ACK of" \
    "lwIP's FIN, rides on that ACK, or crosses lwIP's FIN depends on timing: three" \
    "endings happen. This run: ${teardown:-none of the three (see the FAILED list)}."
printf '\n'
timeline_of "$sp" "$SERIAL_PORT" teardown

header "The same connection on the wire (tcpdump -i tap0, raw numbers)"
explain "What the kernel's tcpdump -n -S saw: the same segments, generated by lwIP in" \
    "user space, with absolute seq/ack and the windows as sent (unscaled); tcpdump's" \
    "clock is left out, and so is the timestamp option after the SYNs."
printf '\n'
/usr/bin/python3 "$TIMELINE" --wire <"$WORK/serial.cap"

# ------------------------------------------------------------------ echo

ep=${ECHO_CLIENT_PORT:-none}
conn_lines "$ep" "$ECHO_PORT" >"$WORK/echo.cap"
header "Echo session: nc -N -> $LWIP4 port $ECHO_PORT (client port $ep)"
explain "The echo service sends back exactly what it receives. nc -N closes its" \
    "sending side when its input ends, so here the client sends the first FIN" \
    "and lwIP closes passively: ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED."
printf '\n    client sends:  %s\n' "$ECHO_TEXT"
while IFS= read -r line; do
    printf '    lwIP answers:  %s\n' "$line"
done <"$WORK/nc-out.txt"
printf '\n'
timeline_of "$ep" "$ECHO_PORT"

# ------------------------------------------------------------------ verdict

kill -TERM "$LWIP_PID" 2>/dev/null
wait_pid "$LWIP_PID" 10
lwip_rc=$WAIT_RC

missing=()
grep -q 'bytes from' "$WORK/ping4.txt" || missing+=("IPv4 ping replies")
grep -q 'bytes from' "$WORK/ping6.txt" || missing+=("IPv6 ping replies")
[ -n "$SERIAL_CLIENT_PORT" ] || missing+=("the serial connection in lwip-tap's log")
[ -n "$serial_syn" ] || missing+=("SYN [S] from $HOST4 (serial connection)")
printf '%s\n' "$serial_synack" | grep -q 'mss 1460' ||
    missing+=("SYN-ACK [S.] from $LWIP4 with mss 1460 (serial connection)")
[ -n "$serial_ack" ] || missing+=("handshake ACK [.] from $HOST4 (serial connection)")
[ "$(sed -n 1p "$WORK/client-out.txt")" = 0hello ] || missing+=("reply '0hello'")
[ "$(sed -n 2p "$WORK/client-out.txt")" = 1world ] || missing+=("reply '1world'")
[ "$client_rc" -eq 0 ] || missing+=("a clean tcp-client exit (code $client_rc)")
grep -qE "$LWIP4\\.$SERIAL_PORT > $HOST4\\.$sp: Flags \\[F" "$WORK/serial.cap" ||
    missing+=("FIN from lwIP (serial connection)")
grep -qE "$HOST4\\.$sp > $LWIP4\\.$SERIAL_PORT: Flags \\[F" "$WORK/serial.cap" ||
    missing+=("FIN from the client (serial connection)")
last_fin=$(grep -n -E 'Flags \[F' "$WORK/serial.cap" | tail -n1 | cut -d: -f1)
[ -n "$last_fin" ] && tail -n +"$((last_fin + 1))" "$WORK/serial.cap" | grep -q 'Flags \[\.\]' ||
    missing+=("the final ACK after the last FIN (serial connection)")
grep -qE " $HOST4:$sp [A-Z_0-9]+ -> TIME_WAIT" "$LOG" ||
    missing+=("TIME_WAIT in lwIP's state log (serial connection)")
[ "$(cat "$WORK/nc-out.txt")" = "$ECHO_TEXT" ] || missing+=("the nc echo reply (nc exit code $nc_rc)")
grep -qE "$LWIP4\\.$ECHO_PORT > $HOST4\\.$ep: Flags \\[F" "$WORK/echo.cap" ||
    missing+=("FIN from lwIP (echo connection)")
grep -qE "$HOST4\\.$ep > $LWIP4\\.$ECHO_PORT: Flags \\[F" "$WORK/echo.cap" ||
    missing+=("FIN from the client (echo connection)")
[ "$lwip_rc" -eq 0 ] || missing+=("a clean lwip-tap exit after SIGTERM (code $lwip_rc)")
[ -n "$teardown" ] || missing+=("one of the three teardowns in lwIP's states (saw: $serial_states)")

diagrams=$(diagram_files "$LOG" | wc -l)
[ "$diagrams" -ge 2 ] || missing+=("a ladder diagram of each connection in $DIAGRAMS")

header "Ladder diagrams"
explain "lwip-tap --diagram drew each connection as the textbooks do: open these in a" \
    "browser. Under each file, the connection it draws (host -> lwIP)."
printf '\n'
show_diagrams "$LOG"

header "Result"
if [ ${#missing[@]} -eq 0 ]; then
    printf '%sOK%s: pings answered, handshake seen ([S], [S.] from lwIP, [.]), replies 0hello,\n' \
        "$GREEN" "$RESET"
    printf '    1world and the echo received, FINs seen both ways; lwip-tap exited cleanly.\n'
    exit 0
fi
printf '%sFAILED%s: not seen:\n' "$RED" "$RESET"
printf '    - %s\n' "${missing[@]}"
printf '\nlwip-tap log (last 30 lines):\n'
tail -n 30 "$LOG" | indent
exit 1
