#!/usr/bin/env bash
# scripts/demo.sh LESSON against the binaries under test: the lesson passes
# its own check (it exits 0 only if what it explains happened), prints its
# timeline, and leaves no namespace behind.
# Usage: test_lesson.sh LWIPTAP TCP_CLIENT LESSON
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
LESSON=${3:?lesson name}
E2E_NAME=lesson-$LESSON
e2e_require_root
e2e_require_cmds ip tcpdump nc
e2e_require_lwiptap
e2e_require_tcp_client
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 (scripts/setup.sh installs it)"
demo="$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo.sh"
build=$(cd "$(dirname "$LWIPTAP")/.." && pwd)
rc=0
LWIPTAP_DEMO_SKIP_BUILD=1 LWIPTAP_BUILD_DIR="$build" LWIPTAP_DEMO_DIAGRAMS="$E2E_WORK/diagrams" \
    timeout 120 bash "$demo" "$LESSON" \
    >"$E2E_WORK/lesson.txt" 2>&1 || rc=$?
out=$E2E_WORK/lesson.txt
assert_eq 0 "$rc" "demo.sh $LESSON exit code"
assert_file_contains "$out" '^== What to notice ==$' "the lesson's notes"
assert_file_contains "$out" '^ +ms +wire +flags' "the lesson's timeline"
assert_file_contains "$out" 'lwIP state [A-Z_0-9]+ -> [A-Z_0-9]+' "state changes in the timeline"
assert_file_contains "$out" '^OK: ' "the lesson's verdict"
assert_file_contains "$out" "^    file://$E2E_WORK/diagrams/$LESSON-1\.svg\$" "the lesson's ladder diagram"
grep -q '<g class="segment' "$E2E_WORK/diagrams/$LESSON-1.svg" || fail "the lesson's diagram has no segment"
assert_namespace_gone "$out" lesson
e2e_pass
