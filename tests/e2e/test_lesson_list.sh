#!/usr/bin/env bash
# scripts/demo.sh --list names every lesson (no root needed), and an unknown
# lesson is a usage error with the list.
set -uo pipefail
demo="$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo.sh"
out=$(bash "$demo" --list) || { echo "FAIL: --list exited $?"; exit 1; }
for lesson in active-open passive-close active-close half-close simultaneous-close abort reset \
    time-wait keepalive zero-window loss; do
    grep -qE "^  $lesson +[^ ]" <<<"$out" || { echo "FAIL: --list lacks $lesson:"; echo "$out"; exit 1; }
done
rc=0
err=$(bash "$demo" no-such-lesson 2>&1) || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: an unknown lesson exited $rc, expected 2"; exit 1; }
grep -q "unknown lesson 'no-such-lesson'" <<<"$err" || { echo "FAIL: no message: $err"; exit 1; }
grep -q "active-open" <<<"$err" || { echo "FAIL: the usage error lacks the list"; exit 1; }
echo "PASS"
