#!/usr/bin/env bash
# docs/options.md opens with lwip-tap's --help, word for word: the page's copy
# and the program's option table (app/cli_options.c) must not drift apart.
set -euo pipefail
root=${1:?usage: test_options_help.sh REPO_ROOT LWIP_TAP}
lwiptap=${2:?usage: test_options_help.sh REPO_ROOT LWIP_TAP}
page=$root/docs/options.md
copy=$(awk '/^```$/ { if (open) exit; open = 1; next } open' "$page")
[ -n "$copy" ] || { echo "FAIL: no --help block at the top of docs/options.md"; exit 1; }
help=$("$lwiptap" --help)
if [ "$copy" != "$help" ]; then
    echo "FAIL: docs/options.md's usage block differs from lwip-tap --help (< page, > program):"
    diff <(printf '%s\n' "$copy") <(printf '%s\n' "$help") || true
    exit 1
fi
echo "PASS: docs/options.md shows lwip-tap --help as it is ($(printf '%s\n' "$help" | wc -l) lines)"
