#!/usr/bin/env bash
# Bad usage exits 2 with the usage text on stderr, before any connection;
# --help and --version exit 0.
source "$(dirname "$0")/lib.sh"

bad() {
    run "$CLIENT" "$@" </dev/null
    expect_status 2 "tcp-client $*"
    expect_grep '^usage: tcp-client ' "$WORK/err" "tcp-client $* stderr"
    expect_file "$WORK/out" "" "tcp-client $* stdout"
}
bad
bad 127.0.0.1
bad 127.0.0.1 7 extra
for port in abc 0 65536 99999999 '' +7 ' 7' 7x 0x7; do
    bad 127.0.0.1 "$port"
done
bad 127.0.0.1 -1
bad --bogus 127.0.0.1 7
bad 127.0.0.1 7 --timeout
for timeout in abc 0 -1 nan inf 1e12 ''; do
    bad --timeout "$timeout" 127.0.0.1 7
done
run "$CLIENT" 127.0.0.1 abc </dev/null
expect_grep "^tcp-client: invalid port 'abc'" "$WORK/err" "message naming the bad port"

for help in --help -h; do
    run "$CLIENT" "$help"
    expect_status 0 "tcp-client $help"
    expect_grep '^usage: tcp-client \[--timeout SECONDS\] \[--classic\] HOST PORT$' "$WORK/out" "$help output"
done
run "$CLIENT" --version
expect_status 0 "tcp-client --version"
expect_grep '^tcp-client \(lwip-tap\) [0-9]+\.[0-9]+' "$WORK/out" "--version output"
