#!/usr/bin/env bash
# 20 clients connected at the same time each get their own serial numbers.
source "$(dirname "$0")/lib.sh"

start_server
n=20
declare -a fds client_pids
for ((i = 0; i < n; i++)); do
    mkfifo "$WORK/in$i"
    "$CLIENT" 127.0.0.1 "$SERVER_PORT" <"$WORK/in$i" >"$WORK/out$i" 2>"$WORK/err$i" &
    client_pids[i]=$!
    PIDS+=("$!")
    exec {fd}>"$WORK/in$i"
    fds[i]=$fd
done

# say WORD: every client sends "c<i>-WORD" and waits for its reply.
say() {
    local i
    for ((i = 0; i < n; i++)); do
        printf 'c%d-%s\n' "$i" "$1" >&"${fds[i]}"
    done
}
lines_in_all() {
    local i
    for ((i = 0; i < n; i++)); do
        (($(wc -l <"$WORK/out$i") == $1)) || return 1
    done
}

say first
wait_for "every first reply" lines_in_all 1
(($(grep -c 'connection from' "$SERVER_LOG") == n)) || fail "expected $n connections"
! grep -q 'closed' "$SERVER_LOG" || fail "a connection closed early"
say second
wait_for "every second reply" lines_in_all 2
for ((i = 0; i < n; i++)); do
    fd=${fds[i]}
    exec {fd}>&-
done
for ((i = 0; i < n; i++)); do
    status=0
    wait "${client_pids[i]}" || status=$?
    ((status == 0)) || fail "client $i exit status $status: $(cat "$WORK/err$i")"
    expect_file "$WORK/out$i" "0c$i-first"$'\n'"1c$i-second"$'\n' "client $i output"
done
wait_for "every close" test "$(grep -c 'after 2 replies: end of input$' "$SERVER_LOG")" -eq "$n"
