#!/usr/bin/env bash
# e2e: hv-rdt's monitor view through the kvm backend and the resctrl enricher
# for a real QEMU guest, with resctrl itself a fixture (this machine has no
# RDT): the guest's monitoring group is the one hv-rdt finds by name, LLC is
# the fixture's sum over L3 domains, and MBM bandwidth is checked against a
# writer that advances mbm_total_bytes at a known 100 MB per second.
set -euo pipefail
rdt=$1 mk=$2
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
H=$src/tests/guest/hvguest
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$H" ] || skip "tests/guest/hvguest not in this tree"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
if "$rdt" -b kvm -i 1 -d 0.1 -n -e '' --json >/dev/null 2>"${TMPDIR:-/tmp}/rdtkvm.$$"; then :; else
  r=$(cat "${TMPDIR:-/tmp}/rdtkvm.$$"); rm -f "${TMPDIR:-/tmp}/rdtkvm.$$"
  case "$r" in *"no backend named"*) skip "kvm backend not built in";; esac
fi
rm -f "${TMPDIR:-/tmp}/rdtkvm.$$"

d=$(mktemp -d /tmp/hvkit-rdtmon.XXXXXX)
export HVKIT_GUEST_RUN=$d/guests
mkdir -p "$HVKIT_GUEST_RUN"
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; "$H" stop-all >/dev/null 2>&1; rm -rf "$d"' EXIT
g=hvrdtmon$$
"$H" build >/dev/null || fail "guest build"
"$H" start "$g" --vcpus 1 --workload hvkit.idle
"$H" wait-ready "$g" 240 >/dev/null || fail "guest not ready"
pid=$("$H" pid "$g")

"$mk" intel "$d/fx"
R=$d/fx/sys/fs/resctrl
G=$R/mon_groups/hvkit-$pid
mkdir -p "$G/mon_data/mon_L3_00" "$G/mon_data/mon_L3_01"
echo "$pid" >"$G/tasks"
for i in 00 01; do
  echo 1048576 >"$G/mon_data/mon_L3_$i/llc_occupancy"
  echo 0 >"$G/mon_data/mon_L3_$i/mbm_local_bytes"
done
echo 0 >"$G/mon_data/mon_L3_01/mbm_total_bytes"
# 100 MB/s on L3 domain 0, from the wall clock (independent of hvkit)
( t0=$(date +%s%N); while :; do
    now=$(date +%s%N); v=$(( (now - t0) / 10 ))       # ns/10 = bytes at 1e8 B/s
    echo "$v" >"$G/mon_data/mon_L3_00/mbm_total_bytes.tmp"
    mv "$G/mon_data/mon_L3_00/mbm_total_bytes.tmp" "$G/mon_data/mon_L3_00/mbm_total_bytes"
    sleep 0.02; done ) & writer=$!
sleep 0.5

HVKIT_SYSFS=$d/fx/sys "$rdt" -b kvm -n -e '' -i 3 -d 1 --json >"$d/out"
jq -c --argjson p "$pid" '.domains[] | select(.id == $p) | {llc_bytes, mbm_total_Bps, class}' "$d/out"
jq -e --argjson p "$pid" '[.domains[] | select(.id == $p)] | length == 1' <(tail -n1 "$d/out") >/dev/null \
  || fail "guest domain not in the view"
jq -e --argjson p "$pid" '.domains[] | select(.id == $p) | .llc_bytes == 2097152' <(tail -n1 "$d/out") >/dev/null \
  || fail "LLC is not the fixture's sum"
# every refresh after the first interval: 1e8 B/s within 10%
n=$(jq --argjson p "$pid" '.domains[] | select(.id == $p) | .mbm_total_Bps | select(. != null and . > 0.9e8 and . < 1.1e8)' "$d/out" | wc -l)
[ "$n" -ge 2 ] || fail "MBM rate not ~1e8 B/s in >=2 of 3 refreshes"
jq -e --argjson p "$pid" '.domains[] | select(.id == $p) | .mbm_total_Bps != null' <(head -n1 "$d/out") >/dev/null || fail "first refresh has no rate"
echo "hv-rdt monitor on a real guest: LLC and MBM as the fixture says"
