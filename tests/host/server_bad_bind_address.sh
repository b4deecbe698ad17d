#!/usr/bin/env bash
# An address that is not a literal, or not one of ours, is an error (exit 1).
source "$(dirname "$0")/lib.sh"

run timeout 10 "$SERVER" --bind not-an-address 0
expect_status 1 "--bind not-an-address"
expect_grep "^tcp-server: invalid bind address 'not-an-address'" "$WORK/err" "stderr"

# 192.0.2.1 (TEST-NET-1) is on no interface here; binding sends nothing.
run timeout 10 "$SERVER" --bind 192.0.2.1 0
expect_status 1 "--bind 192.0.2.1"
expect_file "$WORK/err" \
    "tcp-server: cannot listen on 192.0.2.1 port 0: Cannot assign requested address"$'\n' "stderr"
