#!/usr/bin/env bash
# lwip-tap run by an unprivileged user (nobody) cannot attach to a missing
# tap, nor to one owned by root: it exits 1 with a message that explains the
# fix ("Fix: ... ip tuntap add ..."), without crashing or creating anything.
#
# The first two cases use the machine's /dev/net/tun, whatever its mode (0600
# gives "cannot open /dev/net/tun", 0666 the attach error); the last three
# mount a private /dev/net/tun of a chosen mode in a private mount namespace,
# so each message is checked exactly whatever the machine's setting is.
# USER=root is inherited on purpose, as setpriv leaves it: the suggested fix
# must still name the real user, nobody.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip setpriv unshare mount mknod
e2e_require_lwiptap
ns_create notap
ip -n "$NS" tuntap add dev ltroot0 mode tap user 0  # owned by root
ip -n "$NS" link set ltroot0 up

# The binary must be reachable for nobody.
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$LWIPTAP" ||
    skip "$LWIPTAP is not executable by user nobody (a build under a private directory?)"

n=0
attempt() { # tun-mode|"system" tap expected-ERE
    local mode=$1 tap=$2 want=$3 rc=0
    n=$((n + 1))
    local err="$E2E_WORK/case$n.log"
    if [ "$mode" = system ]; then
        timeout 10 ip netns exec "$NS" env USER=root \
            setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$LWIPTAP" --tap "$tap" --ip "$LWIP4/24" </dev/null >/dev/null 2>"$err" || rc=$?
    else
        timeout 10 ip netns exec "$NS" unshare -m --propagation private sh -c '
            mount -t tmpfs -o mode=0755,size=16k lt-e2e-tun /dev/net &&
            mknod -m "$1" /dev/net/tun c 10 200 &&
            shift && exec env USER=root setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' \
            lt-tun "$mode" "$LWIPTAP" --tap "$tap" --ip "$LWIP4/24" </dev/null >/dev/null 2>"$err" || rc=$?
    fi
    [ "$rc" -eq 1 ] || fail "case $n ($mode /dev/net/tun, tap $tap): exit $rc, expected 1; stderr: $(cat "$err")"
    grep -q 'Fix:' "$err" || fail "case $n: no 'Fix:' in: $(cat "$err")"
    grep -q 'ip tuntap add dev '"$tap"' mode tap user nobody' "$err" ||
        fail "case $n: no 'ip tuntap add dev $tap mode tap user nobody' in: $(cat "$err")"
    grep -Eq -- "$want" "$err" || fail "case $n: stderr lacks /$want/: $(cat "$err")"
    if grep -q 'up on' "$err"; then fail "case $n: lwip-tap came up"; fi
    say "case $n ($mode, $tap): $(sed 's/^[^ ]* ERROR //' "$err")"
}

any='(cannot open /dev/net/tun|does not exist and creating it needs CAP_NET_ADMIN|exists but this user may not attach)'
attempt system ltmissing0 "$any"
attempt system ltroot0 "$any"
attempt 0666 ltmissing0 'ltmissing0 does not exist and creating it needs CAP_NET_ADMIN'
attempt 0666 ltroot0 'ltroot0 exists but this user may not attach to it'
attempt 0600 ltroot0 'cannot open /dev/net/tun \(mode 0600\): Permission denied.*chmod 0660 /dev/net/tun'
grep -q 'chmod 0666' "$E2E_WORK/case$n.log" && fail "the 0600 fix opens /dev/net/tun to every user"

# An interface that is not a tap (lo here) is never suggested for deletion.
rc=0
timeout 10 ip netns exec "$NS" "$LWIPTAP" --tap lo --ip "$LWIP4/24" </dev/null >/dev/null 2>"$E2E_WORK/lo.log" || rc=$?
[ "$rc" -eq 1 ] || fail "--tap lo: exit $rc, expected 1"
grep -q 'lo exists and is not a TAP device' "$E2E_WORK/lo.log" || fail "--tap lo: $(cat "$E2E_WORK/lo.log")"
if grep -Eq 'ip link del|tuntap del' "$E2E_WORK/lo.log"; then fail "--tap lo suggests deleting lo"; fi

if ip -n "$NS" link show ltmissing0 >/dev/null 2>&1; then
    fail "the missing tap was created by an unprivileged run"
fi
ip -n "$NS" link show ltroot0 >/dev/null 2>&1 || fail "the root-owned tap vanished"
e2e_pass
