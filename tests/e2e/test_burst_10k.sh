#!/usr/bin/env bash
# 10,000 echo connections opened at once: bench-client's burst mode issues
# every connect before it looks at any, then each connection echoes its own
# 64 KiB (every byte checked) within 20 s. Default options, TCP state log on.
# lwip-tap creates tap0 itself, as a user's first run does, so the queue it
# gives the tap (tap_queue.h) is part of what is tested. Every connection is
# served (0 failures), lwip-tap's peak RSS stays within 64 MiB and the host
# dropped nothing at the tap.
#
# Usage: test_burst_10k.sh LWIP_TAP TCP_CLIENT BENCH_CLIENT [CONNS]
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
BENCH_CLIENT=${3:-}
CONNS=${4:-10000}
RSS_LIMIT_KIB=$((${LWIPTAP_SCALE_RSS_MIB:-64} * 1024))
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
[ -x "$BENCH_CLIENT" ] || fail "bench-client not found: '$BENCH_CLIENT'"
ns_create notap
lwip_start
ip -n "$NS" addr add "$HOST4/24" dev "$TAP"
ip -n "$NS" link set "$TAP" up
qlen=$(ip -n "$NS" link show "$TAP" | sed -nE 's/.* qlen ([0-9]+).*/\1/p')
assert_eq 16384 "$qlen" "txqueuelen of the tap lwip-tap created"
# The first frames after link-up resolve ARP; one echo proves the path.
for _ in $(seq 1 50); do
    ns_exec "$BENCH_CLIENT" --host "$LWIP4" --port 7 --timeout 2 rate --count 1 >/dev/null 2>&1 && break
    sleep 0.1
done

# The warm-up's own connection is in the state log too: count from here.
closed_before=$(grep -Ec "$HOST4:[0-9]+ LAST_ACK -> CLOSED" "$LWIP_LOG" || true)
started=$(date +%s)
rc=0
ns_exec "$BENCH_CLIENT" --host "$LWIP4" --port 7 burst --conns "$CONNS" --bytes 65536 --conn-timeout 20 \
    >"$E2E_WORK/client.out" 2>"$E2E_WORK/client.err" || rc=$?
say "$CONNS connections at once, $(($(date +%s) - started)) s: $(cat "$E2E_WORK/client.out")"
grep -q "mode=burst conns=$CONNS " "$E2E_WORK/client.out" ||
    fail "bench-client printed no result (exit $rc): $(head -c 400 "$E2E_WORK/client.err")"
dropped=$(ns_exec cat "/sys/class/net/$TAP/statistics/tx_dropped")
say "frames the host dropped at $TAP: $dropped"
assert_eq 0 "$(sed -nE 's/.* failed=([0-9]+) .*/\1/p' "$E2E_WORK/client.out")" "failed connections"
assert_eq 0 "$rc" "bench-client exit status"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LWIP_PID/status")
say "lwip-tap peak RSS: $hwm KiB (limit $RSS_LIMIT_KIB KiB)"
[ "$hwm" -le "$RSS_LIMIT_KIB" ] || fail "lwip-tap's peak RSS was $hwm KiB, more than $RSS_LIMIT_KIB KiB"
n=$(grep -Ec "echo: $HOST4:[0-9]+ closed after 65536 bytes in, 65536 out" "$LWIP_LOG" || true)
assert_eq "$CONNS" "$n" "connections the echo service logged as complete"
n=$(grep -Ec "$HOST4:[0-9]+ LAST_ACK -> CLOSED" "$LWIP_LOG" || true)
assert_eq "$CONNS" "$((n - closed_before))" "connections the state log saw closed"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log "stats: tap $TAP txqueuelen=16384 host_dropped=$dropped" "the host's drops in the summary"
e2e_pass
