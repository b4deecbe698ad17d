#!/usr/bin/env bash
# A second server on a busy port says so and exits 1, whether it asks for
# the dual-stack wildcard or a specific address.
source "$(dirname "$0")/lib.sh"

start_server
for bind in "" 127.0.0.1; do
    run timeout 10 "$SERVER" ${bind:+--bind "$bind"} "$SERVER_PORT"
    expect_status 1 "second server (--bind '$bind')"
    expect_file "$WORK/err" \
        "tcp-server: cannot listen on ${bind:-::} port $SERVER_PORT: Address already in use"$'\n' \
        "second server stderr (--bind '$bind')"
done

# The first one is unharmed.
run "$CLIENT" 127.0.0.1 "$SERVER_PORT" < <(printf 'still here\nbye\n')
expect_status 0 "client"
expect_file "$WORK/out" $'0still here\n' "client output"
