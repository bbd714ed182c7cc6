#!/usr/bin/env bash
# e2e: perf task-clock through libhv on the vCPU threads of a real QEMU guest
# (one vCPU burning, one idle), checked against each thread's own run time
# in /proc/PID/task/TID/schedstat over the same interval (±10%).
set -euo pipefail
probe=$1
bprobe=${2:-}
src=${HVKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
H=$src/tests/guest/hvguest
skip() { echo "SKIP: $*"; exit 77; }
[ -x "$H" ] || skip "tests/guest/hvguest not in this tree"
[ "$(id -u)" = 0 ] || skip "needs root: perf_event_open on another process's threads (perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid))"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"

export HVKIT_GUEST_RUN
HVKIT_GUEST_RUN=$(mktemp -d /tmp/hvkit-rdt.XXXXXX)
trap '"$H" stop-all >/dev/null 2>&1; rm -rf "$HVKIT_GUEST_RUN"' EXIT
g=hvrdt$$
"$H" build >/dev/null || { echo "FAIL: guest build"; exit 1; }
"$H" start "$g" --vcpus 2 --workload hvkit.burn=1
"$H" wait-ready "$g" 240 >/dev/null || { echo "FAIL: guest not ready"; exit 1; }
pid=$("$H" pid "$g")
tids=$("$H" tids "$g" | awk '{print $NF}' | tr '\n' ' ')
[ -n "$tids" ] || { echo "FAIL: no vCPU tids"; exit 1; }
echo "guest pid $pid, vCPU threads: $tids"
sleep 1
rc=0
"$probe" 3 "$pid" $tids || rc=$?
[ $rc = 0 ] || exit $rc
# the same through the kvm backend and the enricher (skipped until the kvm
# backend is built in)
if [ -n "$bprobe" ]; then
  r2=0; "$bprobe" 3 "$pid" || r2=$?
  # A skipped part is a skip of the test, not a pass (CI=true fails it).
  [ $r2 = 77 ] && { echo "SKIP: backend part (kvm backend not built in, or perf not permitted)"; exit 77; }
  exit $r2
fi
exit 0
