# shellcheck shell=bash
# Shared helpers for the end-to-end tests; sourced by each tests/e2e/test_*.sh.
#
# Usage: bash tests/e2e/test_NAME.sh LWIP_TAP_BINARY [TCP_CLIENT_BINARY]
#
# Every test gets its own network namespace, lt-e2e-<name>-<pid>, holding tap0:
#   host side (the kernel)  192.0.2.1/24   2001:db8::1/64
#   lwIP (lwip-tap)         192.0.2.2/24   2001:db8::2/64
# No address is ever configured, and no packet ever sent, outside it.
# The EXIT trap stops (by PID) every process the test started and deletes
# the namespace (scripts/lib/sandbox.sh does both, for the demo and the
# benchmark too). Exit codes: 0 pass, 1 fail, 77 skip (ctest SKIP_RETURN_CODE).

# shellcheck disable=SC2034  # some variables are only read by the tests
set -euo pipefail

# shellcheck source=scripts/lib/sandbox.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/sandbox.sh"

E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_NAME=${E2E_NAME#test_}
LWIPTAP=${1:-${LWIPTAP:-}}
TCP_CLIENT=${2:-${TCP_CLIENT:-}}

HOST4=192.0.2.1
LWIP4=192.0.2.2
HOST6=2001:db8::1
LWIP6=2001:db8::2
TAP=tap0

NS=""           # the namespace, once created
LWIP_PID=""     # the running lwip-tap, if any
LWIP_LOG=""     # its stderr
LWIP_RC=""      # its exit code, once stopped
TCPDUMP_PID=""
TCPDUMP_OUT=""
E2E_STATUS=1    # set to 0 by e2e_pass

E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/lt-e2e-$E2E_NAME.XXXXXX")

say() { printf '[%s] %s\n' "$E2E_NAME" "$*"; }

# Prints the tail of every log the test produced; used on failure.
e2e_dump_logs() {
    local f
    for f in "$E2E_WORK"/*.log "$E2E_WORK"/*.txt; do
        [ -s "$f" ] || continue
        printf '%s\n' "----- $(basename "$f") (last 60 lines) -----"
        tail -n 60 "$f"
    done
    printf '%s\n' "----- end of logs (kept in $E2E_WORK) -----"
}

fail() {
    printf '[%s] FAIL: %s\n' "$E2E_NAME" "$*" >&2
    # In a $(...) subshell the caller fails in turn and dumps the logs then.
    [ "$BASH_SUBSHELL" -gt 0 ] || e2e_dump_logs >&2
    exit 1
}

# Any command failing outside a condition is a test failure too: say where.
e2e_on_error() { # line command
    [ "$BASH_SUBSHELL" -eq 0 ] || exit 1
    fail "unexpected error at line $1: $2"
}

skip() {
    printf '[%s] SKIP: %s\n' "$E2E_NAME" "$*" >&2
    E2E_STATUS=77
    exit 77
}

e2e_pass() {
    E2E_STATUS=0
    say "PASS"
    exit 0
}

e2e_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM ERR
    sandbox_teardown
    if [ "${LWIPTAP_E2E_KEEP:-0}" = 1 ]; then
        say "files kept in $E2E_WORK (LWIPTAP_E2E_KEEP=1)"
    elif [ "$rc" -eq 0 ] && [ "$E2E_STATUS" -eq 0 ] || [ "$E2E_STATUS" -eq 77 ]; then
        rm -rf "$E2E_WORK"
    fi
    exit "$rc"
}
trap e2e_cleanup EXIT
trap 'fail "interrupted"' INT TERM
set -E
trap 'e2e_on_error "$LINENO" "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------- preconditions

e2e_require_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and tap devices)"
}

e2e_require_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "needs '$c' (scripts/setup.sh installs it)"
    done
}

e2e_require_lwiptap() {
    [ -n "$LWIPTAP" ] && [ -x "$LWIPTAP" ] || fail "lwip-tap binary not found: '${LWIPTAP}'"
}

e2e_require_tcp_client() {
    [ -n "$TCP_CLIENT" ] || fail "no tcp-client path given"
    [ -x "$TCP_CLIENT" ] || skip "tcp-client not built yet: $TCP_CLIENT"
}

# ---------------------------------------------------------------- namespace

# Deletes namespaces left by earlier runs of these tests that were killed
# outright (SIGKILL, e.g. a ctest timeout): lt-e2e-<name>-<pid> whose test
# process is gone. Namespaces of tests still running are left alone.
e2e_reap_stale_namespaces() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^lt-e2e-.+-[0-9]+$' || true); do
        kill -0 "${ns##*-}" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
    done
}

# Creates the namespace with tap0 addressed and up (or, with "notap", without tap0).
ns_create() {
    e2e_reap_stale_namespaces
    NS="lt-e2e-$E2E_NAME-$$"
    sandbox_ns_add "$NS" || fail "cannot create network namespace"
    ip -n "$NS" link set lo up
    if [ "${1:-}" != "notap" ]; then
        ip -n "$NS" tuntap add dev "$TAP" mode tap
        ip -n "$NS" addr add "$HOST4/24" dev "$TAP"
        ip -n "$NS" addr add "$HOST6/64" dev "$TAP" nodad
        ip -n "$NS" link set "$TAP" up
    fi
}

ns_exec() {
    ip netns exec "$NS" "$@"
}

# ---------------------------------------------------------------- lwip-tap

# Starts lwip-tap on tap0 with the standard addresses plus any extra options,
# and waits for its "lwip-tap: up on" line.
lwip_start() {
    LWIP_LOG="$E2E_WORK/lwip-tap.log"
    # LWIPTAP_E2E_EXTRA_OPTS: options every lwip-tap of the test gets (ctest
    # runs some tests a second time with --no-offload this way).
    local extra=()
    read -r -a extra <<<"${LWIPTAP_E2E_EXTRA_OPTS:-}"
    ns_bg "$LWIPTAP" --tap "$TAP" --ip "$LWIP4/24" --ip6 "$LWIP6/64" "${extra[@]}" "$@" </dev/null 2>"$LWIP_LOG"
    LWIP_PID=$BG_PID
    local t=0
    until grep -q 'lwip-tap: up on' "$LWIP_LOG" 2>/dev/null; do
        kill -0 "$LWIP_PID" 2>/dev/null || fail "lwip-tap exited before it was up"
        [ "$t" -lt 100 ] || fail "lwip-tap did not log 'lwip-tap: up on' within 10 s"
        sleep 0.1
        t=$((t + 1))
    done
}

# Sends signal $1 (default TERM) to lwip-tap and waits for it; sets LWIP_RC.
lwip_stop() {
    local sig=${1:-TERM}
    [ -n "$LWIP_PID" ] || return 0
    kill -s "$sig" "$LWIP_PID" 2>/dev/null || true
    wait_pid "$LWIP_PID" 10
    [ "$WAIT_RC" -ne 124 ] || fail "lwip-tap still running 10 s after SIG$sig"
    LWIP_RC=$WAIT_RC
    LWIP_PID=""
}

# Asserts lwip-tap is still running (did not crash during the test).
assert_lwip_alive() {
    kill -0 "$LWIP_PID" 2>/dev/null || fail "lwip-tap died during the test"
}

# ---------------------------------------------------------------- tcpdump

# Starts tcpdump on tap0 (line-buffered text, -n -S -vv) into $1 and waits
# until it is capturing.
tcpdump_start() {
    TCPDUMP_OUT=$1
    local err="$E2E_WORK/tcpdump-stderr.log"
    ns_bg tcpdump -i "$TAP" -n -S -vv -l -U >"$TCPDUMP_OUT" 2>"$err"
    TCPDUMP_PID=$BG_PID
    wait_for_line "$err" 'listening on' 10 || fail "tcpdump did not start"
    sleep 0.3 # the socket is attached before the message; a margin anyway
}

tcpdump_stop() {
    [ -n "$TCPDUMP_PID" ] || return 0
    sleep 0.5 # let the last frames reach the file
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait_pid "$TCPDUMP_PID" 10
    TCPDUMP_PID=""
}

# tcpdump -v prints a TCP segment over two lines (IP header, then ports and
# flags); this joins them into one line per packet for grepping.
tcpdump_join() {
    awk '/^[0-9][0-9]:[0-9][0-9]:/ { if (line != "") print line; line = $0; next }
         { sub(/^[ \t]+/, " "); line = line $0 }
         END { if (line != "") print line }' "$1"
}

# ---------------------------------------------------------------- data

# Writes $2 bytes of random data to file $1.
random_file() {
    head -c "$2" /dev/urandom >"$1"
}

# ---------------------------------------------------------------- assertions

assert_eq() { # expected actual what
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_file_contains() { # file ERE what
    grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in $(basename "$1")"
}

assert_file_lacks() { # file ERE what
    if grep -Eq -- "$2" "$1"; then
        fail "$3: unexpected line matching /$2/ in $(basename "$1"): $(grep -E -m1 -- "$2" "$1")"
    fi
}

assert_log() { # ERE what
    assert_file_contains "$LWIP_LOG" "$1" "$2"
}

assert_same_file() { # expected actual what
    cmp -s "$1" "$2" || fail "$3: $(basename "$2") differs from $(basename "$1") \
($(stat -c %s "$1") vs $(stat -c %s "$2") bytes; $(cmp "$1" "$2" 2>&1 | head -1))"
}

# The namespace a script named in its output $1 (lt-<kind>-<pid>, $2 = kind)
# is gone again: it removed what it created.
assert_namespace_gone() { # output kind
    local ns
    ns=$(grep -oE "lt-$2-[0-9]+" "$1" | head -n1) || true
    [ -n "$ns" ] || fail "the $2 did not name its namespace"
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        fail "the $2 left its namespace $ns behind"
    fi
}

# Checks that the state log shows the transitions $2.. in this order for the
# connection whose remote end is $1 (e.g. 192.0.2.1:40000); each argument is
# "FROM -> TO". Other lines may come between them.
assert_state_sequence() {
    local remote=$1
    shift
    local lines
    lines=$(grep -F " $remote " "$LWIP_LOG" | grep -E 'tcp-state: ' | sed -E 's/.*tcp-state: //') || true
    [ -n "$lines" ] || fail "state log has no line for connection $remote"
    local want rest=$lines
    for want in "$@"; do
        local from=${want%% -> *} to=${want##* -> }
        local hit
        hit=$(printf '%s\n' "$rest" | grep -n -m1 -E " $from -> $to( |$)" | cut -d: -f1) || true
        if [ -z "$hit" ]; then
            fail "state log for $remote lacks '$want' (in order); its lines are:
$lines"
        fi
        rest=$(printf '%s\n' "$rest" | tail -n +"$((hit + 1))")
    done
}

# Checks that the log has lines matching the EREs $2.. in this order, among
# the lines that match the ERE $1 (other lines may come between them).
assert_log_order() {
    local filter=$1
    shift
    local lines rest want hit
    lines=$(grep -E "$filter" "$LWIP_LOG" | sed -E 's/^[^ ]+ //') || true
    rest=$lines
    for want in "$@"; do
        hit=$(printf '%s\n' "$rest" | grep -n -m1 -E -- "$want" | cut -d: -f1) || true
        if [ -z "$hit" ]; then
            fail "log lacks /$want/ (in order) among the lines matching /$filter/:
$lines"
        fi
        rest=$(printf '%s\n' "$rest" | tail -n +"$((hit + 1))")
    done
}

# The remote port of the single connection a service logged ("<svc>: 192.0.2.1:P connected").
# Echoes line $1 through nc -N on port 7, asserts it came back whole, and
# waits for lwIP's passive close to finish. Sets PORT to the client's port.
echo_one_line() {
    local rc=0
    printf '%s\n' "$1" | timeout 20 ip netns exec "$NS" nc -N "$LWIP4" 7 \
        >"$E2E_WORK/nc-out.txt" 2>"$E2E_WORK/nc-err.txt" || rc=$?
    assert_eq 0 "$rc" "nc exit code"
    assert_eq "$1" "$(cat "$E2E_WORK/nc-out.txt")" "echo reply"
    PORT=$(connection_port echo)
    wait_for_line "$LWIP_LOG" " $HOST4:$PORT LAST_ACK -> CLOSED" 5 || true
}

# The original client's session on port 1234: hello, world, bye. Asserts the
# replies 0hello and 1world and waits for lwIP's active close to reach
# TIME_WAIT. Sets PORT to the client's port.
serial_hello_world_bye() {
    local rc=0
    printf 'hello\nworld\nbye\n' |
        timeout 20 ip netns exec "$NS" "$TCP_CLIENT" "$LWIP4" 1234 >"$E2E_WORK/client-out.txt" \
            2>"$E2E_WORK/client-err.txt" || rc=$?
    assert_eq 0 "$rc" "tcp-client exit code"
    assert_eq "$(printf '0hello\n1world')" "$(cat "$E2E_WORK/client-out.txt")" "tcp-client transcript"
    PORT=$(connection_port serial)
    wait_for_line "$LWIP_LOG" " $HOST4:$PORT [A-Z_0-9]+ -> TIME_WAIT" 5 || true
}

connection_port() { # service
    local ports
    ports=$(sed -nE "s/.* $1: $HOST4:([0-9]+) connected.*/\1/p" "$LWIP_LOG")
    [ "$(printf '%s\n' "$ports" | grep -c .)" -eq 1 ] ||
        fail "expected exactly one $1 connection in the log, found: $(echo $ports)"
    printf '%s\n' "$ports"
}

# ---------------------------------------------------------------- tcpdump checks

# Prints, from a joined capture ($1), the lines of TCP segments from $2 to $3
# (tcpdump's ADDR.PORT form) whose flags are exactly $4 (e.g. "S.", "F.", "."),
# each prefixed with its line number.
tcp_segments() { # joined-file from to flags
    local flags
    flags=$(printf '%s' "$4" | sed 's/\./\\./g')
    grep -nF -- " $2 > $3: " "$1" | grep -E -- "Flags \[$flags\]" || true
}

# Extracts a numeric field ("seq", "ack") from one capture line.
tcp_field() { # line name
    printf '%s\n' "$1" | sed -nE "s/.*[ ,]$2 ([0-9]+)[,:].*/\1/p" | head -n1
}

# Asserts the capture ($1, raw tcpdump -n -S -vv text) shows the three-way
# handshake of client port $2 to lwIP port $3: [S] from the host, [S.] from
# lwIP with mss 1460, wscale, sackOK and a timestamp, acknowledging the SYN,
# then the host's [.] acknowledging the SYN-ACK; in that order.
assert_capture_handshake() { # capture client-port server-port
    local joined="$1.joined" c="$HOST4.$2" s="$LWIP4.$3"
    tcpdump_join "$1" >"$joined"
    local syn synack ack
    syn=$(tcp_segments "$joined" "$c" "$s" "S" | head -n1)
    [ -n "$syn" ] || fail "capture: no [S] from $c to $s"
    synack=$(tcp_segments "$joined" "$s" "$c" "S." | head -n1)
    [ -n "$synack" ] || fail "capture: no [S.] from $s to $c"
    ack=$(tcp_segments "$joined" "$c" "$s" "." | head -n1)
    [ -n "$ack" ] || fail "capture: no [.] from $c to $s after the SYN-ACK"
    local n_syn=${syn%%:*} n_synack=${synack%%:*} n_ack=${ack%%:*}
    [ "$n_syn" -lt "$n_synack" ] && [ "$n_synack" -lt "$n_ack" ] ||
        fail "capture: handshake out of order (S line $n_syn, S. line $n_synack, . line $n_ack)"
    local opt
    for opt in 'mss 1460' 'wscale [0-9]+' 'sackOK' 'TS val [0-9]+ ecr [0-9]+'; do
        printf '%s\n' "$synack" | grep -Eq "options \[[^]]*$opt" ||
            fail "capture: SYN-ACK lacks option '$opt': $synack"
    done
    local isn_c isn_s
    isn_c=$(tcp_field "$syn" seq)
    isn_s=$(tcp_field "$synack" seq)
    assert_eq "$(( (isn_c + 1) % 4294967296 ))" "$(tcp_field "$synack" ack)" "capture: SYN-ACK acknowledges the SYN"
    assert_eq "$(( (isn_s + 1) % 4294967296 ))" "$(tcp_field "$ack" ack)" "capture: ACK acknowledges the SYN-ACK"
}

# Asserts the capture shows [F.] both ways for the port pair, the first from
# $4 ("client" or "server", or "any"), and a final [.] after the second FIN.
assert_capture_teardown() { # capture client-port server-port first-closer
    local joined="$1.joined" c="$HOST4.$2" s="$LWIP4.$3"
    tcpdump_join "$1" >"$joined"
    local fin_c fin_s
    fin_c=$(tcp_segments "$joined" "$c" "$s" "F." | head -n1)
    fin_s=$(tcp_segments "$joined" "$s" "$c" "F." | head -n1)
    [ -n "$fin_c" ] || fail "capture: no [F.] from the host ($c)"
    [ -n "$fin_s" ] || fail "capture: no [F.] from lwIP ($s)"
    local n_c=${fin_c%%:*} n_s=${fin_s%%:*}
    case "$4" in
    client) [ "$n_c" -lt "$n_s" ] || fail "capture: expected the host to send the first FIN" ;;
    server) [ "$n_s" -lt "$n_c" ] || fail "capture: expected lwIP to send the first FIN" ;;
    esac
    local last=$((n_c > n_s ? n_c : n_s)) final
    final=$( { tcp_segments "$joined" "$c" "$s" "."; tcp_segments "$joined" "$s" "$c" "."; } |
        awk -F: -v l="$last" '$1 > l' | head -n1)
    [ -n "$final" ] || fail "capture: no final [.] after the second FIN"
}
