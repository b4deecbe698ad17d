#!/usr/bin/env bash
# --drop 20 --seed 7 loses a fifth of the frames each way, yet an echo comes
# back byte-identical: TCP retransmits. Every drop is logged and counted at
# shutdown, and the two captures differ by exactly the drops: --pcap (the
# wire) lacks the dropped output frames, --pcap-stack (lwIP's view) the
# dropped input frames.
#
# Usage: test_drop.sh LWIP_TAP TCP_CLIENT [KIB]   (KIB defaults to 32)
#
# Recovery is slow: lwIP 2.1 retransmits on its 500 ms slow timer (RTO never
# below 1.5 s, doubled per retry; stalls of 10-19 s seen) and ignores the
# peer's SACK blocks, so the time taken varies a lot from run to run: 32 KiB
# took 5-40 s, 256 KiB 64-155 s and once more than 280 s. Transfers over
# 64 KiB therefore run only with LWIPTAP_E2E_SLOW=1.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
kib=${3:-32}
limit=$((kib > 64 ? 540 : 150))
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
if [ "$kib" -gt 64 ] && [ "${LWIPTAP_E2E_SLOW:-0}" != 1 ]; then
    skip "a $kib KiB transfer at 20% loss takes 1-2 minutes; set LWIPTAP_E2E_SLOW=1 to run it"
fi
ns_create
lwip_start --drop 20 --seed 7 --pcap "$E2E_WORK/wire.pcap" --pcap-stack "$E2E_WORK/stack.pcap"

# The kernel gives up on ARP after three lost requests or replies ("No route
# to host"): it knows lwIP's MAC beforehand, so that only TCP has to recover.
ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev "$TAP" nud permanent
random_file "$E2E_WORK/in.bin" $((kib * 1024))
rc=0
start=$(date +%s)
timeout "$limit" ip netns exec "$NS" nc -N "$LWIP4" 7 <"$E2E_WORK/in.bin" >"$E2E_WORK/out.bin" \
    2>"$E2E_WORK/nc.log" || rc=$?
took=$(($(date +%s) - start))
assert_eq 0 "$rc" "nc exit code (124: it did not finish within $limit s)"
assert_same_file "$E2E_WORK/in.bin" "$E2E_WORK/out.bin" "$kib KiB echoed through a lossy link"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
dropped_in=$(grep -c 'INFO fault: rx .* DROPPED by --drop' "$LWIP_LOG" || true)
dropped_out=$(grep -c 'INFO fault: tx .* DROPPED by --drop' "$LWIP_LOG" || true)
assert_log "stats: fault rx dropped=$dropped_in " "the shutdown summary counts every input drop"
assert_log "stats: fault tx dropped=$dropped_out " "the shutdown summary counts every output drop"
count() { # pcap direction-filter
    tcpdump -r "$1" -n "$2" 2>/dev/null | wc -l
}
# By MAC: lwIP also sends from fe80:: and :: (MLD, ND), and a drop may hit those.
from_lwip="ether src 02:00:00:00:00:02"
to_lwip="not ($from_lwip)"
wire_out=$(count "$E2E_WORK/wire.pcap" "$from_lwip")
stack_out=$(count "$E2E_WORK/stack.pcap" "$from_lwip")
wire_in=$(count "$E2E_WORK/wire.pcap" "$to_lwip")
stack_in=$(count "$E2E_WORK/stack.pcap" "$to_lwip")
assert_eq "$dropped_out" "$((stack_out - wire_out))" "frames lwIP sent that never reached the wire"
guard_dropped=$(sed -nE 's/.*stats: guard total=([0-9]+).*/\1/p' "$LWIP_LOG")
assert_eq "$dropped_in" "$((wire_in - stack_in - ${guard_dropped:-0}))" "frames on the wire that lwIP never saw"
say "$kib KiB echoed intact in $took s; the fault injector dropped $dropped_in frames in, $dropped_out out"
[ "$dropped_in" -ge 3 ] && [ "$dropped_out" -ge 3 ] ||
    fail "the fault injector hardly dropped anything ($dropped_in in, $dropped_out out)"
assert_log "stats: echo connections=1 bytes_in=$((kib * 1024)) bytes_out=$((kib * 1024))" "echo stats"
e2e_pass
