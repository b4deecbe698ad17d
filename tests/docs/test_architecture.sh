#!/usr/bin/env bash
# docs/architecture.md and its picture docs/pipeline.svg name files: each
# one exists (in our tree, or lwIP's where the page speaks of lwIP), so a
# rename that forgets the page fails here; and every link stage
# (port/*/link_*.c) is in the picture.
set -euo pipefail
root=$(cd "${1:?usage: test_architecture.sh REPO_ROOT LWIP_DIR}" && pwd)
lwip=${2:?usage: test_architecture.sh REPO_ROOT LWIP_DIR}
page=$root/docs/architecture.md
picture=$root/docs/pipeline.svg
for f in "$page" "$picture" "$root"/port/README.md "$root"/port/*/README.md; do
    [ -f "$f" ] || { echo "FAIL: $f is missing"; exit 1; }
done

# Every file of ours and lwIP's sources, one path a line.
files=$(mktemp)
trap 'rm -f "$files"' EXIT
(cd "$root" && find . -type d \( -name .git -o -name 'build*' \) -prune -o -type f -print) >"$files"
(cd "$lwip" && find . -type f -name '*.[ch]') >>"$files"

status=0
checked=0
for doc in "$page" "$picture" "$root"/port/README.md "$root"/port/*/README.md; do
    rel=${doc#"$root"/}
    dir=$(dirname "$rel")
    for name in $(grep -oE '[A-Za-z0-9_./-]*[A-Za-z0-9_]\.(c|h|md|svg|sh)\b' "$doc" | sort -u); do
        checked=$((checked + 1))
        name=${name#../}
        case "$name" in
        */*)
            # A path: from the root, from the page's folder, or the tail of one (lwiptap/link.h).
            if [ -f "$root/$name" ] || [ -f "$root/$dir/$name" ] ||
                grep -qE "/${name//./\\.}$" "$files"; then
                continue
            fi
            ;;
        *)
            if grep -qE "/${name//./\\.}$" "$files"; then
                continue
            fi
            ;;
        esac
        echo "FAIL: $rel names $name, which is in neither our tree nor lwIP's"
        status=1
    done
done

for stage in "$root"/port/*/link_*.c; do
    name=${stage#"$root"/}
    grep -q "$name" "$picture" || { echo "FAIL: docs/pipeline.svg does not show the link stage $name"; status=1; }
done
[ "$checked" -gt 20 ] || { echo "FAIL: only $checked file names found in the pages"; exit 1; }
[ "$status" -ne 0 ] || echo "PASS: $checked file names in docs/architecture.md, its picture and port/'s READMEs exist"
exit "$status"
