#!/usr/bin/env bash
# Front-end assets and browser-test driver from npm (uPlot, playwright-core),
# pinned by webui/package-lock.json. Idempotent; never downloads a browser
# (the tests use Debian's chromium).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src/webui"
if ! command -v npm >/dev/null; then
  # Debian 12's nodejs ships without npm; a nodejs that bundles npm
  # conflicts with Debian's npm package, so only install it when missing.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
fi
if [ -d node_modules/uplot ] && [ -d node_modules/playwright-core ] &&
   [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "webui.sh: node_modules up to date"
  exit 0
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
