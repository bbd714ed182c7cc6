#!/usr/bin/env bash
# e2e: KVM on arm64. An emulated arm64 Linux KVM host (qemu-system-aarch64
# -M virt,virtualization=on, TCG; Debian's arm64 kernel, KVM built in) runs
# one real nested KVM guest under Debian's arm64 qemu-system-aarch64
# (-accel kvm -cpu host; same kernel, busybox initramfs) whose init makes a
# known MMIO workload (mmio.c: paced 32-bit reads of fw_cfg's data register,
# each one an exit to QEMU in user space, its own count printed each
# second). hvkit's arm64 binaries (the cross build, $HVKIT_ARM64_BUILD) run
# in the emulated host; checked here, on the x86 side:
#   domain   hvctl --json domains: the guest found as a KVM domain, named
#            from -name, 1 vCPU, -m memory; xentop-ng -b lists it too;
#   exits    xentop-ng's MMIO exits/s (kvm.exits.mmio.rate) against the
#            guest's own reads/s over the same window, and against KVM's
#            debugfs counters read by the shell at both ends;
#   host     hvctl cpu list and hv_host_info say aarch64 and the CPU;
#   metrics  hv-webd --dump-metrics is promtool-clean and has the exit
#            counters (hv_domain_kvm_exits_total{kind="mmio"}).
# One boot (a boot that hangs gets one more try). Exit 77 = cannot run here
# (a failure under CI=true).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../../.." && pwd)}
abuild=${HVKIT_ARM64_BUILD:-$src/build-arm64}
cpu=${HVKIT_KVM_ARM64_CPU:-neoverse-n1}
rate=${HVKIT_KVM_ARM64_RATE:-1000}
skip() {
  echo "SKIP: $*"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
die() {
  echo "FAIL: $*"
  exit 1
}

command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed (qemu-system-arm)"
command -v aarch64-linux-gnu-gcc >/dev/null || skip "aarch64-linux-gnu-gcc not installed (scripts/deps/arm64.sh)"
command -v promtool >/dev/null || skip "promtool not installed (prometheus)"
command -v python3 >/dev/null || skip "python3 not installed"
dpkg --print-foreign-architectures | grep -qx arm64 || skip "dpkg has no arm64 architecture (scripts/deps/arm64.sh)"
[ -x "$abuild/xentop-ng/xentop-ng" ] || skip "no arm64 cross build in $abuild (scripts/test.sh builds it)"
avail=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
[ "${avail:-0}" -ge 1800 ] || skip "needs ~1.8 GB free memory for QEMU, have ${avail} MB"

work=$(mktemp -d "${TMPDIR:-/tmp}/hvkit-kvm-arm64.XXXXXX")
qpid=
stop_qemu() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
  fi
  qpid=
}
cleanup() {
  stop_qemu
  if [ -z "${HVT_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
t0=$(date +%s)
if ! HVKIT_SRC=$src HVKIT_ARM64_BUILD=$abuild "$here/mkimg.sh" "$work/img" >"$work/mkimg.log" 2>&1; then
  cat "$work/mkimg.log"
  grep -q "apt-get download\|apt's lists" "$work/mkimg.log" && skip "could not fetch Debian's arm64 packages"
  die "building the boot images failed"
fi
t1=$(date +%s)
log=$work/serial.log
# One boot, under its own limit (below ctest's TIMEOUT): a hang prints the
# console's tail. Returns 0 with results, 1 on a hang, dies when QEMU fails.
boot() {
  : >"$log"
  # The nested guest needs EL2 (virtualization=on) and GICv3 for KVM's
  # in-kernel vGIC; 2 vCPUs: one for the guest, one for hvkit.
  qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -accel tcg,thread=multi \
    -cpu "$cpu" -smp 2 -m 1024 -nodefaults -no-user-config -display none \
    -serial "file:$log" -monitor none -no-reboot -kernel "$work/img/Image" -initrd "$work/img/host.img" \
    -append "console=ttyAMA0 quiet rdinit=/init mmiorate=$rate" >"$work/qemu.out" 2>&1 &
  qpid=$!
  local limit=${HVKIT_KVM_ARM64_TIMEOUT:-200} b0
  b0=$(date +%s)
  while :; do
    grep -q '@@KVM-E2E-DONE' "$log" 2>/dev/null && break
    kill -0 "$qpid" 2>/dev/null || {
      cat "$work/qemu.out"
      tail -n 40 "$log"
      die "QEMU exited early"
    }
    if [ $(($(date +%s) - b0)) -ge "$limit" ]; then
      tail -n 60 "$log" | tr -d '\r'
      echo "no result within ${limit}s"
      stop_qemu
      return 1
    fi
    sleep 2
  done
  stop_qemu
  return 0
}
boot || { echo "one more try"; boot; } || die "the emulated host hung twice"
t2=$(date +%s)
tr -d '\r' <"$log" >"$work/console.log"
echo "kvm-arm64-e2e: images $((t1 - t0))s, boot to results $((t2 - t1))s (-cpu $cpu)"
grep '^@@ ' "$work/console.log"
grep -q '^@@ FAIL' "$work/console.log" && {
  tail -n 80 "$work/console.log"
  die "the emulated host reported a failure"
}
section() { awk -v s="@@BEGIN $1" -v e="@@END $1" '$0==s{f=1;next} $0==e{f=0} f && !/^\[ *[0-9.]+\]/' "$work/console.log"; }
for s in domains ngtop ngtab host pmu metrics debugfs guest; do section "$s" >"$work/$s.txt"; done
echo "--- hvctl domains"
sed -n '/^NAME/,$p' "$work/domains.txt"
echo "--- xentop-ng -b"
cat "$work/ngtab.txt"
echo "--- host"
cat "$work/host.txt"
echo "--- hardware counters (hv-rdt; reported, not checked)"
cat "$work/pmu.txt"
pt=$(promtool check metrics <"$work/metrics.txt" 2>&1)
python3 "$here/check.py" "$work" "$rate" "$pt"
rc=$?
echo "kvm-arm64-e2e: $(($(date +%s) - t0))s in all"
[ $rc = 0 ] || die "check(s) failed"
echo "PASS: kvm arm64 e2e"
