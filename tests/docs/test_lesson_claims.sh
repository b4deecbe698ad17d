#!/usr/bin/env bash
# Every lesson's "What to notice" is made of claims (claim NAME TEXT), and
# each name a claim cites is one of the lesson's own self-checks (expect
# NAME ...): a lesson says only what its run is checked to have shown.
# Usage: test_lesson_claims.sh REPO_ROOT (or a directory of lesson files)
set -uo pipefail
root=${1:?usage: test_lesson_claims.sh REPO_ROOT}
dir=$root/scripts/lessons
[ -d "$dir" ] || dir=$root
status=0
n=0
for lesson in "$dir"/*.sh; do
    [ "$(basename "$lesson")" != lib.sh ] || continue
    name=$(basename "$lesson" .sh)
    n=$((n + 1))
    checks=$(sed -nE 's/^ *(\[[^]]*\] *\|\| *)?expect ([a-z0-9-]+) .*/\2/p' "$lesson" | sort -u)
    claims=$(sed -nE 's/^ *claim ([a-z0-9,-]+) .*/\1/p' "$lesson" | tr ',' '\n' | sort -u)
    if [ -z "$claims" ]; then
        echo "FAIL: $name: no claim in its \"What to notice\""
        status=1
    fi
    for c in $claims; do
        printf '%s\n' "$checks" | grep -qx -- "$c" ||
            { echo "FAIL: $name: a claim cites [$c], which is not one of its checks"; status=1; }
    done
    # Between "What to notice" and the verdict only claims speak.
    if sed -n '/header "What to notice"/,/lesson_verdict/p' "$lesson" | grep -qE '^ *(explain|printf|echo) '; then
        echo "FAIL: $name: text in \"What to notice\" that is not a claim"
        status=1
    fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no lessons in $dir"; exit 1; }
[ "$status" -ne 0 ] || echo "PASS: $n lessons, every claim cites one of its own checks"
exit "$status"
