#!/usr/bin/env bash
# hvctl against this machine's real /sys and /proc, read only: the online
# CPU count must equal getconf _NPROCESSORS_ONLN (an independent source) and
# every busy% must lie in [0,100]. No write command is run here.
set -u
HVCTL=${HVKIT_BUILD:?}/hypervisor/hvctl/hvctl
command -v jq >/dev/null || { echo "skip: no jq"; exit 77; }
unset HVKIT_SYSFS HVKIT_PROCFS HVKIT_DEVFS HVKIT_RUNDIR
out=$("$HVCTL" --backend kvm --json cpu list --interval 0.3) || { echo "cpu list failed"; exit 1; }
n=$(jq '[.cpus[] | select(.online == true)] | length' <<<"$out")
want=$(getconf _NPROCESSORS_ONLN)
np=$(nproc --all 2>/dev/null || echo "$want")
echo "hvctl online=$n getconf=$want"
[ "$n" = "$want" ] || { echo "FAIL online count $n != $want"; exit 1; }
jq -e '[.cpus[] | select(.online == true) | .busy_pct | select(. != null)] | length > 0' <<<"$out" >/dev/null \
  || { echo "FAIL no busy% at all"; exit 1; }
jq -e 'all(.cpus[] | .busy_pct; . == null or (. >= 0 and . <= 100))' <<<"$out" >/dev/null \
  || { echo "FAIL busy% outside [0,100]: $out"; exit 1; }
jq -e '.busy_pct >= 0 and .busy_pct <= 100' <<<"$out" >/dev/null || { echo "FAIL host busy"; exit 1; }
present=$(jq '.cpus | length' <<<"$out")
[ "$present" -le "$np" ] || { echo "FAIL $present cpus listed, nproc --all $np"; exit 1; }
e=$("$HVCTL" --backend kvm --json energy --interval 0.2) || { echo "FAIL energy"; exit 1; }
jq -e 'all(.zones[]; .watts == null or .watts >= 0)' <<<"$e" >/dev/null || { echo "FAIL energy: $e"; exit 1; }
echo "energy zones: $(jq '.zones | length' <<<"$e")"
"$HVCTL" --backend kvm energy --interval 0.2 || { echo "FAIL energy table"; exit 1; }
echo ok
