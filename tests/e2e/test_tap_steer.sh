#!/usr/bin/env bash
# Where the host does the work for the frames lwip-tap writes to its tap
# (port/link/include/lwiptap/tap_steer.h). On a tap lwip-tap creates, that
# work is steered (RPS on the tap's receive queue) to the CPUs lwip-tap may use
# but the one it stays on, and the log says so; with --no-steer, and on a tap
# lwip-tap did not create, nothing is changed. Needs 2 CPUs or more.
#
# Usage: test_tap_steer.sh LWIP_TAP
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip taskset
e2e_require_lwiptap
cpus=$(taskset -pc $$ | sed 's/.*: //')
[ "$(nproc)" -ge 2 ] || skip "one CPU only ($cpus): there is nowhere to steer to"
ns_create notap

# A CPU mask without sysfs's padding (32-bit groups, commas): hex, or 0.
plain_mask() { python3 -c 'import sys; print(format(int(sys.argv[1].replace(",", ""), 16), "x"))' "$1"; }
rps() { plain_mask "$(ns_exec cat "/sys/class/net/$1/queues/rx-0/rps_cpus")"; }
all_mask=$(python3 -c 'import os; print(format(sum(1 << c for c in os.sched_getaffinity(0)), "x"))')

start_on_new_tap() { # TAP OPTIONS...
    local tap=$1
    shift
    : >"$LWIP_LOG"
    ns_bg "$LWIPTAP" --tap "$tap" --ip "$LWIP4/24" "$@" </dev/null 2>"$LWIP_LOG"
    LWIP_PID=$BG_PID
    wait_for_line "$LWIP_LOG" 'lwip-tap: up on' 10 || fail "lwip-tap on $tap did not come up"
}
LWIP_LOG="$E2E_WORK/lwip-tap.log"

start_on_new_tap tap0
line=$(grep -E "INFO lwip-tap: the host's work for tap0's frames goes to the other [0-9]+ CPU\(s\) \(rps_cpus [0-9a-f,]+\); lwip-tap stays on CPU [0-9]+$" "$LWIP_LOG") ||
    fail "no log line about where the host's work goes: $(grep -i 'cpu' "$LWIP_LOG")"
own=$(sed -nE 's/.*stays on CPU ([0-9]+)$/\1/p' <<<"$line")
said=$(sed -nE 's/.*\(rps_cpus ([0-9a-f,]+)\).*/\1/p' <<<"$line")
assert_eq "$own" "$(taskset -pc "$LWIP_PID" | sed 's/.*: //')" "the CPUs lwip-tap may run on"
expected=$(python3 -c "print(format(int('$all_mask', 16) & ~(1 << $own), 'x'))")
assert_eq "$expected" "$(rps tap0)" "rps_cpus of tap0: every CPU but lwip-tap's"
assert_eq "$expected" "$(plain_mask "$said")" "the mask the log gives"
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"

start_on_new_tap tap1 --no-steer
assert_eq 0 "$(rps tap1)" "rps_cpus of a tap with --no-steer"
assert_eq "$cpus" "$(taskset -pc "$LWIP_PID" | sed 's/.*: //')" "lwip-tap's CPUs with --no-steer"
assert_file_lacks "$LWIP_LOG" "rps_cpus" "the log with --no-steer"
lwip_stop

ip -n "$NS" tuntap add dev tap2 mode tap
start_on_new_tap tap2
assert_eq 0 "$(rps tap2)" "rps_cpus of a tap lwip-tap did not create"
assert_eq "$cpus" "$(taskset -pc "$LWIP_PID" | sed 's/.*: //')" "lwip-tap's CPUs on a tap it did not create"
lwip_stop
e2e_pass
