#!/usr/bin/env bash
# --bind with an IPv4 literal; the client tries every address a name
# resolves to.
source "$(dirname "$0")/lib.sh"

start_server --bind 127.0.0.1
expect_grep '^tcp-server: listening on 127\.0\.0\.1 port [0-9]+$' "$SERVER_LOG" "listener"
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'four\nbye\n')
expect_status 0 "client to 127.0.0.1"
expect_file "$WORK/out" $'0four\n' "client output"
expect_grep '^tcp-server: connection from 127\.0\.0\.1 port [0-9]+$' "$SERVER_LOG" "server log"

run "$CLIENT" localhost "$SERVER_PORT" < <(printf 'name\nbye\n')
expect_status 0 "client to localhost"
expect_file "$WORK/out" $'0name\n' "client output via localhost"
