#!/usr/bin/env bash
# bench_libvirt.sh BUILD [N] [SCRAPES]: hvkit with libvirt data against
# libvirt's own tools, on N libvirt-managed TCG guests (default 4) this
# script starts (with its own libvirtd in a network namespace), every
# figure beside its baseline measured in the same run:
#   0. libvirtd's CPU per bulk call for each stats group alone, for the
#      groups hvkit asks for and for all six (bench_lvgroups; LVGROUPS_ONLY=1
#      stops after this, LVGROUP_CALLS calls per set, default 30);
#   1. libvirt's bulk call vs hvkit's procfs-only sample;
#   2. a kvm sample with libvirt data vs the procfs-only one (target <= 2x);
#   3. `virsh domstats` as a process vs `hvctl --json domains`;
#   4. hv-webd's /metrics vs prometheus-libvirt-exporter's (target >= 10x
#      faster), SCRAPES scrapes each (default 20);
#   5. CPU over those scrapes at 1/s: hv-webd + libvirtd vs the exporter +
#      libvirtd (target <= 0.5), in ROUNDS alternating windows (default 3).
set -u
build=${1:?usage: bench_libvirt.sh BUILD [N] [SCRAPES]}
n=${2:-4} scrapes=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../..
for b in libvirtd virtlogd virsh curl prometheus-libvirt-exporter; do
  command -v "$b" >/dev/null || { echo "bench_libvirt: $b not installed"; exit 1; }
done
pidof libvirtd >/dev/null && { echo "bench_libvirt: a libvirtd runs already"; exit 1; }
guest=$("$src/tests/guest/hvguest" build | tail -n1) || exit 1
kernel=$guest/vmlinux; [ -s "$kernel" ] || kernel=$guest/bzImage
tmp=$(mktemp -d /var/tmp/hvlv-bench.XXXXXX); chmod 755 "$tmp"
ns=hvlvb-$$ uri=qemu:///system
lvpid='' vlpid='' wpid='' epid=''
cleanup() {
  for i in $(seq 1 "$n"); do virsh -c "$uri" destroy "hvlvb$$-$i" >/dev/null 2>&1; done
  for p in $wpid $epid $lvpid $vlpid; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
cp "$kernel" "$tmp/kernel"; cp "$guest/initrd.img" "$tmp/initrd"; chmod 644 "$tmp"/*
mkdir -p /var/log/libvirt/qemu
ip netns add "$ns"
pidof virtlogd >/dev/null || { virtlogd -d; vlpid=$(cat /run/virtlogd.pid 2>/dev/null); }
ip netns exec "$ns" libvirtd -d
for _ in $(seq 1 150); do virsh -c "$uri" version >/dev/null 2>&1 && break; sleep 0.2; done
lvpid=$(cat /run/libvirtd.pid)
for i in $(seq 1 "$n"); do
  dd if=/dev/zero of="$tmp/d$i.raw" bs=1M count=16 status=none
  cat >"$tmp/d$i.xml" <<X
<domain type='qemu'><name>hvlvb$$-$i</name><memory unit='MiB'>128</memory>
<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>
<kernel>$tmp/kernel</kernel><initrd>$tmp/initrd</initrd>
<cmdline>console=ttyS0 panic=-1 quiet loglevel=3 hvkit.idle</cmdline></os>
<cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
<devices><emulator>$(command -v qemu-system-x86_64)</emulator>
<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/>
<source file='$tmp/d$i.raw'/><target dev='vda' bus='virtio'/></disk>
<interface type='ethernet'><target dev='hvlvb$i-$$' managed='yes'/><model type='virtio'/></interface>
<memballoon model='virtio'/></devices></domain>
X
  virsh -c "$uri" create "$tmp/d$i.xml" >/dev/null || exit 1
done
sleep 8 # boot
med() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }
echo "bench_libvirt: $n libvirt guests (TCG, idle), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"

# 0: libvirtd's CPU per stats group (each alone, hvkit's set, all six)
if [ -x "$build/bench/libvirt/bench_lvgroups" ]; then
  echo "libvirtd CPU per bulk call, by stats group ($n guests):"
  "$build/bench/libvirt/bench_lvgroups" "$uri" "$lvpid" "${LVGROUP_CALLS:-30}" |
    awk '{printf "  %-20s libvirtd %7.2f ms  client %6.2f ms  call %7.2f ms  %5d keys\n", $2, $4 / 1000, $6 / 1000, $8, $10}'
fi
[ -n "${LVGROUPS_ONLY:-}" ] && exit 0
# 1, 2
"$build/bench/libvirt/bench_lvsample" 6 "$uri" >"$tmp/s" || exit 1
v() { sed -n "s/^$1 //p" "$tmp/s"; }
printf '%-46s %10s %10s %8s\n' figure hvkit baseline ratio
printf '%-46s %10s %10s %8s\n' "libvirt bulk call vs procfs-only sample (ms)" "$(v sample_procfs_ms)" "$(v bulk_call_ms)" \
  "$(awk -v a="$(v bulk_call_ms)" -v b="$(v sample_procfs_ms)" 'BEGIN {printf "%.1fx", a / b}')"
printf '%-46s %10s %10s %8s\n' "sample with libvirt vs procfs-only (ms)" "$(v sample_libvirt_ms)" "$(v sample_procfs_ms)" "$(v sample_ratio)x"
# 3
for _ in 1 2 3 4 5; do ms virsh -c "$uri" domstats; done | med >"$tmp/virsh"
for _ in 1 2 3 4 5; do ms "$build/hypervisor/hvctl/hvctl" --json domains; done | med >"$tmp/hvctl"
for _ in 1 2 3 4 5; do HVKIT_LIBVIRT_URI=none ms "$build/hypervisor/hvctl/hvctl" --json domains; done | med >"$tmp/hvctl0"
printf '%-46s %10s %10s %8s\n' "hvctl --json domains vs virsh domstats (ms)" \
  "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/hvctl")" "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/virsh")" \
  "$(awk -v a="$(cat "$tmp/virsh")" -v b="$(cat "$tmp/hvctl")" 'BEGIN {printf "%.1fx", a / b}')"
printf '%-46s %10s %10s %8s\n' "  the same, hvctl without libvirt (uri none)" \
  "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/hvctl0")" "$(awk '{printf "%.1f", $1 / 1000}' "$tmp/virsh")" \
  "$(awk -v a="$(cat "$tmp/virsh")" -v b="$(cat "$tmp/hvctl0")" 'BEGIN {printf "%.1fx", a / b}')"
echo "(a one-shot hvctl waits for libvirt's first reply, up to the deadline)"
# 4, 5: both daemons run, one at a time (the other stopped with SIGSTOP,
# so libvirtd's ticks in a window are that daemon's doing), in ROUNDS
# alternating windows (default 3) so that a change in the load others put
# on the machine weighs on both sides alike.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
"$build/webui/hv-webd" -l 127.0.0.1:0 --port-file "$tmp/port" >/dev/null 2>&1 &
wpid=$!
prometheus-libvirt-exporter --web.listen-address=127.0.0.1:19177 --libvirt.uri="$uri" >/dev/null 2>&1 &
epid=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.2; done
sleep 3
kill -STOP "$epid"
rounds=${ROUNDS:-3}
per=$(((scrapes + rounds - 1) / rounds))
: >"$tmp/wms"; : >"$tmp/ems"
window() { # PID URL MSFILE -> "daemon_ticks libvirtd_ticks" of PER scrapes at 1/s
  local pid=$1 url=$2 c0 l0 c1 l1
  kill -CONT "$pid"; sleep 1
  c0=$(ticks "$pid"); l0=$(ticks "$lvpid")
  # time of the HTTP exchange alone (curl's own clock), not curl's start
  for _ in $(seq 1 "$per"); do
    curl -sf -o /dev/null -w '%{time_total}\n' "$url" | awk '{printf "%d\n", $1 * 1e6}' >>"$3"
    sleep 1
  done
  c1=$(ticks "$pid"); l1=$(ticks "$lvpid")
  kill -STOP "$pid"
  echo "$((c1 - c0)) $((l1 - l0))"
}
wc=0 wl=0 ec=0 el=0
for _ in $(seq 1 "$rounds"); do
  read -r a b < <(window "$wpid" "http://127.0.0.1:$(cat "$tmp/port")/metrics" "$tmp/wms")
  wc=$((wc + a)) wl=$((wl + b))
  read -r a b < <(window "$epid" "http://127.0.0.1:19177/metrics" "$tmp/ems")
  ec=$((ec + a)) el=$((el + b))
done
kill -CONT "$wpid" "$epid"
wm=$(med <"$tmp/wms") em=$(med <"$tmp/ems")
printf '%-46s %10s %10s %8s\n' "hv-webd /metrics vs libvirt exporter (ms)" \
  "$(awk -v x="$wm" 'BEGIN {printf "%.1f", x / 1000}')" "$(awk -v x="$em" 'BEGIN {printf "%.1f", x / 1000}')" \
  "$(awk -v a="$em" -v b="$wm" 'BEGIN {printf "%.1fx", a / b}')"
printf '%-46s %10s %10s %8s\n' "CPU ticks, daemon + libvirtd, $((rounds * per)) scrapes" \
  "$((wc + wl))" "$((ec + el))" "$(awk -v a=$((wc + wl)) -v b=$((ec + el)) 'BEGIN {printf "%.2f", b ? a / b : 0}')"
printf '%-46s %10s %10s %8s\n' "  of which libvirtd" "$wl" "$el" \
  "$(awk -v a="$wl" -v b="$el" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
printf '%-46s %10s %10s %8s\n' "  of which the daemon itself" "$wc" "$ec" \
  "$(awk -v a="$wc" -v b="$ec" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
echo "(hv-webd samples every second on its own, the exporter asks libvirt at each scrape; $rounds alternating windows; load now $(cut -d' ' -f1 /proc/loadavg))"
