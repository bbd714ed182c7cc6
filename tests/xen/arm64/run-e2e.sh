#!/usr/bin/env bash
# e2e: Xen 4.17 on arm64 under qemu-system-aarch64 (TCG, virt board with
# EL2, Cortex-A57), a Debian arm64 dom0 running hvkit's arm64 binaries (the
# cross build, $HVKIT_ARM64_BUILD) and two domUs (burn: one busy vCPU;
# idle). Checked against Xen's own tools in the same dom0:
#   domains  xentop -b vs xentop-ng -b: names, vCPUs, memory exact, domU
#            CPU% within 10 points;
#   host     hvctl names aarch64 and the CPU; no P/C-states, said why; the
#            timer rate (xl info cpu_mhz) never shown as a clock;
#   pools    hvctl cpu offline/online 1 move cpu1 out of Pool-0 and back
#            (xl cpupool-list), cpu0 refused;
#   metrics  hv-webd --dump-metrics is promtool-clean, hv_host_info has
#            arch and cpu_model;
#   parking  hv-powerd parks cpu1 (out of Pool-0) on the idle host, journals
#            it, and puts it back in Pool-0 when it stops.
# One boot. Exit 77 = cannot run here (a failure under CI=true).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${HVKIT_SRC:-$(cd "$here/../../.." && pwd)}
abuild=${HVKIT_ARM64_BUILD:-$src/build-arm64}
skip() { echo "SKIP: $*"; [ "${CI:-}" = true ] && exit 1; exit 77; }
die() { echo "FAIL: $*"; exit 1; }

command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed (qemu-system-arm)"
command -v promtool >/dev/null || skip "promtool not installed (prometheus)"
dpkg --print-foreign-architectures | grep -qx arm64 || skip "dpkg has no arm64 architecture (scripts/deps/arm64.sh)"
[ -x "$abuild/xentop-ng/xentop-ng" ] || skip "no arm64 cross build in $abuild (scripts/test.sh builds it)"
avail=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
[ "${avail:-0}" -ge 2600 ] || skip "needs ~2.6 GB free memory for QEMU, have ${avail} MB"

work=$(mktemp -d "${TMPDIR:-/tmp}/hvkit-xen-arm64.XXXXXX")
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
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
# QEMU puts its device tree at RAM base + 128 MB (0x48000000) when there is
# no -initrd: the boot modules stay clear of it (Xen BUGs on an overlap).
qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -accel tcg,thread=multi \
  -cpu cortex-a57 -smp 2 -m 2048 -nodefaults -no-user-config -display none \
  -serial "file:$log" -monitor none -no-reboot -kernel "$work/img/xen" \
  -append "dom0_mem=512M,max:512M dom0_max_vcpus=2 sched=${HVKIT_XEN_SCHED:-credit} console=dtuart dtuart=/pl011@9000000 noreboot" \
  -device guest-loader,addr=0x42000000,kernel="$work/img/Image",bootargs="console=hvc0 earlycon=xen quiet rdinit=/init" \
  -device guest-loader,addr=0x50000000,initrd="$work/img/dom0.img" >"$work/qemu.out" 2>&1 &
qpid=$!
limit=${HVKIT_XEN_TIMEOUT:-240}
while :; do
  grep -q '@@XEN-E2E-DONE' "$log" 2>/dev/null && break
  kill -0 "$qpid" 2>/dev/null || { cat "$work/qemu.out"; tail -n 40 "$log"; die "QEMU exited early"; }
  [ $(($(date +%s) - t1)) -lt "$limit" ] || { tail -n 60 "$log"; die "no result within ${limit}s"; }
  sleep 2
done
t2=$(date +%s)
kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
tr -d '\r' <"$log" >"$work/console.log"
echo "xen-arm64-e2e: images $((t1 - t0))s, boot to results $((t2 - t1))s"
grep '^@@ ' "$work/console.log"
grep -q '^@@ FAIL' "$work/console.log" && { tail -n 80 "$work/console.log"; die "dom0 reported a failure"; }

section() { awk -v s="@@BEGIN $1" -v e="@@END $1" '$0==s{f=1;next} $0==e{f=0} f && !/^\(XEN\)/ && !/^\[ *[0-9.]+\]/' "$work/console.log"; }
fails=0
check() { if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
lastiter() { awk '/^ *NAME /{n++; delete rows} n && !/^ *NAME /{rows[$1]=$0} END{for (k in rows) print rows[k]}' | sort; }

# 1. domains
section xentop | lastiter >"$work/xt.txt"
section ngtop | lastiter >"$work/ng.txt"
echo "--- xentop -b (Xen)"; cat "$work/xt.txt"
echo "--- xentop-ng -b (hvkit, arm64), same interval"; cat "$work/ng.txt"
# Columns: 1 NAME 3 CPU(sec) 4 CPU(%) 5 MEM(k) 7 MAXMEM(k) 9 VCPUS
res=$(awk 'NR == FNR { x[$1] = $0; next }
  { seen[$1] = 1; if (!($1 in x)) { print $1 " not in xentop"; next }
    split(x[$1], a)
    for (c = 5; c <= 9; c += 2) if ($c != a[c]) printf "%s column %d: %s vs xentop %s\n", $1, c, $c, a[c]
    d = $4 - a[4]; if (d < 0) d = -d
    if ($1 != "Domain-0" && !(d <= 10)) printf "%s CPU%% %s vs xentop %s\n", $1, $4, a[4] }
  END { for (k in x) if (!(k in seen)) print k " missing from xentop-ng" }' "$work/xt.txt" "$work/ng.txt")
[ -s "$work/ng.txt" ] || res="no xentop-ng output"
[ -z "$res" ] || echo "$res"
check "xentop-ng -b vs xentop -b: same domains, MEM/MAXMEM/VCPUS exact, domU CPU% within 10 points" "$([ -z "$res" ] && echo 0 || echo 1)"
for d in Domain-0 burn idle; do grep -q "^ *$d " "$work/ng.txt" || check "$d listed by xentop-ng" 1; done
f() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$work/$3"; }
check "burn domain busy (xentop-ng $(f burn 4 ng.txt)%)" "$(awk -v a="$(f burn 4 ng.txt)" 'BEGIN{print (a > 50) ? 0 : 1}')"

# 2. host view
section host >"$work/host.txt"
echo "--- host"; cat "$work/host.txt"
check "hvctl cpu list names the architecture and CPU (MIDR)" \
  "$(grep -q 'xen backend; aarch64, ARM Cortex-A57' "$work/host.txt" && echo 0 || echo 1)"
# hvctl cpu list: MHZ is column 6 of each CPU row; freq show: CUR_MHZ is 4.
check "xl info cpu_mhz is the timer's 62.5; hvctl shows no CPU clock (MHZ '-')" \
  "$(grep -Eq '^cpu_mhz +: 62.5' "$work/host.txt" &&
     awk '/^CPU +ONLINE/{f = 1; next} /^host busy/{f = 0} f && $6 != "-" {bad = 1}
          /^CPU +DRIVER/{g = 1; next} /^note:/{g = 0} g && $4 != "-" {bad = 1}
          END{exit bad}' "$work/host.txt" && echo 0 || echo 1)"
check "hvctl freq and idle say Xen on ARM has no P/C-states" \
  "$([ "$(grep -c '^note: Xen on ARM has no P/C-state' "$work/host.txt")" = 2 ] && echo 0 || echo 1)"
check "hvctl freq set refused with the reason" \
  "$(grep -q 'setgov rc=1' "$work/host.txt" && grep -q 'hvctl: .*Xen on ARM has no P/C-state' "$work/host.txt" && echo 0 || echo 1)"

# 3. cpupools
section pool >"$work/pool.txt"
echo "--- cpupools"; cat "$work/pool.txt"
pool() { awk -v p="$1:" '$1 == p && $2 == "Pool-0" {print $3}' "$work/pool.txt"; }
check "hvctl cpu offline 1: rc 0, cpu1 out of Pool-0 ($(pool after_offline)), hvkit reads it offline" \
  "$(grep -q 'offline1 rc=0' "$work/pool.txt" && [ "$(pool before)" = 0,1 ] && [ "$(pool after_offline)" = 0 ] && grep -q 'hvkit: "id":1,"online":false' "$work/pool.txt" && echo 0 || echo 1)"
check "hvctl cpu online 1: back in Pool-0 ($(pool after_online)), and hvctl said cpupools stand in" \
  "$(grep -q 'online1 rc=0' "$work/pool.txt" && [ "$(pool after_online)" = 0,1 ] && grep -q 'cpupools stand in' "$work/pool.txt" && echo 0 || echo 1)"
check "hvctl cpu offline 0 refused (boot CPU), Pool-0 unchanged" \
  "$(grep -q 'offline0 rc=1' "$work/pool.txt" && grep -q 'boot CPU' "$work/pool.txt" && [ "$(pool after_cpu0)" = 0,1 ] && echo 0 || echo 1)"

# 4. metrics
section metrics >"$work/metrics.txt"
pt=$(promtool check metrics <"$work/metrics.txt" 2>&1)
check "hv-webd --dump-metrics is promtool-clean ($(wc -l <"$work/metrics.txt") lines)${pt:+: $pt}" "$([ -z "$pt" ] && [ -s "$work/metrics.txt" ] && echo 0 || echo 1)"
check "hv_host_info has arch=aarch64 and the CPU model" \
  "$(grep -q 'hv_host_info{.*backend="xen".*arch="aarch64",cpu_model="ARM Cortex-A57 r1p0"} 1' "$work/metrics.txt" && echo 0 || echo 1)"
check "metrics list the 3 domains" "$(grep -q '^hv_host_domains 3$' "$work/metrics.txt" && echo 0 || echo 1)"

# 5. hv-powerd parking through cpupools (burn destroyed first: the host idles)
section park >"$work/park.txt"
echo "--- hv-powerd parking"; cat "$work/park.txt"
ppool() { awk -v p="$1:" '$1 == p && $2 == "Pool-0" {print $3}' "$work/park.txt"; }
check "hv-powerd parks cpu1 out of Pool-0 ($(ppool parked)) and journals the set of cpu/1/online" \
  "$([ "$(ppool before)" = 0,1 ] && [ "$(ppool parked)" = 0 ] &&
     grep -q '^journal: .*"event":"set".*"knob":"cpu/1/online"' "$work/park.txt" && echo 0 || echo 1)"
check "hv-powerd stops (rc 0), cpu1 back in Pool-0 ($(ppool after_stop)), journalled ($(grep -Eo '"event":"(restored|released)"' "$work/park.txt" | tr '\n' ' '))" \
  "$(grep -q 'powerd rc=0' "$work/park.txt" && [ "$(ppool after_stop)" = 0,1 ] &&
     grep -Eq '^journal: .*"event":"(restored|released)".*"knob":"cpu/1/online"' "$work/park.txt" &&
     ! grep -q '"event":"failed"' "$work/park.txt" && echo 0 || echo 1)"

echo "xen-arm64-e2e: $(($(date +%s) - t0))s in all"
[ "$fails" -gt 0 ] && die "$fails check(s) failed"
echo "PASS: xen arm64 e2e"
