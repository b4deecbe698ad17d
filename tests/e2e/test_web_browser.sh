#!/usr/bin/env bash
# --web in a real browser: headless chromium, driven by chromedriver through
# selenium (tests/e2e/web_browser.py), opens the page inside the namespace,
# after nc echo sessions made before it (one closed, drawn whole and CLOSED;
# a long one and one the history no longer holds, each marked "(start not
# seen)"); then an nc echo session and a tcp-client serial session run
# there. From the
# DOM the page built: each new connection's row and ladder, lwIP's states
# LISTEN, SYN_RCVD, ESTABLISHED and on to CLOSED (the serial one through
# TIME_WAIT, shortened by --msl), the handshake's [S], [S.], [.] arrows, and
# the bytes each way that the sessions sent. LWIPTAP_WEB_SCREENSHOT=FILE keeps
# the page's screenshot (scripts/web-screenshot.sh makes docs/web-page.png).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc python3 chromium chromedriver
# Debian's python3-selenium lives beside /usr/bin/python3, which another
# python3 earlier on PATH may not see.
PY=""
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import selenium' 2>/dev/null; then PY=$p && break; fi
done
[ -n "$PY" ] || skip "python3-selenium is not installed (scripts/setup.sh --with-browser)"
e2e_require_lwiptap
[ -n "$TCP_CLIENT" ] || skip "no tcp-client given"
ns_create
lwip_start --web --msl 500

rc=0
HOME="$E2E_WORK" timeout 150 ip netns exec "$NS" "$PY" "$(dirname "$0")/web_browser.py" \
    "$LWIP4" "$TCP_CLIENT" "$E2E_WORK/web.png" >"$E2E_WORK/browser.txt" 2>&1 || rc=$?
sed 's/^/  /' "$E2E_WORK/browser.txt"
assert_eq 0 "$rc" "the browser test's exit code"
size=$(stat -c %s "$E2E_WORK/web.png" 2>/dev/null || echo 0)
[ "$size" -gt 20000 ] || fail "the page's screenshot is empty ($size bytes)"
if [ -n "${LWIPTAP_WEB_SCREENSHOT:-}" ]; then
    cp "$E2E_WORK/web.png" "$LWIPTAP_WEB_SCREENSHOT"
fi
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code"
e2e_pass
