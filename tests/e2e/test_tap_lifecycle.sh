#!/usr/bin/env bash
# As root, a tap that does not exist is created (with a warning) and is gone
# again after SIGTERM; a persistent tap that existed before is left as found.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
ns_create notap

# 1. Missing tap: created, then removed on exit.
LWIP_LOG="$E2E_WORK/created.log"
ns_bg "$LWIPTAP" --tap ltnew0 --ip "$LWIP4/24" </dev/null 2>"$LWIP_LOG"
LWIP_PID=$BG_PID
wait_for_line "$LWIP_LOG" 'lwip-tap: up on ltnew0' 10 || fail "lwip-tap did not come up on a tap it should create"
assert_log 'WARN lwip-tap: created ltnew0' "warning that the tap was created"
ip -n "$NS" -d link show ltnew0 >"$E2E_WORK/link-created.txt" 2>&1 ||
    fail "ltnew0 does not exist while lwip-tap runs"
assert_file_contains "$E2E_WORK/link-created.txt" 'tun type tap' "ltnew0 is a tap"
lwip_stop TERM
assert_eq 0 "$LWIP_RC" "exit code after SIGTERM (created tap)"
assert_log 'lwip-tap: Terminated received, shutting down' "SIGTERM acknowledged"
if ip -n "$NS" link show ltnew0 >/dev/null 2>&1; then
    fail "ltnew0, created by lwip-tap, is still there after it exited"
fi

# 2. Persistent tap: no warning, still there (and still up) afterwards.
ip -n "$NS" tuntap add dev ltkeep0 mode tap
ip -n "$NS" addr add "$HOST4/24" dev ltkeep0
ip -n "$NS" link set ltkeep0 up
LWIP_LOG="$E2E_WORK/persistent.log"
ns_bg "$LWIPTAP" --tap ltkeep0 --ip "$LWIP4/24" </dev/null 2>"$LWIP_LOG"
LWIP_PID=$BG_PID
wait_for_line "$LWIP_LOG" 'lwip-tap: up on ltkeep0' 10 || fail "lwip-tap did not come up on the persistent tap"
assert_file_lacks "$LWIP_LOG" 'created ltkeep0' "no 'created' warning for an existing tap"
ns_exec ping -c 1 -W 2 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || fail "no ping reply over the persistent tap"
lwip_stop TERM
assert_eq 0 "$LWIP_RC" "exit code after SIGTERM (persistent tap)"
ip -n "$NS" -d link show ltkeep0 >"$E2E_WORK/link-kept.txt" 2>&1 ||
    fail "the persistent tap ltkeep0 is gone after lwip-tap exited"
assert_file_contains "$E2E_WORK/link-kept.txt" 'tun type tap' "ltkeep0 still a tap"
ip -n "$NS" -o addr show dev ltkeep0 >"$E2E_WORK/addr-kept.txt"
assert_file_contains "$E2E_WORK/addr-kept.txt" "inet $HOST4/24" "ltkeep0 keeps its host address"
e2e_pass
