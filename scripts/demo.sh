#!/usr/bin/env bash
# Install, build and run the demo: real QEMU guests doing known work,
# watched by hvkit. See README.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [ -x scripts/demo-run.sh ]; then
  exec bash scripts/demo-run.sh "$@"
fi
echo "== hvctl cpu list (this host, read-only)"
./build/hypervisor/hvctl/hvctl cpu list
