#!/usr/bin/env bash
# The tap's queue toward lwip-tap. With a queue of 10 frames and a burst of
# connections the host must drop frames at tap0: lwip-tap reads the host's
# counter (sysfs tx_dropped), logs a WARN that says what it means and how to
# fix it (at most one per 10 s), and shows the counter in stats (SIGUSR1, as
# the console's stats) and in the shutdown summary. A tap lwip-tap creates
# itself gets a queue of 16384 frames.
#
# Usage: test_tap_queue.sh LWIP_TAP TCP_CLIENT BENCH_CLIENT
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
BENCH_CLIENT=${3:-}
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
[ -x "$BENCH_CLIENT" ] || fail "bench-client not found: '$BENCH_CLIENT'"
ns_create
ip -n "$NS" link set "$TAP" txqueuelen 10
lwip_start --no-offload
sysfs_dropped() { ns_exec cat "/sys/class/net/$TAP/statistics/tx_dropped"; }
before=$(sysfs_dropped)
started=$(date +%s)
ns_exec "$BENCH_CLIENT" --host "$LWIP4" --port 7 burst --conns 300 --bytes 16384 --conn-timeout 5 \
    >"$E2E_WORK/client.out" 2>"$E2E_WORK/client.err" || true
say "300 connections at once through a 10-frame queue: $(cat "$E2E_WORK/client.out")"
# The timed-out connections' last frames are still on their way: wait until
# the counter stands still.
last=-1
for _ in $(seq 1 20); do
    now=$(sysfs_dropped)
    [ "$now" != "$last" ] || break
    last=$now
    sleep 1.5
done
dropped=$((last - before))
say "the host dropped $dropped frames at $TAP"
[ "$dropped" -gt 0 ] || fail "the host dropped nothing at a 10-frame queue: the test proves nothing"
# Failures are expected (a 10-frame queue): only the drops matter here.
# lwip-tap reads the counter once a second.
wait_for_line "$LWIP_LOG" "WARN lwip-tap: the host dropped [0-9]+ frames bound for lwip-tap at $TAP" 5 ||
    fail "no WARN about the host's drops at $TAP"
assert_log "WARN lwip-tap: the host dropped [0-9]+ frames bound for lwip-tap at $TAP \([0-9]+ since start\): its queue toward lwip-tap \(txqueuelen 10\) was full.*Fix: ip link set $TAP txqueuelen 40$" \
    "the WARN's meaning and fix"
elapsed=$(($(date +%s) - started))
warns=$(grep -c "WARN lwip-tap: the host dropped" "$LWIP_LOG" || true)
[ "$warns" -le $((elapsed / 10 + 1)) ] || fail "$warns WARNs about drops in $elapsed s: not one per 10 s"
warned=$(sed -nE 's/.*WARN lwip-tap: the host dropped ([0-9]+) frames.*/\1/p' "$LWIP_LOG" | awk '{ s += $1 } END { print s }')
[ "$warned" -le "$dropped" ] || fail "the WARNs count $warned drops, the host $dropped"
kill -USR1 "$LWIP_PID"
wait_for_line "$LWIP_LOG" "stats: tap $TAP txqueuelen=10 host_dropped=$dropped\$" 5 ||
    fail "stats do not show the host's $dropped drops: $(grep 'stats: tap' "$LWIP_LOG")"
assert_lwip_alive
final=$(($(sysfs_dropped) - before))
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
after=$(($(sysfs_dropped) - before))
# The shutdown's own FINs and resets may be dropped too: between the two reads.
summary=$(sed -nE "s/.*stats: tap $TAP txqueuelen=10 host_dropped=([0-9]+)\$/\1/p" "$LWIP_LOG" | tail -n1)
[ -n "$summary" ] || fail "no stats line for $TAP in the shutdown summary"
if [ "$summary" -lt "$final" ] || [ "$summary" -gt "$after" ]; then
    fail "the summary says $summary drops, the host $final before the stop and $after after it"
fi

# A tap lwip-tap creates gets room for a burst.
: >"$LWIP_LOG"
ns_bg "$LWIPTAP" --tap tapq0 --ip "$LWIP4/24" </dev/null 2>"$LWIP_LOG"
LWIP_PID=$BG_PID
wait_for_line "$LWIP_LOG" 'lwip-tap: up on' 10 || fail "lwip-tap on a new tap did not come up"
assert_eq 16384 "$(ip -n "$NS" link show tapq0 | sed -nE 's/.* qlen ([0-9]+).*/\1/p')" \
    "txqueuelen of a tap lwip-tap created"
lwip_stop
assert_log "stats: tap tapq0 txqueuelen=16384 host_dropped=0" "the new tap's line in the summary"
e2e_pass
