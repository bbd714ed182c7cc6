#!/usr/bin/env bash
# Build each fuzz target with clang's libFuzzer + ASan + UBSan straight from
# the sources it covers, and run it for a short, bounded time. The corpus
# is generated in a temp dir; crashes fail the test with the input saved.
# Usage: run.sh SRC OUTDIR SECONDS
set -u
src=$1 out=$2 secs=${3:-10}
command -v clang >/dev/null || { echo "fuzz: clang not installed"; exit 77; }
mkdir -p "$out"
inc="-I$src/hypervisor/include -I$src/hypervisor/src"
flags="-g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
# target: sources it needs (beyond the target file itself)
declare -A targets=(
  [fuzz_sysio]="hypervisor/src/sysio.c hypervisor/src/err.c"
)
# Targets contributed by other areas, built when their sources exist.
[ -f "$src/hypervisor/src/snapjson.c" ] &&
  targets[fuzz_snapjson]="hypervisor/src/snapjson.c hypervisor/src/fields.c hypervisor/src/snapshot.c hypervisor/src/rates.c hypervisor/src/err.c hypervisor/src/sysio.c -lcjson -lm"
[ -f "$src/hypervisor/src/kvm/kvm_parse.c" ] &&
  targets[fuzz_kvmparse]="hypervisor/src/kvm/kvm_parse.c hypervisor/src/sysio.c hypervisor/src/err.c"
[ -f "$src/hypervisor/src/kvm/kvm_stats.c" ] &&
  targets[fuzz_kvmstats]="hypervisor/src/kvm/kvm_stats.c hypervisor/src/err.c"
[ -f "$src/hypervisor/src/linux/netdev.c" ] &&
  targets[fuzz_netdev]="hypervisor/src/linux/netdev.c hypervisor/src/xen/xen_pure.c hypervisor/src/knob.c hypervisor/src/err.c"
[ -f "$src/hypervisor/src/libvirt/lv_tab.c" ] &&
  targets[fuzz_lvparse]="hypervisor/src/libvirt/lv_tab.c hypervisor/src/sysio.c hypervisor/src/err.c"
[ -f "$src/hypervisor/src/ras.c" ] &&
  targets[fuzz_mce]="hypervisor/src/ras.c hypervisor/src/snapshot.c hypervisor/src/rates.c hypervisor/src/err.c hypervisor/src/sysio.c -lm"
rc=0
for t in "${!targets[@]}"; do
  srcs=""
  for f in ${targets[$t]}; do
    case $f in -*) srcs="$srcs $f" ;; *) srcs="$srcs $src/$f" ;; esac
  done
  if ! clang $flags $inc "$src/tests/fuzz/$t.c" $srcs -o "$out/$t" 2>"$out/$t.build.log"; then
    echo "fuzz: $t does not build:"; cat "$out/$t.build.log"; rc=1; continue
  fi
  mkdir -p "$out/$t.corpus"
  echo "== $t for ${secs}s"
  if ! (cd "$out" && "./$t" -max_total_time="$secs" -rss_limit_mb=1024 \
        -artifact_prefix="$out/$t-" "$out/$t.corpus" >"$out/$t.log" 2>&1); then
    echo "fuzz: $t found a crash:"; tail -40 "$out/$t.log"; rc=1
  else
    tail -1 "$out/$t.log"
  fi
done
exit $rc
