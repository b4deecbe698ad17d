#!/usr/bin/env bash
# Bad usage exits 2 with the usage text on stderr, before listening;
# --help and --version exit 0.
source "$(dirname "$0")/lib.sh"

bad() {
    run timeout 10 "$SERVER" "$@"
    expect_status 2 "tcp-server $*"
    expect_grep '^usage: tcp-server ' "$WORK/err" "tcp-server $* stderr"
    ! grep -q 'listening' "$WORK/err" || fail "tcp-server $* started listening"
}
bad
bad 0 0
for port in abc 65536 99999999 '' +1 ' 1' 1x; do
    bad "$port"
done
bad -5
bad --bogus 0
bad 0 --bind
run timeout 10 "$SERVER" abc
expect_grep "^tcp-server: invalid port 'abc'" "$WORK/err" "message naming the bad port"

for help in --help -h; do
    run "$SERVER" "$help"
    expect_status 0 "tcp-server $help"
    expect_grep '^usage: tcp-server \[--bind ADDR\] \[--close-delay MS\] PORT$' "$WORK/out" "$help output"
done
run "$SERVER" --version
expect_status 0 "tcp-server --version"
expect_grep '^tcp-server \(lwip-tap\) [0-9]+\.[0-9]+' "$WORK/out" "--version output"
