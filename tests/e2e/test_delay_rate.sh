#!/usr/bin/env bash
# --delay and --rate hold frames in their link stages, released by the event
# loop (a timerfd), never by sleeping: ping's round trip through --delay 40
# each way is at least 80 ms while lwIP keeps answering, and 256 KiB through
# --tx-rate 2M takes at least the 1.05 s the rate allows, echoed intact. Only
# lower bounds are asserted: a slow machine makes them longer, never shorter.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip ping nc
e2e_require_lwiptap
ns_create
lwip_start --delay 40 --tx-rate 2M
ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev "$TAP" nud permanent
ns_exec ping -c 3 -i 0.2 -W 3 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || fail "ping through --delay 40 failed"
min=$(sed -nE 's|.* = ([0-9.]+)/.*|\1|p' "$E2E_WORK/ping.txt")
[ -n "$min" ] || fail "no round-trip times in ping's output"
awk -v m="$min" 'BEGIN { exit !(m >= 80) }' || fail "ping's fastest round trip ($min ms) is under 2 x 40 ms"

random_file "$E2E_WORK/in.bin" $((256 * 1024))
start=$(date +%s%N)
timeout 60 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$E2E_WORK/in.bin" >"$E2E_WORK/out.bin" || fail "nc failed"
took_ms=$((($(date +%s%N) - start) / 1000000))
assert_same_file "$E2E_WORK/in.bin" "$E2E_WORK/out.bin" "256 KiB echoed through --tx-rate 2M"
# 262144 bytes of payload alone are 1049 ms at 2 Mbit/s.
[ "$took_ms" -ge 1049 ] || fail "256 KiB took $took_ms ms: faster than --tx-rate 2M allows"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
delayed=$(sed -nE 's/.*stats: fault tx .*delayed=([0-9]+).*/\1/p' "$LWIP_LOG")
[ "${delayed:-0}" -ge 100 ] || fail "the shutdown summary counts ${delayed:-0} delayed output frames"
say "ping through --delay 40: $min ms at best; 256 KiB through --tx-rate 2M: $took_ms ms"
e2e_pass
