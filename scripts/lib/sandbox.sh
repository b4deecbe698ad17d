# shellcheck shell=bash
# Process and network-namespace bookkeeping shared by scripts/demo.sh,
# scripts/bench.sh and tests/e2e/lib.sh. Sourced, never executed.
#
# It sets no shell options and installs no traps: each caller keeps its own
# traps, exit codes and work-directory policy, and calls sandbox_teardown from
# its own cleanup. Every helper behaves the same with or without set -e, set -u
# and an ERR trap, because the three callers differ in all of them.

SANDBOX_PIDS=()       # background processes started here, stopped at teardown
SANDBOX_NAMESPACES=() # network namespaces created here, deleted at teardown

# Seconds a tracked process gets to exit after SIGTERM before SIGKILL: lwip-tap
# closes its connections and prints its statistics on SIGTERM, and that should
# not be cut short.
SANDBOX_STOP_WAIT=3

# Creates network namespace $1 and has it deleted at teardown. Fails without
# tracking it if it cannot be created: a namespace of that name that already
# exists belongs to someone else and must survive our teardown.
sandbox_ns_add() {
    ip netns add "$1" || return
    SANDBOX_NAMESPACES+=("$1")
}

# sandbox_tap_ns NS HOST4 HOST6: namespace NS (deleted at teardown) with tap0
# up and the host side's addresses HOST4/24 and HOST6/64 on it.
sandbox_tap_ns() {
    sandbox_ns_add "$1" || return
    ip -n "$1" link set lo up &&
        ip -n "$1" tuntap add dev tap0 mode tap &&
        ip -n "$1" addr add "$2/24" dev tap0 &&
        ip -n "$1" addr add "$3/64" dev tap0 nodad &&
        ip -n "$1" link set tap0 up
}

# Has process $1, started by the caller, stopped at teardown.
sandbox_track() {
    SANDBOX_PIDS+=("$1")
}

# sandbox_bg NS CMD...: runs CMD in namespace NS in the background, tracked for
# teardown. Sets BG_PID.
sandbox_bg() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@" &
    BG_PID=$!
    sandbox_track "$BG_PID"
}

# ns_bg CMD...: sandbox_bg in the caller's namespace, $NS.
ns_bg() {
    sandbox_bg "$NS" "$@"
}

# Waits up to $2 seconds for process $1; sets WAIT_RC (124 on timeout).
# shellcheck disable=SC2034 # WAIT_RC is the caller's to read
wait_pid() {
    local pid=$1 limit=$2 t=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$t" -ge $((limit * 10)) ]; then
            WAIT_RC=124
            return 0
        fi
        sleep 0.1
        t=$((t + 1))
    done
    WAIT_RC=0
    wait "$pid" || WAIT_RC=$?
}

# Waits up to $3 seconds for a line matching ERE $2 in file $1.
wait_for_line() {
    local file=$1 re=$2 limit=$3 t=0
    until grep -Eq -- "$re" "$file" 2>/dev/null; do
        [ "$t" -lt $((limit * 10)) ] || return 1
        sleep 0.1
        t=$((t + 1))
    done
}

# Stops every tracked process and deletes every tracked namespace. Signals go
# to our own PIDs only, never to a process name, which could hit processes of
# other runs or users.
sandbox_teardown() {
    local pid ns t
    # SIGTERM to all first, so that they shut down in parallel.
    for pid in "${SANDBOX_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${SANDBOX_PIDS[@]}"; do
        t=0
        while kill -0 "$pid" 2>/dev/null && [ "$t" -lt $((SANDBOX_STOP_WAIT * 10)) ]; do
            sleep 0.1
            t=$((t + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # Processes first: a deleted namespace lives on, out of sight, for as long
    # as anything still runs in it.
    for ns in "${SANDBOX_NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
}
