#!/usr/bin/env bash
# A SYN to a port nobody listens on (9) is answered with RST: nc reports
# "Connection refused" and the capture shows [R.] from lwIP.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
ns_create
lwip_start
tcpdump_start "$E2E_WORK/capture.txt"

rc=0
timeout 20 ip netns exec "$NS" nc -v -N -w 5 "$LWIP4" 9 </dev/null >"$E2E_WORK/nc-out.txt" \
    2>"$E2E_WORK/nc-err.txt" || rc=$?
tcpdump_stop
[ "$rc" -ne 0 ] || fail "nc to the closed port 9 succeeded"
[ "$rc" -ne 124 ] || fail "nc to the closed port 9 hung instead of being refused"
assert_file_contains "$E2E_WORK/nc-err.txt" 'Connection refused' "nc's error"
tcpdump_join "$E2E_WORK/capture.txt" >"$E2E_WORK/capture.joined"
syn=$(grep -E "$HOST4\.[0-9]+ > $LWIP4\.9: Flags \[S\]" "$E2E_WORK/capture.joined" | head -n1)
[ -n "$syn" ] || fail "capture: no SYN to port 9"
port=$(printf '%s\n' "$syn" | sed -nE "s/.*$HOST4\.([0-9]+) > .*/\1/p")
assert_file_contains "$E2E_WORK/capture.joined" "$LWIP4\.9 > $HOST4\.$port: Flags \[R\.\]" "capture: RST from lwIP"
assert_file_lacks "$LWIP_LOG" "$HOST4:$port " "state log for a refused connection"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
e2e_pass
