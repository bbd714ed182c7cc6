#!/usr/bin/env bash
# lint.sh format|tidy SRC BUILD
set -u
what=$1 src=$2 build=$3
cd "$src" || exit 1
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "lint: not a git checkout, skipping"
  exit 77
fi
files=$(git ls-files '*.c' '*.h' | grep -v -e node_modules -e '^build')
case $what in
format)
  command -v clang-format >/dev/null || { echo "lint: no clang-format"; exit 77; }
  bad=0
  for f in $files; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
      echo "not clang-formatted: $f"
      bad=1
    fi
  done
  exit $bad
  ;;
tidy)
  command -v clang-tidy >/dev/null || { echo "lint: no clang-tidy"; exit 77; }
  [ -f "$build/compile_commands.json" ] || { echo "lint: no compile_commands.json"; exit 77; }
  # Product code only (libhv and the tools), generated asset sources
  # excluded; tests and benchmarks are held to clang-format alone, which
  # keeps this within a couple of minutes on two cores.
  units=$(jq -r '.[].file' "$build/compile_commands.json" |
          grep -E "^$src/(hypervisor|xentop-ng|powerd|rdt|rdtpolicy|webui)/" |
          grep -v -e '/generated/' | sort -u)
  out=$(mktemp)
  # Two at a time: this machine has two cores.
  printf '%s\n' $units | xargs -P2 -n8 clang-tidy -p "$build" --quiet \
      --extra-arg=-Wno-unknown-warning-option >"$out" 2>&1
  rc=$?
  grep -E '^/.*: (warning|error):' "$out" | sort -u
  n=$(grep -cE '^/.*: (warning|error):' "$out")
  rm -f "$out"
  echo "clang-tidy: $n findings in $(printf '%s\n' $units | wc -l) files"
  [ "$n" -eq 0 ] && [ $rc -eq 0 ]
  ;;
esac
