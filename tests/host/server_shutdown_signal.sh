#!/usr/bin/env bash
# SIGTERM, SIGINT and SIGHUP stop the server with status 0 and close its
# connections; a client still talking then hears the close and exits 1.
source "$(dirname "$0")/lib.sh"

start_server
mkfifo "$WORK/in"
"$CLIENT" 127.0.0.1 "$SERVER_PORT" <"$WORK/in" >"$WORK/out" 2>"$WORK/err" &
client=$!
PIDS+=("$client")
exec {to_client}>"$WORK/in"
echo hello >&"$to_client"
wait_for "the first reply" grep -q '^0hello$' "$WORK/out"

kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
((status == 0)) || fail "server exit status $status after SIGTERM"
expect_grep '^tcp-server: SIGTERM, shutting down$' "$SERVER_LOG" "server log"
expect_grep 'closed .* after 1 reply: server shutting down$' "$SERVER_LOG" "server log"

echo world >&"$to_client"
status=0
wait "$client" || status=$?
((status == 1)) || fail "client exit status $status, expected 1"
expect_file "$WORK/out" $'0hello\n' "client output"
expect_grep '^tcp-client: connection closed by server$' "$WORK/err" "client stderr"

start_server
kill -INT "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
((status == 0)) || fail "server exit status $status after SIGINT"
expect_grep '^tcp-server: SIGINT, shutting down$' "$SERVER_LOG" "server log"

# A closed terminal (SIGHUP) is a stop request too, not a crash.
start_server
kill -HUP "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
((status == 0)) || fail "server exit status $status after SIGHUP"
expect_grep '^tcp-server: SIGHUP, shutting down$' "$SERVER_LOG" "server log"
