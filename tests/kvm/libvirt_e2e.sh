#!/usr/bin/env bash
# e2e: the kvm backend's libvirt source against a real libvirtd started
# here (virtlogd -d, libvirtd -d; PID 1 is not systemd), inside a network
# namespace this test creates (so its taps never reach the root one), with
# one TCG domain booted from the test guest (tests/guest: direct kernel
# boot), a virtio disk on a raw file with cache=none, a balloon, one tap
# and one user-mode NIC. Compared with virsh: names and UUIDs, CPU% against
# cpu.time deltas (5 points), the guest's dd bytes on vda (10 %), setmem,
# suspend/resume, both NICs, a restart under the same UUID with another
# tap (a long-lived backend shows the new run's NICs). Faults: libvirtd
# killed and restarted while sampling (stale marks, recovery within 2
# samples), the domain destroyed while sampling (never half-filled).
# Env: KVM_E2E_TOOL (kvm_e2e_tool).
set -u
here=$(cd "$(dirname "$0")" && pwd)
tool=${KVM_E2E_TOOL:?}
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
t_start=$SECONDS

for b in libvirtd virtlogd virsh qemu-system-x86_64 ip jq; do
  command -v "$b" >/dev/null || skip "$b not installed (scripts/deps/libvirt.txt)"
done
[ "$(id -u)" = 0 ] || skip "needs root (libvirtd, netns)"
if pidof libvirtd >/dev/null; then
  fail "a libvirtd runs already: this test starts (and kills) its own"
fi

guest=$(HVKIT_GUEST_MODULES=virtio_balloon "$here/../guest/hvguest" build | tail -n1) ||
  fail "guest build failed"
[ -s "$guest/initrd.img" ] || fail "no guest in $guest"
kernel=$guest/vmlinux
[ -s "$kernel" ] || kernel=$guest/bzImage

tmp=$(mktemp -d /var/tmp/hvlv-e2e.XXXXXX)
chmod 755 "$tmp"
ns=hvlv-$$
dom=hvlv-e2e-$$
uri=qemu:///system
lvpid='' vlpid=''
cleanup() {
  virsh -c "$uri" destroy "$dom" >/dev/null 2>&1
  [ -n "$lvpid" ] && kill "$lvpid" 2>/dev/null
  [ -n "$vlpid" ] && kill "$vlpid" 2>/dev/null
  sleep 0.5
  [ -n "$lvpid" ] && kill -9 "$lvpid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# libvirt's QEMU runs as libvirt-qemu: its files in a world-readable dir.
cp "$kernel" "$tmp/kernel"
cp "$guest/initrd.img" "$tmp/initrd"
dd if=/dev/zero of="$tmp/disk.raw" bs=1M count=64 conv=fsync status=none
chmod 644 "$tmp"/*

# The daemon's pid from its pid file (pidof can catch the parent of -d
# between fork and exit as well).
start_libvirtd() {
  ip netns exec "$ns" libvirtd -d || fail "libvirtd -d failed"
  lvpid=''
  for _ in $(seq 1 150); do
    lvpid=$(cat /run/libvirtd.pid 2>/dev/null)
    [ -n "$lvpid" ] && kill -0 "$lvpid" 2>/dev/null &&
      virsh -c "$uri" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "libvirtd did not answer in 30 s: $(tail -3 /var/log/libvirt/libvirtd.log 2>/dev/null)"
}
kill_libvirtd() { # SIGKILL, and wait until it is gone
  kill -9 "$lvpid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$lvpid" 2>/dev/null || return 0; sleep 0.1; done
  fail "libvirtd $lvpid survived SIGKILL"
}

mkdir -p /var/log/libvirt/qemu
ip netns add "$ns" || fail "ip netns add"
ip -n "$ns" link set lo up
if ! pidof virtlogd >/dev/null; then
  virtlogd -d || fail "virtlogd -d failed"
  vlpid=$(cat /run/virtlogd.pid 2>/dev/null)
fi
start_libvirtd

cat >"$tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>192</memory>
  <currentMemory unit='MiB'>192</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$tmp/kernel</kernel>
    <initrd>$tmp/initrd</initrd>
    <cmdline>console=ttyS0,115200 panic=-1 quiet loglevel=3 hvkit.burn=1 hvkit.disk=32</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$tmp/disk.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='ethernet'>
      <target dev='hvlvt$$' managed='yes'/>
      <model type='virtio'/>
    </interface>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$tmp/console.log'/><target port='0'/></serial>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
EOF
virsh -c "$uri" create "$tmp/dom.xml" >/dev/null || fail "virsh create"
uuid=$(virsh -c "$uri" domuuid "$dom" | head -n1)
pid=$(pgrep -f "guest=$dom," | head -n1)
[ -n "$pid" ] || fail "no QEMU for $dom"
echo "domain $dom uuid $uuid pid $pid (libvirtd up at +$((SECONDS - t_start)) s)"

wait_console() { # REGEX TIMEOUT
  for _ in $(seq 1 $(($2 * 5))); do
    grep -a -m1 -o -E "$1.*" "$tmp/console.log" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
wait_console 'HVKIT-DISK-DONE bytes=[0-9]+' 120 >"$tmp/dd" ||
  fail "guest's dd never finished: $(tail -c 400 "$tmp/console.log" 2>/dev/null)"
dd_bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$tmp/dd")
echo "guest read $dd_bytes bytes (+$((SECONDS - t_start)) s)"

# One hvkit sample (the libvirt table is the previous sample's call's:
# three samples 300 ms apart).
sample() { "$tool" 200 3 300 | jq -c --arg u "$uuid" '.doms[] | select(.uuid == $u)'; }
vstat() { virsh -c "$uri" domstats "$dom" "$@" | sed -n 's/^ *//p'; }
vkey() { sed -n "s/^$1=//p" | head -n1; }

# ---- identity, disk, NICs ----
j=$(sample)
[ -n "$j" ] || fail "no domain with uuid $uuid in hvkit's sample"
name=$(jq -r .name <<<"$j")
[ "$name" = "$dom" ] || fail "name '$name' != virsh's '$dom'"
[ $(($(jq -r .sources <<<"$j") & 128)) -ne 0 ] || fail "no libvirt data: $(jq -r .note <<<"$j")"
vblk=$(vstat --block)
v_rd=$(vkey block.0.rd.bytes <<<"$vblk")
h_rd=$(jq -r '.blk[] | select(.name == "vda") | .rd_bytes' <<<"$j")
[ -n "$h_rd" ] && [ "$h_rd" != null ] || fail "no vda in hvkit: $(jq -c .blk <<<"$j")"
echo "vda rd_bytes: hvkit $h_rd virsh $v_rd guest dd $dd_bytes"
awk -v h="$h_rd" -v v="$v_rd" -v d="$dd_bytes" 'BEGIN {
  if (v <= 0 || h < 0.9 * v || h > 1.1 * v) exit 1
  if (h < 0.9 * d) exit 1 }' || fail "vda bytes off by more than 10 %"
[ "$(jq -r '.blk[0].capacity_b' <<<"$j")" = $((64 << 20)) ] ||
  fail "vda capacity $(jq -r '.blk[0].capacity_b' <<<"$j") != 64 MiB"
nnet=$(jq '.net | length' <<<"$j")
[ "$nnet" = 2 ] || fail "$nnet NICs, want the tap and the user-mode one: $(jq -c .net <<<"$j")"
[ "$(jq -r '.net[0].name' <<<"$j")" = "hvlvt$$" ] || fail "tap name: $(jq -c .net <<<"$j")"
[ "$(jq -r '.net[0].rx_bytes' <<<"$j")" != null ] || fail "tap without counters"
[ "$(jq -r '.net[1].type' <<<"$j")" = user ] || fail "user NIC: $(jq -c .net[1] <<<"$j")"
echo "NICs: $(jq -c '[.net[] | {name, type, rx_bytes, tx_bytes}]' <<<"$j")"

# ---- CPU% against virsh cpu.time over the same window ----
c0=$(vstat --cpu-total | vkey cpu.time)
h0=$("$tool" 200 1 | jq --arg u "$uuid" '.doms[] | select(.uuid == $u) | .cpu_ns')
t0=$(date +%s%N)
sleep 3
c1=$(vstat --cpu-total | vkey cpu.time)
h1=$("$tool" 200 1 | jq --arg u "$uuid" '.doms[] | select(.uuid == $u) | .cpu_ns')
t1=$(date +%s%N)
awk -v c0="$c0" -v c1="$c1" -v h0="$h0" -v h1="$h1" -v dt=$((t1 - t0)) 'BEGIN {
  v = 100 * (c1 - c0) / dt; h = 100 * (h1 - h0) / dt
  printf "CPU%%: hvkit %.1f virsh %.1f\n", h, v
  if (h - v > 5 || v - h > 5) exit 1 }' || fail "CPU% differs by more than 5 points"

# ---- setmem: the balloon's current size ----
virsh -c "$uri" setmem "$dom" 131072 --live >/dev/null || fail "virsh setmem"
ok=''
for _ in $(seq 1 20); do
  cur=$(vstat --balloon | vkey balloon.current)
  m=$(sample | jq -r .mem_kib)
  if [ "$cur" = 131072 ] && [ "$m" = 131072 ]; then ok=1; break; fi
  sleep 0.5
done
[ -n "$ok" ] || fail "setmem 131072 KiB: virsh says $cur, hvkit $m"
echo "setmem: hvkit mem_kib $m = virsh balloon.current $cur"
# A long-lived backend asks for the balloon group at its first call and
# every 5th after: the calls between carry the values over, never "not
# yet" nor -m. Eight samples 100 ms apart: the last has carried values.
m=$("$tool" 200 8 100 | jq -r --arg u "$uuid" '.doms[] | select(.uuid == $u) | .mem_kib')
[ "$m" = 131072 ] || fail "balloon carried between calls: mem_kib $m, want 131072"

# ---- suspend / resume ----
virsh -c "$uri" suspend "$dom" >/dev/null || fail "virsh suspend"
j=$(sample)
[ "$(jq -r .state <<<"$j")" = 16 ] || fail "suspended: state $(jq -r .state <<<"$j") ($(jq -r .note <<<"$j"))"
[ "$(jq -r .state_why <<<"$j")" = user ] || fail "suspended: reason '$(jq -r .state_why <<<"$j")'"
virsh -c "$uri" resume "$dom" >/dev/null || fail "virsh resume"
j=$(sample)
st=$(jq -r .state <<<"$j")
[ "$st" = 32 ] || [ "$st" = 4 ] || fail "resumed: state $st"
echo "suspend/resume: paused (user), then state $st ($(jq -r .state_why <<<"$j"))"

# ---- fault: libvirtd killed and restarted while hvkit samples ----
"$tool" 200 24 500 all >"$tmp/run1" &
tp=$!
sleep 2
kill_libvirtd
sleep 3
start_libvirtd
ready=$(date +%s%N)
wait "$tp" || fail "sampling failed across the libvirtd restart"
jq -c --arg u "$uuid" '{w: .wall_ns, d: (.doms[] | select(.uuid == $u))}' "$tmp/run1" >"$tmp/r1"
[ "$(wc -l <"$tmp/r1")" = 24 ] || fail "the domain was missing from some samples"
nstale=$(jq -s '[.[] | select(.d.stale / 128 | floor % 2 == 1)] | length' "$tmp/r1")
[ "$nstale" -ge 1 ] || fail "no sample marked stale while libvirtd was dead"
jq -e -s 'all(.[]; .d.cpu_ns != null)' "$tmp/r1" >/dev/null || fail "procfs data stopped with libvirtd"
late=$(jq -s --argjson t "$ready" '[.[] | select(.w > $t)] | .[2:] |
  [.[] | select((.d.stale / 128 | floor % 2 == 1) or (.d.sources / 128 | floor % 2 == 0))] | length' "$tmp/r1")
[ "$late" = 0 ] || fail "$late samples still without fresh libvirt data 2 samples after libvirtd answered"
echo "libvirtd restart: $nstale stale samples, recovered within 2 samples ($(jq -r '.d.note' "$tmp/r1" | sort -u | grep -v '^$' | head -2 | tr '\n' '|'))"

# ---- the domain started again under its UUID, with another tap ----
# A long-lived backend keeps what the stats leave out (the NIC list from
# the XML, balloon values) per guest run: the new run's tap is named at
# once, never the old run's name, nor the new tap as an unnamed extra.
sed -e "s|<name>|<uuid>$uuid</uuid><name>|" -e "s|hvlvt$$|hvlvu$$|" \
  "$tmp/dom.xml" >"$tmp/dom2.xml"
"$tool" 200 24 300 all >"$tmp/run3" &
tp=$!
sleep 1
virsh -c "$uri" destroy "$dom" >/dev/null || fail "virsh destroy (restart)"
virsh -c "$uri" create "$tmp/dom2.xml" >/dev/null || fail "virsh create (restart)"
again=$(date +%s%N)
wait "$tp" || fail "sampling failed across the restart"
jq -c --arg u "$uuid" --argjson t "$again" \
  'select(.wall_ns > $t + 1000000000) | .doms[] | select(.uuid == $u) | [.net[].name]' \
  "$tmp/run3" >"$tmp/r3"
[ -s "$tmp/r3" ] || fail "restarted domain not sampled 1 s after its start"
bad=$(jq -s --arg n "hvlvu$$" '[.[] | select(length != 2 or .[0] != $n)] | length' "$tmp/r3")
[ "$bad" = 0 ] || fail "restart: $bad samples with the old run's NICs: $(sort -u "$tmp/r3" | tr '\n' ' ')"
echo "restart under the same UUID: NICs $(tail -n1 "$tmp/r3") ($(wc -l <"$tmp/r3") samples)"

# ---- fault: the domain destroyed while hvkit samples ----
"$tool" 200 10 300 all >"$tmp/run2" &
tp=$!
sleep 1
virsh -c "$uri" destroy "$dom" >/dev/null || fail "virsh destroy"
gone=$(date +%s%N)
wait "$tp"
jq -c --arg u "$uuid" '{w: .wall_ns, d: [.doms[] | select(.uuid == $u)]}' "$tmp/run2" >"$tmp/r2"
# present: whole (procfs' own data there); after the destroy returned: gone
jq -e -s 'all(.[]; (.d | length == 0) or (.d[0].cpu_ns != null and (.d[0].vcpu | length) == 1 and .d[0].vcpu[0].time_ns != null))' \
  "$tmp/r2" >/dev/null || fail "a half-filled domain: $(cat "$tmp/r2")"
after=$(jq -s --argjson t "$gone" '[.[] | select(.w > $t and (.d | length) > 0)] | length' "$tmp/r2")
[ "$after" = 0 ] || fail "the destroyed domain shown in $after samples after it was gone"
echo "destroy: never half-filled, gone at once"
echo "libvirt e2e: OK in $((SECONDS - t_start)) s"
