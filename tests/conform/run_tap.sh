#!/usr/bin/env bash
# One conformance script played from raw frames against lwip-tap over a real
# tap, in a namespace of its own (tests/e2e/lib.sh): the conversation must go
# as scripted, as it does on the fake link (conform.NAME).
#
# Usage: run_tap.sh LWIP_TAP SCRIPT
set -euo pipefail
E2E_NAME="conform-tap-$(basename "$2" .tcp)"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh" "$1" ""
here=$(cd "$(dirname "$0")" && pwd)
e2e_require_root
e2e_require_lwiptap
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "needs python3-scapy (scripts/setup.sh installs it)"
ns_create
lwip_start
rc=0
out=$(timeout 60 ip netns exec "$NS" /usr/bin/python3 "$here/wire_play.py" "$TAP" "$2") || rc=$?
say "$out"
[ "$rc" -ne 77 ] || skip "$out"
[ "$rc" -eq 0 ] || fail "$(basename "$2"): $out"
assert_lwip_alive
lwip_stop
assert_file_lacks "$LWIP_LOG" 'assertion|ERROR' "lwIP assertions or errors"
e2e_pass
