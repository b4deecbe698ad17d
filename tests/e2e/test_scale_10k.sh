#!/usr/bin/env bash
# 10,000 echo connections at once, each echoing its own 64 KiB (bench-client
# checks every byte), with the TCP state log on: lwip-tap's peak RSS stays
# within 64 MiB, the log has the whole life of a sample of the connections,
# and every pool is back at its baseline. Then, with --max-conns lowered, a
# connection beyond the limit gets a RST and the log says why.
#
# Usage: test_scale_10k.sh LWIP_TAP TCP_CLIENT BENCH_CLIENT [CONNS]
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
BENCH_CLIENT=${3:-}
CONNS=${4:-10000}
# The sanitizer build's shadow memory counts in the RSS too (CMake raises it there).
RSS_LIMIT_KIB=$((${LWIPTAP_SCALE_RSS_MIB:-64} * 1024))
e2e_require_root
e2e_require_cmds ip nc
e2e_require_lwiptap
[ -x "$BENCH_CLIENT" ] || fail "bench-client not found: '$BENCH_CLIENT'"
ns_create
lwip_start

started=$(date +%s)
ns_exec "$BENCH_CLIENT" --host "$LWIP4" --port 7 --timeout 400 stream --conns "$CONNS" --bytes 65536 \
    >"$E2E_WORK/client.out" 2>"$E2E_WORK/client.err" ||
    fail "bench-client: $(head -c 400 "$E2E_WORK/client.err")"
say "$CONNS connections echoed 64 KiB each in $(($(date +%s) - started)) s: $(cat "$E2E_WORK/client.out")"
grep -q 'verified=yes' "$E2E_WORK/client.out" || fail "bench-client did not verify: $(cat "$E2E_WORK/client.out")"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LWIP_PID/status")
say "lwip-tap peak RSS: $hwm KiB (limit $RSS_LIMIT_KIB KiB)"
[ "$hwm" -le "$RSS_LIMIT_KIB" ] || fail "lwip-tap's peak RSS was $hwm KiB, more than $RSS_LIMIT_KIB KiB"

n=$(grep -Ec "echo: $HOST4:[0-9]+ closed after 65536 bytes in, 65536 out" "$LWIP_LOG" || true)
assert_eq "$CONNS" "$n" "connections the echo service logged as complete"
# Every 997th connection, so that early, middle and late ones are all checked.
grep -Eo "echo: $HOST4:[0-9]+ connected" "$LWIP_LOG" | awk 'NR % 997 == 1 { print $2 }' >"$E2E_WORK/sample"
cookies=0
while read -r remote; do
    # A connection that came in with a SYN cookie had no state before its
    # handshake's ACK (docs/syn-cookies.md): LISTEN -> ESTABLISHED at once.
    if grep -q " $remote LISTEN -> ESTABLISHED via rx" "$LWIP_LOG"; then
        cookies=$((cookies + 1))
        assert_state_sequence "$remote" "LISTEN -> ESTABLISHED" \
            "ESTABLISHED -> CLOSE_WAIT" "CLOSE_WAIT -> LAST_ACK" "LAST_ACK -> CLOSED"
    else
        assert_state_sequence "$remote" "LISTEN -> SYN_RCVD" "SYN_RCVD -> ESTABLISHED" \
            "ESTABLISHED -> CLOSE_WAIT" "CLOSE_WAIT -> LAST_ACK" "LAST_ACK -> CLOSED"
    fi
done <"$E2E_WORK/sample"
# No connection skips SYN_RCVD but those a cookie let in.
skipped=$(grep -Ec "LISTEN -> ESTABLISHED via rx" "$LWIP_LOG" || true)
say "$cookies of the sampled connections came in with a SYN cookie, $skipped of all"
say "state log complete for $(wc -l <"$E2E_WORK/sample") sampled connections"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log "stats: echo connections=$CONNS bytes_in=$((CONNS * 65536)) bytes_out=$((CONNS * 65536))" "echo stats"
assert_log "stats: memory used=[0-9]+ KiB" "memory line"
accepted=$(sed -nE 's/.*stats: guard syn-cookies sent=[0-9]+ accepted=([0-9]+) .*/\1/p' "$LWIP_LOG" | tail -n1)
assert_eq "$skipped" "${accepted:-0}" "connections that went LISTEN -> ESTABLISHED, against the cookies accepted"
used=$(sed -nE 's/.*stats: memory used=([0-9]+) KiB.*/\1/p' "$LWIP_LOG" | tail -n1)
# lwIP's cyclic timers and the listeners, nothing of any connection.
[ "$used" -le 4 ] || fail "lwIP still holds $used KiB after every connection closed"

# Beyond --max-conns: 20 idle connections fill it, the 21st is refused.
LIMIT=20
: >"$E2E_WORK/lwip-tap.log"
lwip_start --max-conns "$LIMIT"
for i in $(seq 1 "$LIMIT"); do
    sleep 30 | ns_exec nc "$LWIP4" 7 >/dev/null 2>&1 &
    sandbox_track "$!"
done
for _ in $(seq 1 100); do
    [ "$(grep -c 'echo: .* connected' "$LWIP_LOG" || true)" -ge "$LIMIT" ] && break
    sleep 0.1
done
assert_eq "$LIMIT" "$(grep -c 'echo: .* connected' "$LWIP_LOG" || true)" "idle connections accepted"
if ns_exec nc -w 3 "$LWIP4" 7 </dev/null >"$E2E_WORK/refused.out" 2>&1; then
    fail "connection $((LIMIT + 1)) was accepted beyond --max-conns $LIMIT"
fi
assert_log "guard: tcp_syn_refused_at_capacity: SYN from $HOST4:[0-9]+ to port 7 refused with RST: all $LIMIT connections in use" \
    "the refusal in the log"
assert_lwip_alive
lwip_stop
e2e_pass
