#!/usr/bin/env bash
# --connect failures, each a clear message and a non-zero exit: a refused
# connection (the host's RST), no route (nothing is sent), a peer that never
# answers (--timeout), and an IPv6 target without --ip6 (a usage error).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip tcpdump
e2e_require_lwiptap
ns_create
tcpdump_start "$E2E_WORK/capture.txt"

connect() { # log-name expected-rc args...
    local name=$1 want=$2 rc=0
    shift 2
    local started=$SECONDS
    printf 'hello\n' | timeout 30 ip netns exec "$NS" "$LWIPTAP" --tap "$TAP" --ip "$LWIP4/24" "$@" \
        >"$E2E_WORK/$name.out" 2>"$E2E_WORK/$name.log" || rc=$?
    ELAPSED=$((SECONDS - started))
    assert_eq "$want" "$rc" "exit code ($name)"
}

connect refused 1 --connect "$HOST4:9"
assert_file_contains "$E2E_WORK/refused.log" "ERROR connect: connection refused by $HOST4:9" "refused message"
connect noroute 1 --connect 198.51.100.7:80
assert_file_contains "$E2E_WORK/noroute.log" "ERROR connect: no route to 198.51.100.7:80" "no-route message"
connect silent 1 --connect 192.0.2.99:80 --timeout 2
assert_file_contains "$E2E_WORK/silent.log" "ERROR connect: no answer from 192.0.2.99:80 within 2 s" "timeout message"
assert_file_contains "$E2E_WORK/silent.log" "within 2 s: nothing answered ARP for its address, so lwIP.s SYN never left" "the cause: ARP, not the SYN"
[ "$ELAPSED" -le 6 ] || fail "--timeout 2 took $ELAPSED s"
connect nov6 2 --connect "[$HOST6]:80"
assert_file_contains "$E2E_WORK/nov6.log" "needs --ip6" "usage error for IPv6 without --ip6"
tcpdump_stop
assert_file_contains "$E2E_WORK/capture.txt" "$HOST4\\.9 > $LWIP4\\.[0-9]+: Flags \\[R\\.\\]" "the host's RST"
assert_file_lacks "$E2E_WORK/capture.txt" "198\\.51\\.100" "anything sent to the unroutable address"
e2e_pass
