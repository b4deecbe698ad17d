#!/usr/bin/env bash
# Streams through lwip-tap with the tap's offloads on (the default) or off
# (--no-offload): one connection echoing 64 MiB and 50 connections at once
# echoing 64 KiB each, over IPv4 and IPv6, every byte checked by bench-client.
# With offloads on, the stats show super-frames both ways; off, none. A clean
# run needs no retransmission from the host's TCP.
#
# Usage: test_offload_stream.sh LWIP_TAP TCP_CLIENT BENCH_CLIENT on|off
# shellcheck source=tests/e2e/lib.sh
E2E_NAME="offload_stream_${4:-on}"
. "$(dirname "$0")/lib.sh"
BENCH_CLIENT=${3:-}
MODE=${4:-on}
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
[ -x "$BENCH_CLIENT" ] || fail "bench-client not found: '$BENCH_CLIENT'"
case $MODE in
on) opts=() ;;
off) opts=(--no-offload) ;;
*) fail "mode must be on or off, not '$MODE'" ;;
esac
ns_create
lwip_start "${opts[@]}"
assert_log "lwip-tap: up on $TAP: .* offload $MODE" "offload $MODE at start"

retrans() {
    # shellcheck disable=SC2016 # awk's fields
    ns_exec awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RetransSegs"] }' \
        /proc/net/snmp
}

run_client() { # HOST ARGS...
    local host=$1
    shift
    ns_exec "$BENCH_CLIENT" --host "$host" --port 7 --timeout 120 "$@" >"$E2E_WORK/client.out" \
        2>"$E2E_WORK/client.err" || fail "bench-client $* against $host: $(head -c 300 "$E2E_WORK/client.err")"
    grep -q 'verified=yes' "$E2E_WORK/client.out" || fail "bench-client did not verify: $(cat "$E2E_WORK/client.out")"
    say "$host $*: $(sed -E 's/.*seconds=([0-9.]+) mib_per_s=([0-9.]+).*/\1 s, \2 MiB\/s/' "$E2E_WORK/client.out")"
}

r0=$(retrans)
run_client "$LWIP4" stream --conns 1 --bytes $((64 << 20))
run_client "$LWIP6" stream --conns 1 --bytes $((64 << 20))
assert_eq 0 $(($(retrans) - r0)) "host TCP retransmissions during the 64 MiB streams"
run_client "$LWIP4" stream --conns 50 --bytes 65536
run_client "$LWIP6" stream --conns 50 --bytes 65536
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
total=$(((64 << 21) + 2 * 50 * 65536))
assert_log "stats: echo connections=102 bytes_in=$total bytes_out=$total" "echo stats"
line=$(grep -E 'stats: offload ' "$LWIP_LOG" | tail -n1)
rx_super=$(sed -nE 's/.*rx super-frames=([0-9]+).*/\1/p' <<<"$line")
tx_super=$(sed -nE 's/.*tx super-frames=([0-9]+).*/\1/p' <<<"$line")
say "$line"
if [ "$MODE" = on ]; then
    [ "$rx_super" -gt 0 ] && [ "$tx_super" -gt 0 ] || fail "offload on, yet no super-frames: $line"
else
    assert_eq "0 0" "$rx_super $tx_super" "super-frames with --no-offload"
fi
e2e_pass
