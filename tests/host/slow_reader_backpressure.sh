#!/usr/bin/env bash
# A peer that sends without ever reading replies is throttled, not buffered
# without bound, and does not hold up other clients.
source "$(dirname "$0")/lib.sh"

start_server
exec {slow}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
# 64 MiB is far more than the server's 1 MiB bound plus what the kernel
# buffers on both sockets can absorb, so the writer must block.
head -c $((64 << 20)) /dev/zero >&"$slow" &
writer=$!
PIDS+=("$writer")
sleep 1
kill -0 "$writer" 2>/dev/null || fail "the server read 64 MiB from a peer that reads nothing"

run "$CLIENT" --timeout 5 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\nbye\n')
expect_status 0 "client next to a stalled peer"
expect_file "$WORK/out" $'0hello\n' "client output"

rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
((rss_kib < 48 * 1024)) || fail "server holds ${rss_kib} KiB"
kill -0 "$writer" 2>/dev/null || fail "writer finished: server stopped throttling"
