#!/usr/bin/env bash
# A server that accepts but never answers: the client gives up after
# --timeout seconds of silence, says so, and exits 1.
source "$(dirname "$0")/lib.sh"

start_server
# Stopped, it still completes handshakes (the kernel does) but never replies.
kill -STOP "$SERVER_PID"
start=$(date +%s%N)
run timeout 20 "$CLIENT" --timeout 0.5 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\nbye\n')
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_status 1 "client"
expect_file "$WORK/err" "tcp-client: no reply from 127.0.0.1 port $SERVER_PORT within 0.5 s"$'\n' \
    "client stderr"
expect_file "$WORK/out" "" "client stdout"
((elapsed_ms >= 450 && elapsed_ms < 5000)) || fail "gave up after $elapsed_ms ms, expected ~500"
kill -CONT "$SERVER_PID"
