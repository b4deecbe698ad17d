#!/usr/bin/env bash
# A port nobody listens on: one clear line on stderr and exit status 1.
source "$(dirname "$0")/lib.sh"

# A port that was free a moment ago is almost surely still free.
start_server
kill "$SERVER_PID"
wait "$SERVER_PID" || fail "server exit status $? after SIGTERM"
port=$SERVER_PORT

run "$CLIENT" 127.0.0.1 "$port" </dev/null
expect_status 1 "client to a closed port"
expect_file "$WORK/err" "tcp-client: cannot connect to 127.0.0.1 port $port: Connection refused"$'\n' \
    "client stderr"
expect_file "$WORK/out" "" "client stdout"

if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
    run "$CLIENT" ::1 "$port" </dev/null
    expect_status 1 "client to a closed IPv6 port"
    expect_file "$WORK/err" "tcp-client: cannot connect to ::1 port $port: Connection refused"$'\n' \
        "client stderr over IPv6"
fi
