#!/usr/bin/env bash
# End of input says bye by itself; a last line without newline is still sent
# exactly as read, and its reply printed on a line of its own.
source "$(dirname "$0")/lib.sh"

start_server
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\n')
expect_status 0 "client at end of input"
expect_file "$WORK/out" $'0hello\n' "client output"
wait_for "server to log the bye" grep -q 'closed .* after 1 reply: bye$' "$SERVER_LOG"

run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'one\ntwo')
expect_status 0 "client with an unterminated last line"
expect_file "$WORK/out" $'0one\n1two\n' "client output"

run "$CLIENT" 127.0.0.1 "$SERVER_PORT" </dev/null
expect_status 0 "client with empty input"
expect_file "$WORK/out" "" "client output"
