#!/usr/bin/env bash
# The default dual-stack listener serves ::1 and 127.0.0.1; --bind ::1 serves
# IPv6 only.
source "$(dirname "$0")/lib.sh"

grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null || skip "no ::1 on this host"

start_server
expect_grep '^tcp-server: listening on :: port [0-9]+$' "$SERVER_LOG" "dual-stack listener"
run "$CLIENT" ::1 "$SERVER_PORT" < <(printf 'hello\nbye\n')
expect_status 0 "client over ::1"
expect_file "$WORK/out" $'0hello\n' "client output over ::1"
wait_for "server to log ::1" grep -q '^tcp-server: connection from ::1 port' "$SERVER_LOG"
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\nbye\n')
expect_status 0 "client over IPv4 to the dual-stack listener"
expect_file "$WORK/out" $'0hello\n' "client output over IPv4"
kill "$SERVER_PID"
wait "$SERVER_PID" || fail "server exit status $? after SIGTERM"

start_server --bind ::1
expect_grep '^tcp-server: listening on ::1 port [0-9]+$' "$SERVER_LOG" "::1 listener"
run "$CLIENT" ::1 "$SERVER_PORT" < <(printf 'v6\nbye\n')
expect_status 0 "client to --bind ::1"
expect_file "$WORK/out" $'0v6\n' "client output"
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" </dev/null
expect_status 1 "IPv4 client to an IPv6-only listener"
