#!/usr/bin/env bash
# scripts/demo.sh LESSON against the binaries under test: the lesson passes
# its own check (it exits 0 only if what it explains happened), prints
# lwip-tap's own timeline (relative numbers, lwIP's states), every claim with
# the check that proves it, fits 80 columns, and leaves no namespace behind.
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
    LWIPTAP_DEMO_KEEP="$E2E_WORK/kept" timeout 120 bash "$demo" "$LESSON" \
    >"$E2E_WORK/lesson.txt" 2>&1 || rc=$?
out=$E2E_WORK/lesson.txt
assert_eq 0 "$rc" "demo.sh $LESSON exit code"
assert_file_contains "$out" '^== What to notice ==$' "the lesson's notes"
assert_file_contains "$out" "^    lwip-tap's own timeline \(--explain\)" "the lesson's timeline"
assert_file_contains "$out" '^    t\+[0-9]+\.[0-9]{6}  (host -> lwIP|lwIP -> host)  \[[SFRP.]+\]' "segments in the timeline"
assert_file_contains "$out" '^ +lwIP state: [A-Z_0-9]+ -> [A-Z_0-9]+ via ' "state changes in the timeline"
assert_file_contains "$out" '^    ok     \[[a-z0-9-]+\] ' "the named self-checks"
assert_file_contains "$out" '^OK: ' "the lesson's verdict"
# Every diagram the lesson names: LESSON-N.svg (lwip-tap numbers the files in
# opening order), the connection under it, and every arrow carrying the
# numbers of lwip-tap's own timeline for that connection.
grep -E '^    file://' "$out" | grep -vE "^    file://$E2E_WORK/diagrams/$LESSON(-run[0-9]+)?-[0-9]+\.svg\$" &&
    fail "a diagram not named $LESSON-N.svg"
n=0
conn_re='^[][0-9a-f.:]+:([0-9]+) -> [][0-9a-f.:]+:([0-9]+)$'
while IFS= read -r line; do
    svg=${line#    file://}
    conn=$(grep -A1 -xF "$line" "$out" | sed -n '2s/^ *//p')
    [[ $conn =~ $conn_re ]] ||
        fail "no connection under $svg ($conn)"
    grep -q '<g class="segment' "$svg" || fail "$svg has no segment"
    log=$(grep -lF "diagram: wrote $svg: " "$E2E_WORK"/kept/lwip-tap*.log | head -n1)
    [ -n "$log" ] || fail "no log names $svg"
    /usr/bin/python3 "$(dirname "$0")/../../scripts/lib/views_check.py" "$log" "$svg" \
        "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" || fail "$svg disagrees with the timeline of $conn"
    n=$((n + 1))
done < <(grep -E "^    file://$E2E_WORK/diagrams/$LESSON(-run[0-9]+)?-[0-9]+\.svg\$" "$out")
[ "$n" -ge 1 ] || fail "the lesson does not name its ladder diagram"
# What the learner reads: 80 columns, no trailing blanks, no Python bytes, no
# doubled words, no "1 segments".
! awk 'length > 80 { print FILENAME ":" FNR ": " $0; bad = 1 } END { exit !bad }' "$out" ||
    fail "lines over 80 columns"
! grep -nE ' +$' "$out" || fail "trailing blanks"
! grep -nE '(^|[^A-Za-z])([A-Za-z]+):? \2([^A-Za-z0-9_]|$)' "$out" || fail "a doubled word"
! grep -nE '(^|[^0-9.:+])1 (segments|frames|bytes|probes|copies|times|lines|events|arrows|retransmissions)([^A-Za-z]|$)' "$out" ||
    fail "a plural after 1"
! grep -nE "(^|[^A-Za-z])b['\"]" "$out" || fail "Python bytes notation"
assert_namespace_gone "$out" lesson
e2e_pass
