#!/usr/bin/env bash
# One hostile-peer case (tests/hostile/hostile.py CASE) against lwip-tap in a
# namespace of its own, then the checks every case ends with: lwip-tap is
# alive, answers ping and ping6 from the host, serves a fresh echo, its RSS
# stayed under the limit, it shuts down cleanly, and its guard counted the
# reasons the case is about.
#
# Usage: run_case.sh LWIP_TAP CASE [--expect REASON]... [--expect-cookies] [-- LWIP_TAP_OPTIONS...]
set -euo pipefail
E2E_NAME="hostile-${2:-none}"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh" "$1" ""
here=$(cd "$(dirname "$0")" && pwd)
case_name=$2
shift 2
expect=()
expect_cookies=0
while [ $# -gt 0 ]; do
    case "$1" in
        --expect) expect+=("$2"); shift 2 ;;
        --expect-cookies) expect_cookies=1; shift ;;
        --) shift; break ;;
        *) fail "unknown argument '$1'" ;;
    esac
done
RSS_LIMIT_KIB=$((${LWIPTAP_HOSTILE_RSS_MIB:-64} * 1024))
# Debian's python3, which has python3-scapy; not whatever python3 is first in PATH.
PYTHON=/usr/bin/python3

e2e_require_root
e2e_require_cmds ip nc ping
e2e_require_lwiptap
"$PYTHON" -c 'import scapy' 2>/dev/null || skip "needs python3-scapy (scripts/setup.sh installs it)"

ns_create
lwip_start "$@"
rss() { sed -nE 's/^VmRSS:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$LWIP_PID/status"; }
rss_before=$(rss)

rc=0
LWIP_PID=$LWIP_PID timeout 240 ip netns exec "$NS" env LWIP_PID="$LWIP_PID" "$PYTHON" "$here/hostile.py" "$TAP" "$case_name" \
    >"$E2E_WORK/case.txt" 2>&1 || rc=$?
cat "$E2E_WORK/case.txt"
[ "$rc" -ne 124 ] || fail "case $case_name did not finish within 240 s"
[ "$rc" -eq 0 ] || fail "case $case_name failed (exit $rc)"

assert_lwip_alive
ns_exec ping -c 2 -i 0.2 -W 2 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || fail "no answer to ping after $case_name"
ns_exec ping -6 -c 2 -i 0.2 -W 2 "$LWIP6" >"$E2E_WORK/ping6.txt" 2>&1 || fail "no answer to ping6 after $case_name"
line="fresh echo after $case_name"
got=$(printf '%s\n' "$line" | timeout 10 ip netns exec "$NS" nc -N -w 5 "$LWIP4" 7) || true
assert_eq "$line" "$got" "fresh echo after $case_name"
got6=$(printf '%s\n' "$line" | timeout 10 ip netns exec "$NS" nc -6 -N -w 5 "$LWIP6" 7) || true
assert_eq "$line" "$got6" "fresh IPv6 echo after $case_name"
rss_after=$(rss)
say "RSS ${rss_before} KiB before, ${rss_after} KiB after (limit $RSS_LIMIT_KIB KiB)"
[ "$rss_after" -le "$RSS_LIMIT_KIB" ] || fail "RSS $rss_after KiB after $case_name exceeds $RSS_LIMIT_KIB KiB"

lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log 'stats: guard total=' "the guard's counts in the shutdown summary"
for reason in "${expect[@]}"; do
    assert_log "stats: guard .* $reason=[1-9]" "guard count for $reason"
    assert_log "WARN guard: $reason: " "a warning for $reason"
done
if [ "$expect_cookies" -eq 1 ]; then
    assert_log 'INFO guard: SYN cookie sent to ' "a log line for a SYN cookie sent"
    assert_log 'INFO guard: SYN cookie accepted from ' "a log line for a SYN cookie accepted"
    assert_log 'stats: guard syn-cookies sent=[1-9][0-9]* accepted=[1-9]' "SYN cookies sent and accepted in the summary"
fi
assert_file_lacks "$LWIP_LOG" 'assertion|ERROR' "lwIP assertions or errors"
e2e_pass
