#!/usr/bin/env bash
# --trace logs one "link: rx" / "link: tx" line per frame, in tcpdump-like
# notation; without --trace there are none.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip ping nc
e2e_require_lwiptap
ns_create
lwip_start --trace

ns_exec ping -c 1 -W 2 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || fail "ping failed"
echo_one_line traced
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"

assert_log "INFO link: rx [0-9]+B ARP, Request who-has $LWIP4 tell $HOST4" "trace: ARP request in"
assert_log "INFO link: tx [0-9]+B ARP, Reply $LWIP4 is-at 02:00:00:00:00:02" "trace: ARP reply out"
assert_log "INFO link: rx 98B $HOST4 > $LWIP4: ICMP echo request" "trace: ping in"
assert_log "INFO link: tx 98B $LWIP4 > $HOST4: ICMP echo reply" "trace: ping reply out"
assert_log "INFO link: rx [0-9]+B $HOST4\.$PORT > $LWIP4\.7: Flags \[S\]" "trace: SYN in"
assert_log "INFO link: tx [0-9]+B $LWIP4\.7 > $HOST4\.$PORT: Flags \[S\.\]" "trace: SYN-ACK out"
assert_log "INFO link: tx [0-9]+B $LWIP4\.7 > $HOST4\.$PORT: Flags \[P\.\].*length 7" "trace: echoed data out"
assert_log "INFO link: tx [0-9]+B $LWIP4\.7 > $HOST4\.$PORT: Flags \[F\.\]" "trace: FIN out"
rx=$(grep -c 'INFO link: rx ' "$LWIP_LOG")
tx=$(grep -c 'INFO link: tx ' "$LWIP_LOG")
assert_log "stats: link rx=$rx tx=$tx " "one trace line per frame counted in the stats"

# And the same without --trace: silence.
lwip_start
ns_exec ping -c 1 -W 2 "$LWIP4" >/dev/null 2>&1 || fail "ping failed (no --trace)"
lwip_stop
assert_file_lacks "$LWIP_LOG" 'INFO link: (rx|tx) ' "trace lines without --trace"
e2e_pass
