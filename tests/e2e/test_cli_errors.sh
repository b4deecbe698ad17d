#!/usr/bin/env bash
# Bad command lines get one clear message naming the problem, a pointer to
# --help, exit code 2, and nothing on stdout. Needs no root; as root, runs
# inside a fresh namespace without taps so that a parser bug could not
# create a tap anywhere that matters.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_lwiptap
run=()
if [ "$(id -u)" -eq 0 ]; then
    e2e_require_cmds ip
    ns_create notap
    run=(ip netns exec "$NS")
fi

n=0
check() { # expected-stderr-ERE args...
    local want=$1 rc=0
    shift
    n=$((n + 1))
    timeout 10 "${run[@]}" "$LWIPTAP" "$@" </dev/null >"$E2E_WORK/out.$n.txt" 2>"$E2E_WORK/err.$n.txt" || rc=$?
    [ "$rc" -eq 2 ] || fail "lwip-tap $* exited $rc, expected 2; stderr: $(cat "$E2E_WORK/err.$n.txt")"
    grep -Eq -- "$want" "$E2E_WORK/err.$n.txt" ||
        fail "lwip-tap $*: stderr lacks /$want/; it says: $(cat "$E2E_WORK/err.$n.txt")"
    grep -q "Try 'lwip-tap --help'" "$E2E_WORK/err.$n.txt" ||
        fail "lwip-tap $*: stderr does not point to --help"
    [ "$(grep -c . "$E2E_WORK/err.$n.txt")" -le 2 ] ||
        fail "lwip-tap $*: more than a short message on stderr: $(cat "$E2E_WORK/err.$n.txt")"
    [ ! -s "$E2E_WORK/out.$n.txt" ] || fail "lwip-tap $*: wrote to stdout: $(cat "$E2E_WORK/out.$n.txt")"
    if grep -q 'up on' "$E2E_WORK/err.$n.txt"; then fail "lwip-tap $*: started anyway"; fi
}

check "invalid --ip '999\.1\.1\.1'" --tap lt0 --ip 999.1.1.1
check "invalid --ip 'not-an-ip/24'" --tap lt0 --ip not-an-ip/24
check "invalid prefix length in --ip '192\.0\.2\.2/33'" --tap lt0 --ip 192.0.2.2/33
check "invalid --ip '192\.0\.2\.0/24': not a usable host address" --tap lt0 --ip 192.0.2.0/24
check "invalid --ip6 'zz::1/64'" --tap lt0 --ip 192.0.2.2/24 --ip6 zz::1/64
check "invalid --echo-port '70000': expected a number from 0 to 65535" --tap lt0 --ip 192.0.2.2 --echo-port 70000
check "invalid --serial-port 'abc'" --tap lt0 --ip 192.0.2.2 --serial-port abc
check "invalid --serial-port '-1'" --tap lt0 --ip 192.0.2.2 --serial-port -1
check "both 7: they must differ" --tap lt0 --ip 192.0.2.2 --serial-port 7
check "unknown debug category 'nosuch' \(known: all,.*tcp" --tap lt0 --ip 192.0.2.2 --debug tcp,nosuch
check "missing --tap NAME" --ip 192.0.2.2/24
check "missing --ip" --tap lt0
check "unknown option '--frobnicate'" --tap lt0 --ip 192.0.2.2 --frobnicate
check "unknown option '-x'" --tap lt0 --ip 192.0.2.2 -x
check "option '--ip' needs a value" --tap lt0 --ip
check "unexpected argument 'extra'" --tap lt0 --ip 192.0.2.2 extra
check "invalid --drop '120'" --tap lt0 --ip 192.0.2.2 --drop 120
check "invalid --seed '0'" --tap lt0 --ip 192.0.2.2 --seed 0
check "invalid --max-conns '20000'" --tap lt0 --ip 192.0.2.2 --max-conns 20000
check "invalid --mem-limit '2'" --tap lt0 --ip 192.0.2.2 --mem-limit 2
check "invalid --mac" --tap lt0 --ip 192.0.2.2 --mac 01:00:00:00:00:01
check "-v and -q contradict" --tap lt0 --ip 192.0.2.2 -v -q
check "invalid --tap 'a/b'" --tap a/b --ip 192.0.2.2
check "invalid --tap 'much-too-long-name'" --tap much-too-long-name --ip 192.0.2.2
check "invalid --connect" --tap lt0 --ip 192.0.2.2 --connect nowhere
check "--absolute only makes sense with --trace" --tap lt0 --ip 192.0.2.2 --absolute

# An unwritable --pcap is found before anything is created: exit 1, no tap.
rc=0
timeout 10 "${run[@]}" "$LWIPTAP" --tap lt0 --ip 192.0.2.2 --pcap /nonexistent-dir/x.pcap </dev/null \
    >/dev/null 2>"$E2E_WORK/pcap-err.txt" || rc=$?
assert_eq 1 "$rc" "exit code with an unwritable --pcap"
assert_file_contains "$E2E_WORK/pcap-err.txt" "cannot write pcap file /nonexistent-dir/x.pcap: No such file" "--pcap message"
assert_file_lacks "$E2E_WORK/pcap-err.txt" "created lt0" "a tap created before the --pcap check"

# --help and --version succeed and print to stdout.
rc=0
"${run[@]}" "$LWIPTAP" --help >"$E2E_WORK/help.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "--help exit code"
assert_file_contains "$E2E_WORK/help.txt" '^Usage: lwip-tap --tap NAME --ip ADDR' "--help usage line"
rc=0
"${run[@]}" "$LWIPTAP" --version >"$E2E_WORK/version.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "--version exit code"
assert_file_contains "$E2E_WORK/version.txt" '^lwip-tap [0-9.]+ \(lwIP 2\.2\.[0-9]+\)' "--version output"

if [ -n "$NS" ]; then
    links=$(ip -n "$NS" -o link show | grep -vc ': lo:' || true)
    assert_eq 0 "$links" "interfaces other than lo in the namespace after the bad command lines"
fi
e2e_pass
