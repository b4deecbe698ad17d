#!/usr/bin/env bash
# scripts/demo-check.sh N against the binaries under test: the demo N times
# (default 3), and each time the serial connection's diagram draws the
# teardown states the capture shows and every arrow carries the timeline's
# numbers. Usage: test_demo_agrees.sh LWIPTAP TCP_CLIENT [N]
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip tcpdump nc ping
e2e_require_lwiptap
e2e_require_tcp_client
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 (scripts/setup.sh installs it)"
check="$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo-check.sh"
build=$(cd "$(dirname "$LWIPTAP")/.." && pwd)
rc=0
LWIPTAP_BUILD_DIR="$build" bash "$check" "${3:-3}" >"$E2E_WORK/check.txt" 2>&1 || rc=$?
cat "$E2E_WORK/check.txt"
assert_eq 0 "$rc" "demo-check.sh exit code"
assert_file_contains "$E2E_WORK/check.txt" "^${3:-3} of ${3:-3} runs agreed\\." "every run agreed"
e2e_pass
