#!/usr/bin/env bash
# --drop 20 --duplicate 5 --reorder 5 --seed 1, both ways: an echo still comes
# back byte-identical. Every fault is a line of the timeline, the shutdown
# counters match those lines, the wire pcap holds no dropped frame, and the
# connection's tcp-conn line counts lwIP's retransmissions.
#
# Usage: test_faults.sh LWIP_TAP TCP_CLIENT [KIB] [EXTRA lwip-tap options...]
# (KIB defaults to 64. lwIP recovers from loss on its 500 ms timer, so a
# lossy MiB takes minutes: 261 s in our run; more than 1 MiB runs only with
# LWIPTAP_E2E_SLOW=1).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
kib=${3:-64}
shift 3 2>/dev/null || shift $#
limit=$((kib > 64 ? 1500 : 540))
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
if [ "$kib" -gt 1024 ] && [ "${LWIPTAP_E2E_SLOW:-0}" != 1 ]; then
    skip "a $kib KiB transfer through 20% loss takes minutes; set LWIPTAP_E2E_SLOW=1 to run it"
fi
ns_create
lwip_start --drop 20 --duplicate 5 --reorder 5 --seed 1 --trace --pcap "$E2E_WORK/wire.pcap" "$@"
ip -n "$NS" neigh replace "$LWIP4" lladdr 02:00:00:00:00:02 dev "$TAP" nud permanent
random_file "$E2E_WORK/in.bin" $((kib * 1024))
rc=0
start=$(date +%s)
timeout "$limit" ip netns exec "$NS" nc -N "$LWIP4" 7 <"$E2E_WORK/in.bin" >"$E2E_WORK/out.bin" \
    2>"$E2E_WORK/nc.log" || rc=$?
took=$(($(date +%s) - start))
assert_eq 0 "$rc" "nc exit code (124: it did not finish within $limit s)"
assert_same_file "$E2E_WORK/in.bin" "$E2E_WORK/out.bin" "$kib KiB echoed through drops, duplicates and reordering"
PORT=$(connection_port echo)
wait_for_line "$LWIP_LOG" " $HOST4:$PORT LAST_ACK -> CLOSED" 30 || true
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"

for dir in rx tx; do
    for what in dropped:DROPPED duplicated:DUPLICATED reordered:REORDERED; do
        name=${what%%:*} word=${what##*:}
        lines=$(grep -cE "INFO fault: $dir [0-9]+B .* $word by --" "$LWIP_LOG" || true)
        counted=$(sed -nE "s/.*stats: fault $dir .*\\b$name=([0-9]+).*/\\1/p" "$LWIP_LOG")
        assert_eq "$lines" "${counted:-0}" "$dir $name: timeline lines = shutdown counter"
        [ "$lines" -ge 1 ] || fail "no $dir frame was $name in $kib KiB"
    done
done
# A dropped output frame is said once, by the fault stage, never as sent.
dropped_tx=$(grep -cE "INFO fault: tx .* DROPPED by --drop" "$LWIP_LOG")
# The wire holds only frames that crossed it: every frame lwIP's timeline
# calls sent, and a duplicate's copy, and nothing that was dropped.
sent=$(grep -cE "INFO link: tx " "$LWIP_LOG")
dups_tx=$(grep -cE "INFO fault: tx .* DUPLICATED by --" "$LWIP_LOG")
from_lwip="ether src 02:00:00:00:00:02"
wire_out=$(tcpdump -r "$E2E_WORK/wire.pcap" -n "$from_lwip" 2>/dev/null | wc -l)
assert_eq "$((sent + dups_tx))" "$wire_out" "frames on the wire from lwIP = sent + duplicated ($dropped_tx dropped, not there)"
# lwIP's retransmissions, counted by the timeline, appear in the connection's
# summary: those sent, and those a fault dropped (said once, by the fault line).
rexmit="$LWIP4\.7 > $HOST4\.$PORT: .*\((fast )?retransmission"
rexmit_lines=$(($(grep -cE "INFO link: tx [0-9]+B t\+[0-9.]+ $rexmit" "$LWIP_LOG" || true) +
    $(grep -E "INFO fault: tx [0-9]+B t\+[0-9.]+ $rexmit" "$LWIP_LOG" | grep -c "DROPPED by --drop" || true)))
[ "$rexmit_lines" -ge 1 ] || fail "lwIP retransmitted nothing through 20% loss"
assert_log "tcp-conn: $LWIP4:7 $HOST4:$PORT .*sent [0-9]+ segments, $((kib * 1024)) bytes, $rexmit_lines retransmissions?;" \
    "the connection's summary counts lwIP's retransmissions"
say "$kib KiB echoed intact in $took s; $dropped_tx output frames dropped, $rexmit_lines retransmissions"
e2e_pass
