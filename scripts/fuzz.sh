#!/usr/bin/env bash
# Fuzzes the whole stack (tests/fuzz/fuzz_stack.c) with libFuzzer for SECONDS
# (default 60), under ASan+UBSan (lwIP's pools and heap are on malloc). Starts
# from the committed regression corpus plus freshly generated seeds; new
# coverage goes to build-fuzz/corpus, crashes to build-fuzz/crashes. At the
# end it prints libFuzzer's figures and the edge coverage of lwIP's tcp_in.c
# and tcp_out.c. Exits non-zero if the fuzzer found a crash.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
case "$seconds" in
    '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

bash scripts/setup.sh
dir=build-fuzz
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLWIPTAP_FUZZ=ON -DLWIPTAP_SANITIZE=ON >/dev/null
cmake --build "$dir" -j"$(nproc)" --target lwiptap_fuzz

mkdir -p "$dir/corpus" "$dir/crashes" "$dir/seeds"
python3 tests/fuzz/make_seeds.py "$dir/seeds" >/dev/null
cp -n tests/fuzz/corpus/* "$dir/seeds/" 2>/dev/null || true

log="$dir/fuzz.log"
echo "fuzz.sh: fuzzing for $seconds s (log: $log)"
set +e
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/bin/lwiptap_fuzz" -max_total_time="$seconds" -print_final_stats=1 -print_coverage=1 \
    -timeout=10 -rss_limit_mb=4096 -max_len=8192 -artifact_prefix="$dir/crashes/" \
    "$dir/corpus" "$dir/seeds" >"$log" 2>&1
rc=$?
set -e

grep -E '^stat::|^Done|^#[0-9]+.*DONE' "$log" | tail -12 || true
for file in tcp_in.c tcp_out.c; do
    grep -E "(UN)?COVERED_FUNC:.*/core/$file:" "$log" |
        sed -nE 's/.*edges: ([0-9]+)\/([0-9]+).*/\1 \2/p' |
        awk -v f="$file" '{c += $1; t += $2} END {if (t) printf "coverage of lwIP %s: %d of %d edges (%.1f%%)\n", f, c, t, 100 * c / t}'
done
crashes=$(find "$dir/crashes" -type f | wc -l)
echo "fuzz.sh: $crashes crash input(s) in $dir/crashes"
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|assertion' "$log" | head -5
    exit 1
fi
