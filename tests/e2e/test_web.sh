#!/usr/bin/env bash
# --web: lwIP serves its own page over the tap. GET / is the embedded page
# (and /state answers over IPv6 too);
# an echo session made and closed before any page subscribed reaches a
# subscriber that comes later, segments, states and end (and GET /state
# says it is closed, never a stale state);
# /events, read by a subscriber, carries an nc echo session's handshake, data
# and FIN as they happen, in the order the state log logs them; a 9th
# subscriber gets 503; malformed and oversized requests get their statuses;
# a subscriber that never reads while traffic flows leaves lwip-tap's memory
# flat while its dropped events are counted. Where chromium is installed, the
# page is rendered after some connections (LWIPTAP_WEB_SCREENSHOT=FILE keeps
# the PNG: scripts/web-screenshot.sh makes docs/web-page.png that way).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc curl python3
e2e_require_lwiptap
READER="$(dirname "$0")/web_reader.py"
URL="http://$LWIP4"
ns_create
lwip_start --web

# The page, whole, as the binary holds it.
code=$(ns_exec curl -s -m 10 -o "$E2E_WORK/page.html" -D "$E2E_WORK/page.head" -w '%{http_code}' "$URL/")
assert_eq 200 "$code" "GET / status"
assert_file_contains "$E2E_WORK/page.head" '^Content-Type: text/html; charset=utf-8' "page content type"
length=$(sed -nE 's/^Content-Length: ([0-9]+).*/\1/p' "$E2E_WORK/page.head")
assert_eq "$length" "$(stat -c %s "$E2E_WORK/page.html")" "page length"
assert_file_contains "$E2E_WORK/page.html" '<title>lwip-tap: TCP, live</title>' "page title"
assert_file_contains "$E2E_WORK/page.html" 'new EventSource\("/events"\)' "the page subscribes to /events"
assert_file_lacks "$E2E_WORK/page.html" 'https?://' "the page loads nothing from the network"
code=$(ns_exec curl -s -g -m 10 -o "$E2E_WORK/state6.json" -w '%{http_code}' "http://[$LWIP6]/state")
assert_eq 200 "$code" "GET /state over IPv6"
assert_file_contains "$E2E_WORK/state6.json" "\"c\":\"\[$LWIP6\]:80 \[$HOST6\]:[0-9]+\",\"state\":\"ESTABLISHED\"" \
    "the IPv6 request's own connection in the snapshot"

# Echo sessions from a source port of our own (connection_port wants one per service).
echo_from() { # source-port line
    local out
    out=$(printf '%s\n' "$2" | timeout 20 ip netns exec "$NS" nc -N -p "$1" "$LWIP4" 7) ||
        fail "the echo session from port $1 failed"
    assert_eq "$2" "$out" "echo reply from port $1"
    wait_for_line "$LWIP_LOG" " $HOST4:$1 LAST_ACK -> CLOSED" 5 || fail "the echo session from port $1 did not close"
}
states_in_log() { # conn
    grep -E "tcp-state: $1 " "$LWIP_LOG" | sed -E 's/.* ([A-Z_0-9]+) -> ([A-Z_0-9]+) via .*/\1 \2/'
}
states_in_events() { # events-file
    sed -nE 's/^state .*"from":"([A-Z_0-9]+)","to":"([A-Z_0-9]+)".*/\1 \2/p' "$1"
}

# Before any page: an echo session, opened and closed.
EARLY=40700
echo_from $EARLY "before any page was open"
early="$LWIP4:7 $HOST4:$EARLY"

# A subscriber, then an echo session: its events arrive as they happen.
ns_bg python3 "$READER" "$LWIP4" 80 >"$E2E_WORK/events.txt" 2>&1
READER_PID=$BG_PID
wait_for_line "$E2E_WORK/events.txt" '^live ' 10 || fail "the subscriber got no snapshot and history"
assert_file_contains "$E2E_WORK/events.txt" '^STATUS HTTP/1.1 200 OK' "subscriber status"
[ "$(head -2 "$E2E_WORK/events.txt" | sed -n 2p | cut -d' ' -f1)" = conns ] || fail "the first event is not the snapshot"

# The early session, replayed whole between history and live: its ladder and its end.
sed -n '/^history /,/^live /p' "$E2E_WORK/events.txt" | grep -F "\"c\":\"$early\"" >"$E2E_WORK/early-events.txt" || true
assert_file_contains "$E2E_WORK/early-events.txt" '^seg .*"tx":0,"drop":0,"flags":"S","seq":0' "the early SYN, replayed"
assert_file_contains "$E2E_WORK/early-events.txt" '^seg .*"tx":1,"drop":0,"flags":"S\.","seq":0,"ack":1' "the early SYN-ACK"
assert_file_contains "$E2E_WORK/early-events.txt" '^seg .*"tx":0,.*"flags":"P\.","seq":1,"ack":1,.*"len":25,' "the early data"
assert_file_contains "$E2E_WORK/early-events.txt" '^seg .*"tx":0,.*"flags":"F\.","seq":26' "the early FIN"
assert_file_contains "$E2E_WORK/early-events.txt" '"why":"SYN: the host asks to open a connection' "its --explain sentence"
assert_file_contains "$E2E_WORK/early-events.txt" '^peer .*"to":"(CLOSED|TIME_WAIT)"' "the host's last state"
assert_file_lacks "$E2E_WORK/early-events.txt" '^unseen ' "a start-not-seen mark on a session kept whole"
states_in_log "$early" >"$E2E_WORK/early-log-states"
states_in_events "$E2E_WORK/early-events.txt" >"$E2E_WORK/early-page-states"
assert_same_file "$E2E_WORK/early-log-states" "$E2E_WORK/early-page-states" "the early session's states, replayed and logged"
assert_eq "LAST_ACK CLOSED" "$(tail -1 "$E2E_WORK/early-page-states")" "the early session's last state"
# The snapshot and GET /state agree: gone, and said to be closed.
assert_file_contains "$E2E_WORK/events.txt" "^conns .*\"closed\":\[[^}]*\"$early\"" "the snapshot's closed list"
assert_file_lacks "$E2E_WORK/events.txt" "^conns .*\"c\":\"$early\",\"state\"" "a row for the early session"
ns_exec curl -s -m 10 "$URL/state" >"$E2E_WORK/state-early.json"
assert_file_contains "$E2E_WORK/state-early.json" "\"closed\":\[[^}]*\"$early\"" "GET /state's closed list"
assert_file_lacks "$E2E_WORK/state-early.json" "\"c\":\"$early\",\"state\"" "a /state row for the early session"
say "a session closed before the page: $(grep -c '^seg' "$E2E_WORK/early-events.txt") segments and $(wc -l <"$E2E_WORK/early-page-states") state changes replayed, ending $(tail -1 "$E2E_WORK/early-page-states")"

PORT=40701
echo_from $PORT "watched by the page"
c="$LWIP4:7 $HOST4:$PORT"
wait_for_line "$E2E_WORK/events.txt" "^state .*\"c\":\"$c\",\"from\":\"LAST_ACK\",\"to\":\"CLOSED\"" 10 ||
    fail "the echo connection's close did not reach the subscriber"
grep -F "\"c\":\"$c\"" "$E2E_WORK/events.txt" >"$E2E_WORK/conn-events.txt"
assert_file_contains "$E2E_WORK/conn-events.txt" '^seg .*"tx":0,"drop":0,"flags":"S","seq":0' "the SYN"
assert_file_contains "$E2E_WORK/conn-events.txt" '^seg .*"tx":1,"drop":0,"flags":"S\.","seq":0,"ack":1' "the SYN-ACK"
assert_file_contains "$E2E_WORK/conn-events.txt" '^seg .*"tx":0,.*"flags":"P\.","seq":1,"ack":1,.*"len":20,' "the data"
assert_file_contains "$E2E_WORK/conn-events.txt" '^seg .*"tx":1,.*"flags":"P\.","seq":1,.*"len":20,' "the echo"
assert_file_contains "$E2E_WORK/conn-events.txt" '^seg .*"tx":0,.*"flags":"F\.","seq":21' "the host's FIN"
assert_file_contains "$E2E_WORK/conn-events.txt" '"why":"SYN: the host asks to open a connection' "the --explain sentence"
# The same transitions, in the same order, as the state log.
states_in_log "$c" >"$E2E_WORK/log-states"
states_in_events "$E2E_WORK/conn-events.txt" >"$E2E_WORK/page-states"
assert_same_file "$E2E_WORK/log-states" "$E2E_WORK/page-states" "state changes on the page and in the state log"
assert_eq "LISTEN SYN_RCVD" "$(head -1 "$E2E_WORK/page-states")" "first state change"
# Its own connection is a row, but none of its segments is an event (no feedback).
mine=$(sed -nE "s/.*\"c\":\"$LWIP4:80 ($HOST4:[0-9]+)\",\"state\":\"ESTABLISHED\",\"sub\":1.*/\1/p" "$E2E_WORK/events.txt" | tail -1)
[ -n "$mine" ] || fail "the subscriber's own connection is not in the rows"
if sed -n '/^live /,$p' "$E2E_WORK/events.txt" | grep -q "^seg .*\"c\":\"$LWIP4:80 $mine\""; then
    fail "a segment of the subscriber's own connection was sent to it"
fi
wait_for_line "$E2E_WORK/events.txt" '^counters .*"subscribers":1' 5 || fail "no counters event once a second"
say "the echo session's $(grep -c '^seg' "$E2E_WORK/conn-events.txt") segments and $(wc -l <"$E2E_WORK/page-states") state changes reached the page"

# The page rendered in a real browser, opened after those connections.
if command -v chromium >/dev/null 2>&1; then
    if [ -n "$TCP_CLIENT" ]; then
        serial_hello_world_bye
    fi
    (sleep 2 && printf 'while the page is open\n' | timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >/dev/null) &
    live_pid=$!
    timeout 60 ip netns exec "$NS" chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1400,1100 --timeout=5000 --screenshot="$E2E_WORK/web.png" "$URL/" \
        >"$E2E_WORK/chromium.log" 2>&1 || fail "chromium could not render the page"
    wait "$live_pid" || fail "the echo session while the page was open failed"
    size=$(stat -c %s "$E2E_WORK/web.png" 2>/dev/null || echo 0)
    [ "$size" -gt 20000 ] || fail "chromium's screenshot of the page is empty ($size bytes)"
    say "chromium rendered the page ($size-byte PNG)"
    if [ -n "${LWIPTAP_WEB_SCREENSHOT:-}" ]; then
        cp "$E2E_WORK/web.png" "$LWIPTAP_WEB_SCREENSHOT"
    fi
else
    say "chromium is not installed: the page was fetched and its events checked, not rendered"
fi

# At most 8 subscribers: the 9th gets 503.
others=()
for i in 2 3 4 5 6 7 8; do
    ns_bg python3 "$READER" "$LWIP4" 80 >"$E2E_WORK/events-$i.txt" 2>&1
    others+=("$BG_PID")
    wait_for_line "$E2E_WORK/events-$i.txt" '^STATUS ' 10 || fail "subscriber $i got no answer"
    assert_file_contains "$E2E_WORK/events-$i.txt" '^STATUS HTTP/1.1 200 OK' "subscriber $i status"
done
code=$(ns_exec curl -s -m 10 -o "$E2E_WORK/ninth.txt" -w '%{http_code}' "$URL/events")
assert_eq 503 "$code" "the 9th subscriber's status"
assert_file_contains "$E2E_WORK/ninth.txt" 'already subscribed' "the 503 says why"
kill "${others[@]}"

# Malformed and oversized requests, each with its status.
status_of() { # request-bytes
    printf '%b' "$1" | timeout 10 ip netns exec "$NS" nc -q 5 "$LWIP4" 80 | head -1 | tr -d '\r'
}
assert_eq "HTTP/1.1 400 Bad Request" "$(status_of 'garbage\r\n\r\n')" "garbage"
assert_eq "HTTP/1.1 400 Bad Request" "$(status_of 'GET / HTTP/1.1\r\n\r\n')" "no Host"
assert_eq "HTTP/1.1 404 Not Found" "$(status_of 'GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n')" "unknown path"
assert_eq "HTTP/1.1 405 Method Not Allowed" "$(status_of 'POST /state HTTP/1.1\r\nHost: x\r\n\r\n')" "POST"
assert_eq "HTTP/1.1 413 Content Too Large" \
    "$(status_of 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789')" "a body"
assert_eq "HTTP/1.1 505 HTTP Version Not Supported" "$(status_of 'GET / HTTP/3.0\r\nHost: x\r\n\r\n')" "HTTP/3.0"
big=$(head -c 6000 /dev/zero | tr '\0' a)
assert_eq "HTTP/1.1 431 Request Header Fields Too Large" \
    "$(status_of "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n")" "a 6000-byte header"

# A subscriber that never reads, while traffic flows: memory stays flat and
# its dropped events are counted. After a round of echo sessions that fills
# its queue, a second equal round may not grow lwip-tap's resident memory by
# more than 1 MiB.
ns_bg python3 "$READER" "$LWIP4" 80 --never-read >"$E2E_WORK/never.txt" 2>&1
wait_for_line "$E2E_WORK/never.txt" 'never reading' 10 || fail "the never-reading subscriber did not start"
rss() { sed -nE 's/^VmRSS:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$LWIP_PID/status"; }
dropped() { ns_exec curl -s -m 10 "$URL/state" | sed -nE 's/.*"events_dropped":([0-9]+).*/\1/p'; }
traffic() { # sessions
    local i payload
    payload=$(head -c 2000 /dev/zero | tr '\0' x)
    for i in $(seq "$1"); do
        printf '%s\n' "$payload" | timeout 10 ip netns exec "$NS" nc -N "$LWIP4" 7 >/dev/null ||
            fail "echo session $i failed"
    done
}
traffic 150 # fills its queue (128 KiB), lwIP's send buffer and the host's receive buffer
rss1=$(rss) dropped1=$(dropped)
traffic 60
rss2=$(rss) dropped2=$(dropped)
say "never-reading subscriber: RSS ${rss1} kB -> ${rss2} kB over 60 more sessions; events dropped ${dropped1} -> ${dropped2}"
[ "$dropped1" -gt 0 ] || fail "no event was dropped for the subscriber that never reads"
[ "$dropped2" -gt "$dropped1" ] || fail "the drop counter did not grow with more traffic"
[ $((rss2 - rss1)) -lt 1024 ] || fail "lwip-tap's RSS grew by $((rss2 - rss1)) kB with a subscriber that never reads"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
e2e_pass
