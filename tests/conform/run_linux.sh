#!/usr/bin/env bash
# Fills the Linux column of docs/conformance.md: plays every server script
# from raw frames against the Linux kernel on a veth between two namespaces of
# its own (linux_server.py answers in the second), and writes
# tests/conform/linux.tsv ("name<TAB>same" or "name<TAB>differs at ..."),
# comparing flags, sequence numbers, payload and which options are there
# (Linux's window sizes and option values are its own: CONFORM_LOOSE).
# Then run scripts/conformance_table.py (docs.conformance says how).
#
# Usage (root): bash tests/conform/run_linux.sh
set -euo pipefail
E2E_NAME=conform-linux
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh" "" ""
here=$(cd "$(dirname "$0")" && pwd)
e2e_require_root
ns_create notap
srv="lt-e2e-conform-linux-srv-$$"
sandbox_ns_add "$srv" || fail "cannot create network namespace $srv"
ip -n "$NS" link add veth0 type veth peer name veth1 netns "$srv"
ip -n "$srv" link set lo up
# tests/hostile/peer.py talks to lwip-tap's MAC: the kernel takes it here.
ip -n "$srv" link set veth1 address 02:00:00:00:00:02
ip -n "$srv" addr add "$LWIP4/24" dev veth1
ip -n "$srv" link set veth1 up
ip -n "$NS" link set veth0 up
control="$E2E_WORK/control.sock"
sandbox_bg "$srv" /usr/bin/python3 "$here/linux_server.py" "$control"
for _ in $(seq 50); do [ -S "$control" ] && break; sleep 0.1; done
[ -S "$control" ] || fail "linux_server.py did not start"
out="$here/linux.tsv"
: >"$out.new"
port=46000
for script in "$here"/scripts/*.tcp; do
    name=$(basename "$script" .tcp)
    port=$((port + 1))
    rc=0
    result=$(CONFORM_LOOSE=1 CONFORM_PEER_PORT=$port timeout 60 ip netns exec "$NS" /usr/bin/python3 "$here/wire_play.py" veth0 \
        "$script" "$control" 2>"$E2E_WORK/$name.err") || rc=$?
    [ -n "$result" ] || result="player failed: $(tail -n 1 "$E2E_WORK/$name.err")"
    say "$name: $result"
    [ "$rc" -eq 77 ] || printf '%s\t%s\n' "$name" "$result" >>"$out.new"
done
mv "$out.new" "$out"
e2e_pass
