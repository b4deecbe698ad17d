#!/usr/bin/env bash
# Runs the demo N times and checks, from each run's own files, that the
# ladder diagram of the serial connection draws the teardown states the
# capture shows, for both sides, whichever of the three teardowns happened,
# and that every arrow of each diagram carries the numbers of lwip-tap's own
# timeline (scripts/lib/views_check.py).
#
#   sudo scripts/demo-check.sh [N]      (default 20; each run takes ~5 s)
#
# Environment: LWIPTAP_BUILD_DIR as for scripts/demo.sh (default <repo>/build).
# Exit code: 0 if every run passed and every diagram agreed, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-20}
case $runs in '' | *[!0-9]*) echo "usage: demo-check.sh [N]" >&2 && exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "demo-check: needs root, as the demo does: sudo scripts/demo-check.sh" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/lt-demo-check.XXXXXX")
trap 'rm -rf "$out"' EXIT
failed=0
declare -A endings
for i in $(seq 1 "$runs"); do
    dir=$out/run$i
    mkdir -p "$dir"
    if ! LWIPTAP_DEMO_SKIP_BUILD=1 LWIPTAP_DEMO_KEEP="$dir" LWIPTAP_DEMO_DIAGRAMS="$dir/diagrams" \
        bash "$root/scripts/demo.sh" >"$dir/demo.txt" 2>&1; then
        printf 'run %d: the demo FAILED:\n' "$i"
        sed -n '/FAILED/,/^$/p' "$dir/demo.txt" | sed 's/^/    /'
        failed=$((failed + 1))
        continue
    fi
    hport=$(sed -nE 's/.* serial: 192\.0\.2\.1:([0-9]+) connected.*/\1/p' "$dir/lwip-tap.log" | head -n1)
    # The serial connection's diagram, by the log line that names it.
    svg=$(sed -nE "s/.* INFO diagram: wrote (.+): 192\\.0\\.2\\.1:$hport -> .*/\\1/p" "$dir/lwip-tap.log")
    ending=$(sed -nE 's/.*This run: (the [a-zA-Z ]+[a-z]):.*/\1/p' "$dir/demo.txt" | head -n1)
    endings[$ending]=$((${endings[$ending]:-0} + 1))
    printf 'run %d (%s):\n' "$i" "${ending:-teardown not named}"
    bad=0
    /usr/bin/python3 "$root/scripts/lib/teardown_check.py" "$dir/capture.txt" "$svg" "$hport" 1234 |
        sed 's/^/    /' || bad=1
    /usr/bin/python3 "$root/scripts/lib/views_check.py" "$dir/lwip-tap.log" "$svg" "$hport" 1234 |
        sed 's/^/    serial: /' || bad=1
    # The echo connection's diagram: the same numbers as the timeline too.
    echo_line=$(sed -nE 's/.* INFO diagram: wrote (.+): 192\.0\.2\.1:([0-9]+) -> 192\.0\.2\.2:7$/\1 \2/p' "$dir/lwip-tap.log")
    if [ -z "$echo_line" ]; then
        printf '    echo: no diagram of the echo connection\n'
        bad=1
    else
        /usr/bin/python3 "$root/scripts/lib/views_check.py" "$dir/lwip-tap.log" "${echo_line% *}" "${echo_line##* }" 7 |
            sed 's/^/    echo: /' || bad=1
    fi
    [ "$bad" -eq 0 ] || failed=$((failed + 1))
done
printf '\n%d of %d runs agreed.' "$((runs - failed))" "$runs"
for e in "${!endings[@]}"; do printf ' %s: %d.' "$e" "${endings[$e]}"; done
printf '\n'
[ "$failed" -eq 0 ]
