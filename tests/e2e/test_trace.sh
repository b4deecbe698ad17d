#!/usr/bin/env bash
# --trace: one "link: rx" / "link: tx" line per frame, in causal order with
# the state log (the segment, the change it caused, the reply). TCP lines
# carry relative seq/ack, scaled windows, the options and the time since the
# connection's first segment; --absolute gives raw numbers. Without --trace
# there are none.
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

in="link: rx [0-9]+B t\+[0-9]+\.[0-9]{6} $HOST4\.$PORT > $LWIP4\.7: Flags"
out="link: tx [0-9]+B t\+[0-9]+\.[0-9]{6} $LWIP4\.7 > $HOST4\.$PORT: Flags"
state="tcp-state: $LWIP4:7 $HOST4:$PORT"
assert_log_order "($HOST4\.$PORT|$HOST4:$PORT)" \
    "$in \[S\], seq 0, win [0-9]+, options \[mss 1460,sackOK,TS val [0-9]+ ecr 0,nop,wscale [0-9]+\], length 0$" \
    "$state LISTEN -> SYN_RCVD via rx \[S\]" \
    "$out \[S\.\], seq 0, ack 1, win 65535, options \[mss 1460,nop,nop,TS val [0-9]+ ecr [0-9]+,nop,wscale [0-9]+,nop,nop,sackOK\], length 0$" \
    "$in \[\.\], ack 1, win [0-9]{5,}, options \[nop,nop,TS val [0-9]+ ecr [0-9]+\], length 0$" \
    "$state SYN_RCVD -> ESTABLISHED via rx \[\.\]" \
    "$in \[P\.\], seq 1:8, ack 1, win [0-9]+, .*length 7$" \
    "$out \[P\.\], seq 1:8, ack (1|8|9), win [0-9]{6}, .*length 7$" \
    "$state CLOSE_WAIT -> LAST_ACK via app" \
    "$out \[F\.\], seq 8, ack 9, " \
    "$in \[\.\], ack 9, " \
    "$state LAST_ACK -> CLOSED via rx \[\.\]"
assert_log "link: rx [0-9]+B t\+0\.000000 $HOST4\.$PORT > $LWIP4\.7: Flags \[S\]" "the SYN is at t+0"
rx=$(grep -c 'INFO link: rx ' "$LWIP_LOG")
tx=$(grep -c 'INFO link: tx ' "$LWIP_LOG")
assert_log "stats: link rx=$rx tx=$tx " "one trace line per frame counted in the stats"

# --absolute: tcpdump -S numbers, so the SYN's seq is the ISN, not 0.
lwip_start --trace --absolute
echo_one_line absolute
lwip_stop
syn=$(grep -E "link: rx [0-9]+B t\+[0-9.]+ $HOST4\.$PORT > $LWIP4\.7: Flags \[S\]" "$LWIP_LOG") ||
    fail "no SYN line with --absolute"
isn=$(printf '%s\n' "$syn" | sed -E 's/.*seq ([0-9]+),.*/\1/')
[ "$isn" != 0 ] || fail "--absolute still shows the SYN's seq as 0"
assert_log "link: rx [0-9]+B t\+[0-9.]+ $HOST4\.$PORT > $LWIP4\.7: Flags \[P\.\], seq $(((isn + 1) & 0xffffffff)):$(((isn + 10) & 0xffffffff))," \
    "--absolute data seq is the ISN + 1"

# SIGUSR1: the statistics and a tcp-conn line per open connection, and lwip-tap goes on.
lwip_start
ns_bg bash -c 'exec 3<>"/dev/tcp/$1/7" && printf "four\n" >&3 && read -r -t 5 line <&3 &&
    echo "echo:$line" && sleep 5' client "$LWIP4" >"$E2E_WORK/client.txt" 2>&1
wait_for_line "$E2E_WORK/client.txt" '^echo:four$' 10 || fail "the echo client got no answer"
PORT=$(connection_port echo)
kill -USR1 "$LWIP_PID"
wait_for_line "$LWIP_LOG" "tcp-conn: $LWIP4:7 $HOST4:$PORT ESTABLISHED: sent [0-9]+ segments, 5 bytes, 0 retransmissions; received [0-9]+ segments, 5 bytes" 5 ||
    fail "SIGUSR1 printed no tcp-conn line for the open connection"
assert_log "stats: tcp rx=[1-9]" "SIGUSR1 prints the statistics"
assert_lwip_alive
assert_file_lacks "$LWIP_LOG" "shutting down" "SIGUSR1 does not stop lwip-tap"
lwip_stop

# And the same without --trace: silence.
lwip_start
ns_exec ping -c 1 -W 2 "$LWIP4" >/dev/null 2>&1 || fail "ping failed (no --trace)"
lwip_stop
assert_file_lacks "$LWIP_LOG" 'INFO link: (rx|tx) ' "trace lines without --trace"
e2e_pass
