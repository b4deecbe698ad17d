#!/usr/bin/env bash
# --connect: lwIP opens the connection itself. Against tcp-server (the
# original protocol) and against nc -l, over IPv4 and IPv6: the capture's
# first [S] comes from lwIP, each line gets its reply, lwIP closes first, the
# state log walks the client's whole lifecycle and lwip-tap exits 0.
# Usage: test_connect.sh LWIPTAP TCP_CLIENT tcp-server|nc 4|6 [stay]
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
PEER_KIND=${3:?peer kind}
FAMILY=${4:?4 or 6}
STAY=${5:-}
e2e_require_root
e2e_require_cmds ip nc tcpdump
e2e_require_lwiptap
e2e_require_tcp_client
TCP_SERVER=$(dirname "$TCP_CLIENT")/tcp-server
[ -x "$TCP_SERVER" ] || skip "tcp-server not built yet"
ns_create
ip netns exec "$NS" sysctl -qw net.ipv4.neigh.tap0.locktime=0
PORT=5555
if [ "$FAMILY" = 6 ]; then host=$HOST6 target="[$HOST6]:$PORT" lwip=$LWIP6; else host=$HOST4 target="$HOST4:$PORT" lwip=$LWIP4; fi
tcpdump_start "$E2E_WORK/capture.txt"

if [ "$PEER_KIND" = tcp-server ]; then
    # The delay keeps the server's side open after lwIP's FIN: FIN_WAIT_2.
    ns_bg "$TCP_SERVER" --close-delay 300 "$PORT" 2>"$E2E_WORK/server.log"
    wait_for_line "$E2E_WORK/server.log" 'listening on' 5 || fail "tcp-server did not start"
    printf 'hello\nworld\n' >"$E2E_WORK/input.txt"
    expected=$'0hello\n1world'
else
    # nc -l answers with what it reads from its input, once lwIP's line has come.
    mkfifo "$E2E_WORK/nc-in"
    # Read-write: opening a FIFO only for writing would wait for a reader.
    exec {nc_in}<>"$E2E_WORK/nc-in"
    # Not ns_bg: a background command without its own redirection reads /dev/null.
    ip netns exec "$NS" nc "-$FAMILY" -l "$PORT" <"$E2E_WORK/nc-in" >"$E2E_WORK/nc-out.txt" &
    sandbox_track $!
    printf 'hello\n' >"$E2E_WORK/input.txt"
    expected='hi from nc'
    sleep 0.3
fi

LWIP_LOG=$E2E_WORK/lwip-tap.log
opts=(--tap "$TAP" --ip "$LWIP4/24" --ip6 "$LWIP6/64" --msl 500 --connect "$target")
[ -z "$STAY" ] || opts+=(--stay)
ip netns exec "$NS" "$LWIPTAP" "${opts[@]}" <"$E2E_WORK/input.txt" >"$E2E_WORK/replies.txt" 2>"$LWIP_LOG" &
LWIP_PID=$!
sandbox_track "$LWIP_PID"
if [ "$PEER_KIND" = nc ]; then
    wait_for_line "$E2E_WORK/nc-out.txt" '^hello$' 10 || fail "nc -l never got lwIP's line"
    printf 'hi from nc\n' >&"$nc_in"
fi
if [ -n "$STAY" ]; then
    wait_for_line "$LWIP_LOG" 'still serving \(--stay\)' 15 || fail "no '--stay' line"
    assert_lwip_alive
    printf 'still here\n' | timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >"$E2E_WORK/echo.txt"
    assert_eq "still here" "$(cat "$E2E_WORK/echo.txt")" "echo after the session (--stay)"
    lwip_stop
else
    wait_pid "$LWIP_PID" 15
    LWIP_RC=$WAIT_RC
fi
[ "$PEER_KIND" != nc ] || exec {nc_in}>&-
tcpdump_stop

assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
assert_eq "$expected" "$(cat "$E2E_WORK/replies.txt")" "replies printed by lwip-tap"
lport=$(sed -nE 's/.* connect: connected to .* from port ([0-9]+)$/\1/p' "$LWIP_LOG")
[ -n "$lport" ] || fail "no 'connected' line"
joined=$E2E_WORK/joined.txt
tcpdump_join "$E2E_WORK/capture.txt" >"$joined"
first=$(grep -m1 -E "\\.$lport [<>] |\\.$lport: " "$joined")
printf '%s\n' "$first" | grep -qE "$lwip\\.$lport > $host\\.$PORT: Flags \\[S\\]," ||
    fail "the first segment is not lwIP's SYN: $first"
assert_file_contains "$joined" "$host\\.$PORT > $lwip\\.$lport: Flags \\[S\\.\\]," "the peer's SYN-ACK"
first_fin=$(grep -m1 -E "\\.$lport.*Flags \\[F" "$joined")
printf '%s\n' "$first_fin" | grep -qE "$lwip\\.$lport > " || fail "the first FIN is not lwIP's: $first_fin"
remote=$(grep -m1 -oE "tcp-state: [^ ]+:$lport [^ ]+" "$LWIP_LOG" | awk '{print $3}')
steps=("CLOSED -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1")
# tcp-server's delay shows FIN_WAIT_2; nc closes at once, and its FIN may
# carry the ACK of lwIP's FIN (FIN_WAIT_1 -> TIME_WAIT).
[ "$PEER_KIND" != tcp-server ] || steps+=("FIN_WAIT_1 -> FIN_WAIT_2" "FIN_WAIT_2 -> TIME_WAIT")
steps+=("TIME_WAIT -> CLOSED")
assert_state_sequence "$remote" "${steps[@]}"
assert_log "$(printf '%s' "$remote" | sed 's/[][.]/\\&/g') CLOSED -> SYN_SENT via app" "the SYN is our own call"
e2e_pass
