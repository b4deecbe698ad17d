#!/usr/bin/env bash
# --iperf: lwIP's own iperf2 server (lwiperf) on port 5001 answers a stock
# iperf client over IPv4 and IPv6, and logs each test with its figures. Off
# by default: without --iperf the port is closed.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip iperf nc
e2e_require_lwiptap
ns_create

lwip_start
if ns_exec nc -z -w 2 "$LWIP4" 5001 2>/dev/null; then
    fail "port 5001 answered without --iperf"
fi
lwip_stop

: >"$E2E_WORK/lwip-tap.log"
lwip_start --iperf
assert_log "iperf: lwiperf \(iperf2 server\) listening on port 5001" "lwiperf start line"
for host in "$LWIP4" "$LWIP6"; do
    v6=()
    [ "$host" = "$LWIP4" ] || v6=(-V)
    timeout 30 ip netns exec "$NS" iperf "${v6[@]}" -c "$host" -t 2 -f m >"$E2E_WORK/iperf.out" 2>&1 ||
        fail "iperf -c $host: $(tail -n 5 "$E2E_WORK/iperf.out")"
    rate=$(grep -Eo '[0-9.]+ Mbits/sec' "$E2E_WORK/iperf.out" | tail -n1)
    [ -n "$rate" ] || fail "iperf -c $host printed no rate: $(cat "$E2E_WORK/iperf.out")"
    say "iperf -c $host: $rate"
done
for _ in $(seq 1 50); do
    [ "$(grep -c 'iperf: .* done: ' "$LWIP_LOG" || true)" -ge 2 ] && break
    sleep 0.1
done
assert_log "iperf: $HOST4:[0-9]+ done: [1-9][0-9]* bytes in [0-9]+ ms, [1-9][0-9]* kbit/s" "lwiperf's IPv4 report"
assert_log "iperf: \[$HOST6\]:[0-9]+ done: [1-9][0-9]* bytes" "lwiperf's IPv6 report"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
