#!/usr/bin/env bash
# 4 MiB of random bytes through the RFC 862 echo service come back byte-identical.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc sha256sum
e2e_require_lwiptap
ns_create
lwip_start

random_file "$E2E_WORK/in.bin" $((4 * 1024 * 1024))
rc=0
timeout 40 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$E2E_WORK/in.bin" >"$E2E_WORK/out.bin" \
    2>"$E2E_WORK/nc.log" || rc=$?
assert_eq 0 "$rc" "nc exit code (124 means it hung)"
assert_same_file "$E2E_WORK/in.bin" "$E2E_WORK/out.bin" "echoed 4 MiB"
assert_eq "$(sha256sum <"$E2E_WORK/in.bin")" "$(sha256sum <"$E2E_WORK/out.bin")" "sha256 of the echo"
assert_log "echo: $HOST4:[0-9]+ closed after 4194304 bytes in, 4194304 out" "echo service byte counts"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
