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
. "$src/tests/guest/arm64-e2e.sh"

command -v aarch64-linux-gnu-gcc >/dev/null || skip "aarch64-linux-gnu-gcc not installed (scripts/deps/arm64.sh)"
command -v python3 >/dev/null || skip "python3 not installed"
arm64_e2e_prereqs 1800
arm64_e2e_images kvm-arm64
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
for s in domains ngtop ngtab host pmu metrics debugfs guest; do section "$s" >"$work/$s.txt"; done
echo "--- hvctl domains"
sed -n '/^NAME/,$p' "$work/domains.txt"
echo "--- xentop-ng -b"
cat "$work/ngtab.txt"
echo "--- host"
cat "$work/host.txt"
echo "--- hardware counters (hv-rdt mon on the vCPU thread)"
cat "$work/pmu.txt"
pt=$(promtool check metrics <"$work/metrics.txt" 2>&1)
python3 "$here/check.py" "$work" "$rate" "$pt" "$cpu"
rc=$?
echo "kvm-arm64-e2e: $(($(date +%s) - t0))s in all"
[ $rc = 0 ] || die "check(s) failed"
echo "PASS: kvm arm64 e2e"
