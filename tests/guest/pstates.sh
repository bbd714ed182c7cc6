#!/usr/bin/env bash
# e2e: a 2-vCPU guest with --pstates gets acpi-cpufreq with the SSDT's three
# P-states, acpi_idle POLL+C1, and can offline a CPU: what hv-powerd's
# in-guest tests rely on. Also checks the `output run` hook path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H=$here/hvguest
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
command -v iasl >/dev/null || skip "iasl missing (acpica-tools)"
export HVKIT_GUEST_RUN
HVKIT_GUEST_RUN=$(mktemp -d /tmp/hvkit-pstates.XXXXXX)
g=hvpst$$
tmp=$(mktemp -d)
trap '"$H" stop-all; rm -rf "$HVKIT_GUEST_RUN" "$tmp"' EXIT
fail() { echo "FAIL: $*"; "$H" console "$g" | tail -n 30; exit 1; }
cat >"$tmp/run" <<'HOOK'
#!/bin/sh
c=/sys/devices/system/cpu
echo "driver=$(cat $c/cpu0/cpufreq/scaling_driver)"
echo "freqs=$(cat $c/cpu0/cpufreq/scaling_available_frequencies)"
echo "idle=$(cat $c/cpu0/cpuidle/state*/name | tr '\n' ',')"
echo 0 >$c/cpu1/online && echo "online=$(cat $c/online)"
HOOK
"$H" start "$g" --vcpus 2 --pstates --run "$tmp/run" --ttl 300
"$H" wait-for "$g" 'HVKIT-RUN-DONE' 240 || fail "hook did not finish"
out=$("$H" output "$g" run)
echo "$out"
echo "$out" | grep -qx 'driver=acpi-cpufreq' || fail "no acpi-cpufreq"
echo "$out" | grep -q '^freqs=2600000 2000000 1200000' || fail "wrong P-states"
echo "$out" | grep -qx 'idle=POLL,C1,' || fail "no POLL+C1"
echo "$out" | grep -qx 'online=0' || fail "cpu1 did not go offline"
echo PASS
