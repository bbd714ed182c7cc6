#!/usr/bin/env bash
# e2e: the hardware-counter aliases on a real armv8_pmuv3 (QEMU's emulated
# PMU, arm64 Linux under qemu-system-aarch64, TCG). The arm64 rdt_pmu_count
# (from $HVKIT_ARM64_BUILD) prints what each alias encodes to and counts a
# loop of known work (N iterations of subs + b.ne) on its own thread; the
# guest's init prints the kernel's own armv8_pmuv3 events/ files. Two boots:
#   -cpu neoverse-n1 -icount shift=0: libpfm4 names arm_n1; instructions =
#     arm_n1::INST_RETIRED, PERF_TYPE_RAW 0x8 = the kernel's inst_retired,
#     counting 2N (+ the few instructions around the ioctls); cycles =
#     CPU_CYCLES 0x11; llc_misses left out (QEMU has no cache events), said.
#   -cpu max: a core libpfm4 has no table for: generic events; the PMU
#     refuses instructions (no INST_RETIRED without -icount) and
#     cache-misses, which are left out once, cycles counted.
# Debian's arm64 kernel and busybox-static are fetched with apt-get download
# into the guest cache and unpacked there, as the other arm64 tests do.
set -euo pipefail
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
abuild=${HVKIT_ARM64_BUILD:-$src/build-arm64}
probe=$abuild/tests/rdt/rdt_pmu_count
cache=${HVKIT_GUEST_CACHE:-/var/cache/hvkit-guest}/arm64
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; rc=1; }
command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 missing (qemu-system-arm)"
[ -x "$probe" ] || skip "$probe not built (the arm64 cross build, scripts/test.sh)"
libdir=/usr/lib/aarch64-linux-gnu
[ -e $libdir/libpfm.so.4 ] || skip "libpfm4:arm64 missing (scripts/deps/arm64.sh)"

# Kernel and busybox: one unpacked tree per package version pair.
mkdir -p "$cache/debs" && chmod 777 "$cache/debs" # apt-get download runs as _apt
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub(/:arm64$/, "", $2); print $2; exit}')
[ -n "$kpkg" ] || skip "no linux-image-arm64:arm64 in apt's lists (dpkg --add-architecture arm64; apt-get update)"
ver() { apt-cache policy "$1:arm64" | awk '/Candidate:/{print $2}'; }
tree=$cache/pmu-$(echo "$kpkg=$(ver "$kpkg") busybox-static=$(ver busybox-static)" | md5sum | cut -c1-12)
exec 9>"$cache/.lock"
flock -w 600 9 || { echo "FAIL: timeout waiting for $cache/.lock"; exit 1; }
if [ ! -f "$tree/.done" ]; then
  rm -rf "$tree" && mkdir -p "$tree"
  for p in "$kpkg" busybox-static; do
    (cd "$cache/debs" && apt-get download -q "$p:arm64" >/dev/null 2>&1) || { echo "FAIL: apt-get download $p:arm64"; exit 1; }
    dpkg-deb -x "$(ls -1t "$cache/debs/${p}_"*_arm64.deb | head -n1)" "$tree"
  done
  touch "$tree/.done"
fi
flock -u 9
kernel=$(ls -1 "$tree"/boot/vmlinuz-* | head -n1)

work=$(mktemp -d /tmp/hvkit-pmuarm.XXXXXX)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r"/{bin,proc,sys,dev,tmp,lib,usr/lib/aarch64-linux-gnu}
cp "$tree/bin/busybox" "$r/bin/"
for a in sh mount cat ls echo poweroff; do ln -s busybox "$r/bin/$a"; done
# loader and libc from one package (libc6:arm64), see docs/arch/arm64.md
for l in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libcjson.so.1 libpfm.so.4; do
  cp -L "$libdir/$l" "$r/usr/lib/aarch64-linux-gnu/"
done
ln -s /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$r/lib/ld-linux-aarch64.so.1"
cp "$probe" "$r/bin/pmu_count"
n=10000000
cat >"$r/init" <<EOF
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys
export LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu
for d in /sys/bus/event_source/devices/armv8*; do
  for e in \$d/events/*; do echo "kernel \${e##*/} \$(cat \$e)"; done
done
/bin/pmu_count $n
echo "pmu_count exit \$?"
poweroff -f
EOF
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet -R 0:0) >"$work/initrd"

boot() { # boot CPU [QEMU ARGS]: the guest's console into $work/$1.log
  local cpu=$1
  shift
  timeout 180 qemu-system-aarch64 -M virt -cpu "$cpu" "$@" -smp 1 -m 256 \
    -nographic -no-reboot -kernel "$kernel" -initrd "$work/initrd" \
    -append "console=ttyAMA0 quiet panic=-1" >"$work/$cpu.log" 2>&1 || true
  tr -d '\r' <"$work/$cpu.log" | grep -E '^(kernel|hw_check|slot|note|event|count|pmu_count) ' >"$work/$cpu.out" || true
  echo "--- -cpu $cpu $*"
  cat "$work/$cpu.out"
  grep -q '^pmu_count exit 0' "$work/$cpu.out" || { echo "FAIL: no result from the guest (-cpu $cpu); console tail:"; tail -n 20 "$work/$cpu.log"; exit 1; }
}
has() { grep -qxF "$2" "$work/$1.out" || fail "-cpu $1: no line \"$2\""; }
kernel_num() { awk -v e="$2" '$1 == "kernel" && $2 == e { sub(/^event=/, "", $3); print $3 }' "$work/$1.out"; }

rc=0
t0=$(date +%s)
boot neoverse-n1 -icount shift=0
o=neoverse-n1
[ "$(kernel_num $o inst_retired)" = 0x0008 ] || fail "kernel inst_retired is not event=0x0008"
[ "$(kernel_num $o cpu_cycles)" = 0x0011 ] || fail "kernel cpu_cycles is not event=0x0011"
has $o "hw_check 1 "
has $o "slot instructions arm_n1::INST_RETIRED (0x8, instructions retired)"
has $o "slot cycles arm_n1::CPU_CYCLES (0x11, core cycles)"
has $o "note llc_misses left out: no such event on arm_n1 in armv8_pmuv3"
has $o "event instructions type 4 config 0x8 desc arm_n1::INST_RETIRED (0x8, instructions retired)"
has $o "event cycles type 4 config 0x11 desc arm_n1::CPU_CYCLES (0x11, core cycles)"
ins=$(awk '$1 == "count" && $2 == "instructions" { print $3 }' "$work/$o.out")
# 2 per iteration; the ioctls' return paths add a few user instructions
[ -n "$ins" ] && [ "$ins" -ge $((2 * n)) ] && [ "$ins" -le $((2 * n + 1000)) ] ||
  fail "instructions counted ${ins:-none}, want $((2 * n)) .. $((2 * n + 1000))"
boot max
o=max
has $o "hw_check 1 "
has $o "slot cycles perf::CYCLES"
has $o "note instructions, llc_misses left out: refused by armv8_pmuv3 (ENOENT)"
cyc=$(awk '$1 == "count" && $2 == "cycles" { print $3 }' "$work/$o.out")
# the clock-derived count depends on how fast TCG ran the loop: nonzero
[ -n "$cyc" ] && [ "$cyc" -gt 0 ] || fail "cycles counted ${cyc:-none} for $n iterations"
has $o "count instructions open-failed No such file or directory"
echo "two boots in $(($(date +%s) - t0)) s; instructions $ins for $((2 * n)) expected"
[ $rc = 0 ] && echo "PASS"
exit $rc
