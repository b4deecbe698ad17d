#!/usr/bin/env bash
# SIGINT while an echo connection is open: lwip-tap closes it (the client
# reads EOF), prints its stats summary, and exits 0. A peer that does not
# close within the 1 s shutdown grace is reset, and the log says so.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip timeout
e2e_require_lwiptap
ns_create
lwip_start

# A client that sends one line, reads the echo, then waits for EOF (10 s at most).
ns_bg bash -c '
    exec 3<>"/dev/tcp/$1/7" || exit 3
    printf "still here\n" >&3
    IFS= read -r -t 5 line <&3 || exit 4
    printf "echo:%s\n" "$line"
    if timeout 10 cat <&3 >/dev/null; then echo "client: EOF"; else echo "client: no EOF ($?)"; fi
' client "$LWIP4" >"$E2E_WORK/client.txt" 2>&1
client=$BG_PID
wait_for_line "$E2E_WORK/client.txt" '^echo:still here$' 10 || fail "the client got no echo"
port=$(connection_port echo)
assert_log "$HOST4:$port SYN_RCVD -> ESTABLISHED" "connection established"

start=$(date +%s)
lwip_stop INT
assert_eq 0 "$LWIP_RC" "exit code after SIGINT with a connection open"
[ $(( $(date +%s) - start )) -le 5 ] || fail "lwip-tap took more than 5 s to stop"
wait_pid "$client" 15
assert_eq 0 "$WAIT_RC" "client exit code"
assert_file_contains "$E2E_WORK/client.txt" '^client: EOF$' "client saw the connection close"
assert_log 'lwip-tap: Interrupt received, shutting down' "SIGINT acknowledged"
assert_log "echo: $HOST4:$port closed at shutdown after 11 bytes in, 11 out" "connection closed at shutdown"
assert_log "$HOST4:$port ESTABLISHED -> FIN_WAIT_1 via app" "lwIP sent FIN at shutdown"
assert_log 'stats: echo connections=1 bytes_in=11 bytes_out=11' "echo stats line"
assert_log 'stats: link rx=[1-9][0-9]* tx=[1-9][0-9]* drop=0 err=0' "link stats line"
assert_log 'stats: tcp rx=[1-9]' "tcp stats line"

# A client that reads EOF but keeps its own side open for 4 s more.
lwip_start
ns_bg bash -c '
    exec 3<>"/dev/tcp/$1/7" || exit 3
    printf "lingering\n" >&3
    IFS= read -r -t 5 line <&3 || exit 4
    printf "echo:%s\n" "$line"
    timeout 10 cat <&3 >/dev/null
    sleep 4
' client "$LWIP4" >"$E2E_WORK/client2.txt" 2>&1
wait_for_line "$E2E_WORK/client2.txt" '^echo:lingering$' 10 || fail "the lingering client got no echo"
port=$(connection_port echo)
lwip_stop TERM
assert_eq 0 "$LWIP_RC" "exit code after SIGTERM with a lingering peer"
assert_log "lwip-tap: 1 connection still open after the 1000 ms shutdown grace: resetting \(RST\)" "the grace's end is said"
assert_log "$HOST4:$port FIN_WAIT_2 -> CLOSED via shutdown, tx \[R\.\]" "the reset is blamed on the shutdown"
e2e_pass
