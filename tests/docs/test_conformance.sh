#!/usr/bin/env bash
# docs/conformance.md is what scripts/conformance_table.py makes of the
# conformance scripts and of a fresh run of each, and every reason the guard
# counts (port/guard/guard_stats.c) has its row in tests/conform/guard_reasons.tsv.
set -euo pipefail
root=${1:?usage: test_conformance.sh REPO_ROOT LWIPTAP_CONFORM}
runner=${2:?usage: test_conformance.sh REPO_ROOT LWIPTAP_CONFORM}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for script in "$root"/tests/conform/scripts/*.tcp; do
    name=$(basename "$script" .tcp)
    "$runner" "$script" "$work/$name.result" >"$work/$name.log" 2>&1 || echo "note: $name fails (see the table)"
done
mkdir -p "$work/results" && mv "$work"/*.result "$work/results/"
/usr/bin/python3 "$root/scripts/conformance_table.py" "$root" "$work/results" >"$work/conformance.md"
if ! diff -u "$root/docs/conformance.md" "$work/conformance.md"; then
    echo "FAIL: docs/conformance.md is not what the suite gives: run scripts/conformance_table.py (see its usage)"
    status=1
fi
reasons=$(grep -oE '\] = "[a-z0-9_]+"' "$root/port/guard/guard_stats.c" | sed -E 's/.*"(.*)"/\1/' | sort)
listed=$(grep -vE '^#' "$root/tests/conform/guard_reasons.tsv" | cut -f1 | sort)
if [ "$reasons" != "$listed" ]; then
    echo "FAIL: guard reasons in port/guard/guard_stats.c and tests/conform/guard_reasons.tsv differ:"
    diff <(printf '%s\n' "$reasons") <(printf '%s\n' "$listed") || true
    status=1
fi
[ "$status" -ne 0 ] || echo "PASS: docs/conformance.md matches $(ls "$work/results" | wc -l) scripts' results"
exit "$status"
