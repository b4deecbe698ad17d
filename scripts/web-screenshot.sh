#!/usr/bin/env bash
# Regenerates docs/web-page.png, the --web page as chromium renders it after an
# nc echo and a tcp-client session: it runs e2e.web_browser (root, chromium,
# chromium-driver and python3-selenium from setup.sh --with-browser) and keeps
# its screenshot, taken once the test's DOM checks have passed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
for c in chromium chromedriver; do
    command -v "$c" >/dev/null || { echo "web-screenshot: $c is missing: scripts/setup.sh --with-browser" >&2; exit 1; }
done
LWIPTAP_WEB_SCREENSHOT="$here/docs/web-page.png" bash "$here/tests/e2e/test_web_browser.sh" \
    "$build/bin/lwip-tap" "$build/bin/tcp-client"
[ -s "$here/docs/web-page.png" ] || { echo "web-screenshot: the test was skipped: no screenshot" >&2; exit 1; }
echo "web-screenshot: wrote docs/web-page.png"
