#!/usr/bin/env bash
# --classic prints the original TCPClient's prompt before each line and
# labels each reply the way it did.
source "$(dirname "$0")/lib.sh"

start_server
run "$CLIENT" --classic 127.0.0.1 "$SERVER_PORT" < <(printf 'hello\nworld\nbye\n')
expect_status 0 "client with --classic"
expect_file "$WORK/out" $'Please input the info:\nThe info from server is: 0hello\nPlease input the info:\nThe info from server is: 1world\nPlease input the info:\n' "client output"
