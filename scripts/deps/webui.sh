#!/usr/bin/env bash
# Front-end assets and browser-test driver from npm (uPlot, playwright-core),
# pinned by webui/package-lock.json. Idempotent; never downloads a browser
# (the tests use Debian's chromium).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src/webui"
command -v npm >/dev/null || { echo "webui.sh: npm missing"; exit 1; }
if [ -d node_modules/uplot ] && [ -d node_modules/playwright-core ] &&
   [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "webui.sh: node_modules up to date"
  exit 0
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
