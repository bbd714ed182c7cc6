#!/usr/bin/env bash
# Latency guard with method = qos: the PM QoS request is written to
# $HVKIT_DEVFS/cpu_dma_latency (a fixture file standing for the device) as
# the kernel's binary s32 while a latency-critical synth domain is busy, and
# released on SIGTERM. Knobs of the synth backend live in memory; sysfs is
# an empty fixture root, so nothing of this machine is touched.
set -euo pipefail
bin=$HVKIT_BUILD/powerd/hv-powerd
[ -x "$bin" ] || { echo "hv-powerd not built"; exit 77; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp/run/journal.jsonl" 2>/dev/null; cat "$tmp/log"; exit 1; }
mkdir -p "$tmp/sys/devices/system/cpu" "$tmp/proc" "$tmp/dev"
printf '0\n' >"$tmp/sys/devices/system/cpu/online"
printf '0\n' >"$tmp/sys/devices/system/cpu/possible"
printf '0\n' >"$tmp/sys/devices/system/cpu/present"
: >"$tmp/dev/cpu_dma_latency"
export HVKIT_SYSFS=$tmp/sys HVKIT_PROCFS=$tmp/proc HVKIT_DEVFS=$tmp/dev HVKIT_RUNDIR=$tmp/run
cat >"$tmp/p.conf" <<'C'
[daemon]
period = 0.2
[latency]
enabled = yes
method = qos
# synth domain 3 runs (7*3 + 13j) % 100 per vCPU: busy
domains = synth-00003
busy = 1
max_latency_us = 20
hold = 1s
C
"$bin" --config "$tmp/p.conf" --backend synth 2>"$tmp/log" &
pid=$!
for i in $(seq 100); do
  [ "$(od -An -td4 "$tmp/dev/cpu_dma_latency" | tr -d ' ')" = 20 ] && break
  sleep 0.1
done
[ "$(od -An -td4 "$tmp/dev/cpu_dma_latency" | tr -d ' ')" = 20 ] || fail "no PM QoS request of 20 us"
grep -q '"knob":"qos/cpu_dma_latency","old":"none","new":"20"' "$tmp/run/journal.jsonl" || fail "request not journalled"
kill -TERM "$pid"; wait "$pid" || fail "exit $?"; pid=
grep -q '"event":"restored","policy":"latency","knob":"qos/cpu_dma_latency"' "$tmp/run/journal.jsonl" || fail "request not released"
echo "qos ok"
