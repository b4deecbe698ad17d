#!/usr/bin/env bash
# Replies carry a per-connection serial; "bye" is not answered, ends the
# session cleanly, and nothing after it is sent.
source "$(dirname "$0")/lib.sh"

start_server
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\nworld\nbye\nnever sent\n')
expect_status 0 "client"
expect_file "$WORK/out" $'0hello\n1world\n' "client output"
expect_grep '^tcp-client: connection closed by server$' "$WORK/err" "client stderr"
wait_for "server to log the close" grep -q 'closed .* after 2 replies: bye$' "$SERVER_LOG"

# A second connection starts counting from 0 again.
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'again\nbye\n')
expect_status 0 "second client"
expect_file "$WORK/out" $'0again\n' "second client output"
