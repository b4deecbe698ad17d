#!/usr/bin/env bash
# One line longer than all the buffering between the two ends (socket buffers
# at their autotuning maximum in both directions, plus the server's 1 MiB
# queue): a client that does not read replies while still sending stalls.
source "$(dirname "$0")/lib.sh"

rmem_max=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_rmem)
wmem_max=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem)
size=$((2 * (rmem_max + wmem_max) + (2 << 20)))
{ letters "$size" | tr '\n' ' '; echo; } >"$WORK/line"
start_server
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(cat "$WORK/line"; echo bye)
expect_status 0 "client"
(($(wc -l <"$WORK/out") == 1)) || fail "expected the reply as one line"
tr -d 0-9 <"$WORK/out" | cmp -s - "$WORK/line" || fail "line changed on the way through"
grep -o '[0-9]\+' "$WORK/out" >"$WORK/serials"
count=$(wc -l <"$WORK/serials")
seq 0 $((count - 1)) | cmp -s - "$WORK/serials" || fail "serials are not 0..$((count - 1))"
