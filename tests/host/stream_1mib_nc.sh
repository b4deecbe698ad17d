#!/usr/bin/env bash
# 1 MiB streamed through the server comes back intact once the serial
# prefixes are taken out, and the prefixes count 0, 1, 2, ... .
source "$(dirname "$0")/lib.sh"

nc -h 2>&1 | grep -q OpenBSD || skip "needs OpenBSD netcat (for -N)"

letters 1048576 >"$WORK/in"
start_server
run timeout 30 nc -N 127.0.0.1 "$SERVER_PORT" <"$WORK/in"
expect_status 0 "nc"
tr -d 0-9 <"$WORK/out" | cmp -s - "$WORK/in" || fail "data changed on the way through"

grep -o '[0-9]\+' "$WORK/out" >"$WORK/serials"
count=$(wc -l <"$WORK/serials")
((count > 0)) || fail "no serial prefixes"
seq 0 $((count - 1)) | cmp -s - "$WORK/serials" || fail "serials are not 0..$((count - 1))"
digits=$(tr -d '\n' <"$WORK/serials" | wc -c)
(($(wc -c <"$WORK/out") == 1048576 + digits)) || fail "byte count off"
wait_for "server to log the close" \
    grep -q "after $count replies: end of input\$" "$SERVER_LOG"
