#!/usr/bin/env bash
# ctest bench.smoke: runs scripts/bench.sh with tiny sizes against the build
# tree named by LWIPTAP_BENCH_BUILD_DIR and checks that it completed and printed
# its table with a numeric ratio on every row, and (--web) the table of
# lwip-tap with --web and no page against lwip-tap without. Not a performance
# test: the figures are not judged. Exit 77 (skipped) without root.
set -euo pipefail

bench=${1:?usage: smoke.sh PATH/TO/scripts/bench.sh}
if [ "$(id -u)" -ne 0 ]; then
    echo "bench.smoke: SKIP: needs root (network namespaces, a tap, a veth pair)" >&2
    exit 77
fi
[ -n "${LWIPTAP_BENCH_BUILD_DIR:-}" ] || {
    echo "bench.smoke: LWIPTAP_BENCH_BUILD_DIR is not set" >&2
    exit 1
}

out=$(mktemp "${TMPDIR:-/tmp}/lt-bench-smoke.XXXXXX")
trap 'rm -f "$out"' EXIT
rc=0
bash "$bench" --mib 1 --streams 2 --conns 20 --pings 50 --scale 200 --burst 200 --runs 1 --web >"$out" 2>&1 || rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
    echo "bench.smoke: FAIL: bench.sh exited $rc" >&2
    exit 1
fi

fail=0
# No ratio of zero failures: "n/a".
grep -Eq "^  failed connections +conns +[0-9]+ +[0-9]+ +[0-9]+ +(n/a|[0-9.]+x) +(n/a|[0-9.]+x) *$" "$out" ||
    { echo "bench.smoke: FAIL: no 'failed connections' row" >&2; fail=1; }
grep -q '^bench.sh: done$' "$out" || { echo "bench.smoke: FAIL: no 'bench.sh: done' line" >&2; fail=1; }
grep -Eq '^metric +unit +lwip-tap +lwip-tap +kernel \(veth\) +lwip-tap/ +offload/$' "$out" ||
    { echo "bench.smoke: FAIL: no table header" >&2; fail=1; }
num='[0-9]+(\.[0-9]+)?'
cell="$num( \[$num-$num\])?"
for label in 'stream, 1 conn x 1 MiB +Gbit/s' 'stream, 2 conns x 1 MiB +Gbit/s' 'connection rate, 20 cycles +conn/s' \
    'ping-pong 64 B, p50 +us' 'ping-pong 64 B, p99 +us' '200 conns x 64 KiB, time +s' \
    '  completed without error +1=yes' '  server peak RSS +MiB' 'burst 200 conns x 64 KiB +s' '  99% of the served done +s' 'server CPU per GiB, 1 conn +s/GiB'; do
    if ! grep -Eq "^$label +$cell +$cell +$cell +${num}x +${num}x *$" "$out"; then
        echo "bench.smoke: FAIL: no table row '$label' with three figures and two numeric ratios" >&2
        fail=1
    fi
done
grep -Eq '^  completed without error +1=yes +1 +1 +1 ' "$out" ||
    { echo "bench.smoke: FAIL: the scale run did not complete on every target" >&2; fail=1; }
# --web's table: both figures and their ratio on every row.
grep -Eq '^metric +unit +without --web +with --web +with/without *$' "$out" ||
    { echo "bench.smoke: FAIL: no --web table header" >&2; fail=1; }
for label in 'stream, 1 conn x 1 MiB +Gbit/s' 'connection rate, 20 cycles +conn/s' 'ping-pong 64 B, p50 +us' \
    'server CPU per GiB, 1 conn +s/GiB'; do
    [ "$(grep -Ec "^$label +$cell +$cell +${num}x *$" "$out")" -ge 1 ] ||
        { echo "bench.smoke: FAIL: no --web row '$label' with two figures and a ratio" >&2; fail=1; }
done
[ "$fail" -eq 0 ] || exit 1
echo "bench.smoke: PASS"
