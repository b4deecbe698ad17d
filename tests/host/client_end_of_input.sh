#!/usr/bin/env bash
# End of input (Ctrl-D) closes with a FIN and sends nothing more, not even
# "bye"; a last line without newline is still sent exactly as read, and its
# reply printed on a line of its own.
source "$(dirname "$0")/lib.sh"

start_server
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\n')
expect_status 0 "client at end of input"
expect_file "$WORK/out" $'0hello\n' "client output"
expect_grep '^tcp-client: end of input: connection closed \(ours first, then the server.s\)$' "$WORK/err" "client stderr"
! grep -q 'closed by server' "$WORK/err" || fail "the client blamed the server for its own close"
wait_for "server to see the end of input" grep -q 'closed .* after 1 reply: end of input$' "$SERVER_LOG"
! grep -q ': bye$' "$SERVER_LOG" || fail "the client sent bye at the end of its input"

run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'one\ntwo')
expect_status 0 "client with an unterminated last line"
expect_file "$WORK/out" $'0one\n1two\n' "client output"

run "$CLIENT" 127.0.0.1 "$SERVER_PORT" </dev/null
expect_status 0 "client with empty input"
expect_file "$WORK/out" "" "client output"
