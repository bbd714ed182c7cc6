#!/usr/bin/env bash
# Install, build and run the whole test suite:
#   1. an ASan+UBSan build: unit and fixture tests;
#   2. an arm64 cross build (cmake/aarch64-linux-gnu.cmake): its unit and
#      fixture tests under qemu-user, ctest label arm64;
#   3. a normal build: every other test, then the e2e tests (real QEMU
#      guests, a real Xen under QEMU) one at a time, because guests under
#      TCG share two cores and their CPU figures are checked.
# The closing lines count, per label, the tests that ran, passed, failed and
# were skipped, list every skip with its reason, and end with
# "N passed, N failed, N skipped" (scripts/test-summary.py).
# Exits non-zero on any failure; with CI=true a skipped test is a failure
# too (a suite that could not run a test is not green).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
t0=$(date +%s)
phase() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }
phase "install dependencies${CI:+ (CI=$CI: skips fail the run)}"
bash scripts/install-deps.sh
jobs=$(nproc)
phase "build (normal and sanitizer)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHVKIT_SANITIZE=ON -DHVKIT_E2E=OFF >/dev/null
cmake --build build-asan -j"$jobs"
rc=0
res=$src/build/test-results
rm -rf "$res" && mkdir -p "$res"
phase "sanitizer build: unit and fixture tests"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -L 'unit|fixture' --output-on-failure -j"$jobs" --output-junit "$res/asan.xml") || rc=1
phase "arm64 cross build"
cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVKIT_E2E=OFF >/dev/null
cmake --build build-arm64 -j"$jobs"
phase "arm64 build: unit and fixture tests under qemu-user"
(cd build-arm64 && ctest -L arm64 --output-on-failure -j"$jobs" --output-junit "$res/arm64.xml") || rc=1
phase "normal build: all but e2e"
(cd build && ctest -LE e2e --output-on-failure -j"$jobs" --output-junit "$res/other.xml") || rc=1
phase "normal build: e2e, one at a time"
(cd build && ctest -L e2e --output-on-failure --output-junit "$res/e2e.xml") || rc=1
phase "done in $(( $(date +%s) - t0 ))s"
python3 scripts/test-summary.py "asan:$src/build-asan:$res/asan.xml" \
  "arm64:$src/build-arm64:$res/arm64.xml" \
  "normal:$src/build:$res/other.xml" "normal:$src/build:$res/e2e.xml" || rc=1
exit $rc
