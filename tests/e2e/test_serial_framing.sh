#!/usr/bin/env bash
# The serial service's messages end at a newline: several lines in one chunk
# get one serial number each, "bye" inside a chunk closes after the lines
# before it, and a 100 KB line comes back whole under one number.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc
e2e_require_lwiptap
ns_create
lwip_start

rc=0
printf 'hello\nworld\nbye\nnot answered\n' | timeout 10 ip netns exec "$NS" nc "$LWIP4" 1234 \
    >"$E2E_WORK/lines.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "nc exit code (lines)"
assert_eq $'0hello\n1world' "$(cat "$E2E_WORK/lines.txt")" "replies to three lines in one chunk"

head -c 100000 /dev/zero | tr '\0' 'x' >"$E2E_WORK/long.txt"
printf '\nshort\nbye\n' >>"$E2E_WORK/long.txt"
timeout 20 ip netns exec "$NS" nc "$LWIP4" 1234 <"$E2E_WORK/long.txt" >"$E2E_WORK/long-out.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "nc exit code (long line)"
{ printf '0'; head -c 100000 /dev/zero | tr '\0' 'x'; printf '\n1short\n'; } >"$E2E_WORK/long-expected.txt"
assert_same_file "$E2E_WORK/long-expected.txt" "$E2E_WORK/long-out.txt" "a 100 KB line and a short one"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
e2e_pass
