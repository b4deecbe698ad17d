#!/usr/bin/env bash
# --close-delay keeps a finished connection open for a while: the client's
# close (bye or FIN) is answered with the server's FIN only after the delay.
source "$(dirname "$0")/lib.sh"

start_server --close-delay 700
start=$(date +%s%N)
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\n')
expect_status 0 "client"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_file "$WORK/out" $'0hello\n' "client output"
((elapsed_ms >= 700)) || fail "the server closed after $elapsed_ms ms, before its 700 ms delay"
expect_grep 'closed .* after 1 reply: end of input$' "$SERVER_LOG" "server log"

run "$SERVER" --close-delay soon 0
expect_status 2 "server with a bad --close-delay"
expect_grep "invalid --close-delay 'soon'" "$WORK/err" "server stderr"
