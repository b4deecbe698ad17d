#!/usr/bin/env bash
# Regenerates docs/web-page.png, the --web page as chromium renders it after a
# few connections: it runs e2e.web (root, chromium from setup.sh --with-browser)
# and keeps its screenshot.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
command -v chromium >/dev/null || { echo "web-screenshot: chromium is missing: scripts/setup.sh --with-browser" >&2; exit 1; }
LWIPTAP_WEB_SCREENSHOT="$here/docs/web-page.png" bash "$here/tests/e2e/test_web.sh" \
    "$build/bin/lwip-tap" "$build/bin/tcp-client"
echo "web-screenshot: wrote docs/web-page.png"
