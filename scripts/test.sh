#!/usr/bin/env bash
# Install, build and run the whole test suite: a normal build (all tests,
# including e2e on real QEMU guests) and an ASan+UBSan build (unit and
# fixture tests). Exits non-zero on any failure.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bash scripts/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHVKIT_SANITIZE=ON -DHVKIT_E2E=OFF >/dev/null
cmake --build build-asan -j"$jobs"
rc=0
echo "== sanitizer build: unit and fixture tests"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -L 'unit|fixture' --output-on-failure -j"$jobs") || rc=1
echo "== normal build: every test"
(cd build && ctest --output-on-failure) || rc=1
exit $rc
