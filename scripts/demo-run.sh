#!/usr/bin/env bash
# The README's demo: three real QEMU guests doing known work (one burning a
# vCPU, one reading its disk, one pinging over its tap), watched by hvkit.
# Runs xentop-ng, then hvctl and hv-webd (metrics, API) when built; with
# nothing built, a plain view from the host's own counters. Guests are
# always stopped on exit.
#   DEMO_SECONDS   how long the non-interactive views run (default 10)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
H=$src/tests/guest/hvguest
build=${HVKIT_BUILD:-$src/build}
secs=${DEMO_SECONDS:-10}
[ "$(id -u)" = 0 ] || { echo "demo-run: run as root (QEMU guests, a network namespace with a tap)" >&2; exit 1; }

export HVKIT_GUEST_RUN
HVKIT_GUEST_RUN=$(mktemp -d /tmp/hvkit-demo.XXXXXX)
cleanup() { "$H" stop-all; rm -rf "$HVKIT_GUEST_RUN"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting 3 guests (TCG/KVM picked automatically; first run downloads the Debian kernel)"
"$H" start demo-burn --vcpus 2 --mem 128 --workload "hvkit.burn=1" --ttl 3600
"$H" start demo-disk --vcpus 1 --mem 128 --disk 96 --workload "hvkit.disk=32 hvkit.repeat=1" --ttl 3600
"$H" start demo-net --vcpus 1 --mem 128 --tap --workload "hvkit.net=200 hvkit.repeat=1" --ttl 3600
for g in demo-burn demo-disk demo-net; do "$H" wait-ready "$g" 240 >/dev/null; done
cat <<TXT
== guests ready; their known work:
   demo-burn  2 vCPUs, one busy loop       -> ~100% of one CPU (vCPU 0 busy, vCPU 1 idle)
   demo-disk  reads 32 MiB of /dev/vda with O_DIRECT, then sleeps 1 s, repeat
   demo-net   200 x 1442-byte pings to the far end of tap $("$H" info demo-net | sed -n 's/^tap=//p') (in netns $("$H" netns)), then sleeps 1 s, repeat
TXT
sleep 2

if [ -x "$build/xentop-ng/xentop-ng" ]; then
  if [ -t 1 ]; then
    "$build/xentop-ng/xentop-ng" -d 1 || true
  else
    "$build/xentop-ng/xentop-ng" -b -i 3 -d 1 || true
  fi
elif [ -x "$build/hypervisor/hvctl/hvctl" ]; then
  if [ -t 1 ]; then
    "$build/hypervisor/hvctl/hvctl" domains --interval 2 || true
  else
    timeout "$secs" "$build/hypervisor/hvctl/hvctl" domains --interval 2 || true
  fi
else
  # Nothing of hvkit built yet: show the host kernel's own view.
  echo "== (xentop-ng and hvctl not built) host counters per guest, every 2 s for ${secs} s"
  hz=$(getconf CLK_TCK)
  snap() { # NAME -> "cpu_ticks read_bytes tap_rx uptime"
    local g=$1 p t s=0 f tap rx=0
    p=$("$H" pid "$g")
    for t in /proc/"$p"/task/*; do
      [[ "$(cat "$t/comm" 2>/dev/null)" =~ ^CPU\ [0-9]+/ ]] || continue
      f=$(sed 's/^.*) //' "$t/stat"); set -- $f; s=$((s + ${12} + ${13}))
    done
    tap=$("$H" info "$g" | sed -n 's/^tap=//p')
    # The tap lives in the run's network namespace, not the root one.
    [ -n "$tap" ] && rx=$(ip netns exec "$("$H" netns)" cat "/sys/class/net/$tap/statistics/rx_bytes")
    echo "$s $(awk '/^read_bytes/{print $2}' "/proc/$p/io") $rx $(cut -d' ' -f1 /proc/uptime)"
  }
  declare -A prev=()
  for g in demo-burn demo-disk demo-net; do prev[$g]=$(snap "$g"); done
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    sleep 2
    printf '%-10s %8s %12s %12s\n' NAME 'vCPU%' 'disk MB/s' 'net KB/s'
    for g in demo-burn demo-disk demo-net; do
      now=$(snap "$g")
      read -r c0 r0 n0 u0 <<<"${prev[$g]}"; read -r c1 r1 n1 u1 <<<"$now"
      # Rates over the real interval between the two reads, not the sleep.
      awk -v n="$g" -v c=$((c1 - c0)) -v r=$((r1 - r0)) -v x=$((n1 - n0)) -v hz="$hz" -v u0="$u0" -v u1="$u1" \
        'BEGIN { d = u1 - u0; if (d <= 0) d = 0.01
                 printf "%-10s %8.1f %12.1f %12.1f\n", n, 100 * c / hz / d, r / d / 1048576, x / d / 1024 }'
      prev[$g]=$now
    done
  done
fi

# The same guests through the other consumers of libhv.
hvctl=$build/hypervisor/hvctl/hvctl
webd=$build/webui/hv-webd
if [ -x "$hvctl" ]; then
  echo "== hvctl domains --interval 2 (per-second rates)"
  "$hvctl" domains --interval 2 || true
fi
if [ -x "$webd" ]; then
  port_file=$HVKIT_GUEST_RUN/webd.port
  "$webd" --listen 127.0.0.1:0 --port-file "$port_file" >"$HVKIT_GUEST_RUN/webd.log" 2>&1 &
  webd_pid=$!
  trap 'kill $webd_pid 2>/dev/null; cleanup' EXIT
  for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
  if [ -s "$port_file" ]; then
    url=http://127.0.0.1:$(cat "$port_file")
    sleep 3 # two samples, so rates exist
    echo "== hv-webd at $url : Prometheus /metrics for the demo guests"
    curl -s "$url/metrics" | grep -E '^hv_domain_cpu_seconds_total\{.*demo-' || true
    echo "== $url/api/v1/domains (names and CPU%)"
    curl -s "$url/api/v1/domains" | jq -c '.domains[]? | {name, cpu_pct}' 2>/dev/null || true
    if [ -t 0 ] && [ -t 1 ]; then
      read -r -p "Dashboard at $url/ ; press Enter to stop the guests " _ || true
    fi
  else
    echo "hv-webd did not start:"; cat "$HVKIT_GUEST_RUN/webd.log"
  fi
fi
