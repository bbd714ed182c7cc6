#!/usr/bin/env bash
# A real Prometheus server (Debian's package, run here on loopback with its
# own temporary config and storage, never as a service) scrapes hv-webd and
# answers queries about a domain.
#   prometheus_scrape.sh synth   synth backend; checks the rate Prometheus
#                                computes against synth's exact CPU load
#   prometheus_scrape.sh guest   kvm backend with a real QEMU guest burning
#                                one vCPU; checks against /proc/PID/stat
set -euo pipefail
mode=${1:-synth}
S=${HVKIT_SRC:?}; B=${HVKIT_BUILD:?}
command -v prometheus >/dev/null || { echo "prometheus not installed"; exit 77; }
tmp=$(mktemp -d /tmp/hvweb-prom-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$mode" = guest ]; then HVKIT_GUEST_RUN=$tmp/guests "$S/tests/guest/hvguest" stop-all >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "$mode" = guest ]; then
  "$B/webui/hv-webd" --backend kvm --dump-metrics >/dev/null 2>&1 || { echo "kvm backend not available"; exit 77; }
  export HVKIT_GUEST_RUN=$tmp/guests
  name=webprom$$
  "$S/tests/guest/hvguest" start "$name" --vcpus 1 --mem 256 --workload "hvkit.burn=1" >/dev/null
  "$S/tests/guest/hvguest" wait-ready "$name" 300 >/dev/null
  qpid=$("$S/tests/guest/hvguest" pid "$name")
  args=(--backend kvm)
else
  name=synth-00003
  args=(--backend synth --synth-domains 10 --synth-vcpus 2)
fi
"$B/webui/hv-webd" "${args[@]}" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/webd.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
wport=$(cat "$tmp/port")
pport=$(freeport)
cat > "$tmp/prometheus.yml" <<EOC
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$S/webui/prometheus/hvkit.rules.yml"]
scrape_configs:
  - job_name: hvkit
    static_configs: [{targets: ["127.0.0.1:$wport"]}]
EOC
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$pport" --log.level=warn 2>"$tmp/prom.log" &
pids+=($!)
q() { curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
val() { q "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true; }
ok=""
for _ in $(seq 60); do
  v=$(val "hv_domain_cpu_seconds_total{domain=\"$name\"}")
  [ -n "$v" ] && { ok=1; break; }
  sleep 1
done
[ -n "$ok" ] || { echo "Prometheus never got hv_domain_cpu_seconds_total for $name"; cat "$tmp/prom.log"; exit 1; }
health=$(curl -s "http://127.0.0.1:$pport/api/v1/targets" | python3 -c 'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"][0]; print(t["health"], repr(t["lastError"]))')
echo "target: $health"
case "$health" in "up ''") ;; *) echo "scrape not healthy"; exit 1;; esac
sleep 12 # >= 10 s of 1 s scrapes for the rate window
if [ "$mode" = guest ]; then
  # Independent source: QEMU's utime+stime from /proc over the same 10 s.
  t0=$(awk '{print $14+$15}' /proc/$qpid/stat); s0=$(date +%s.%N)
  p0=$(val "hv_domain_cpu_seconds_total{domain=\"$name\"}")
  sleep 10
  t1=$(awk '{print $14+$15}' /proc/$qpid/stat); s1=$(date +%s.%N)
  p1=$(val "hv_domain_cpu_seconds_total{domain=\"$name\"}")
  hz=$(getconf CLK_TCK)
  python3 - "$t0" "$t1" "$s0" "$s1" "$p0" "$p1" "$hz" <<'EOP'
import sys
t0, t1, s0, s1, p0, p1, hz = map(float, sys.argv[1:])
proc = (t1 - t0) / hz / (s1 - s0)
prom = (p1 - p0) / (s1 - s0)
print(f"guest CPU: /proc {proc:.3f} s/s, Prometheus {prom:.3f} s/s")
# Scrape timing skews the window by up to 2 scrapes (2 s of 10 s).
sys.exit(0 if abs(proc - prom) <= 0.25 * max(proc, 0.2) + 0.05 else 1)
EOP
else
  r=$(val "rate(hv_domain_cpu_seconds_total{domain=\"$name\"}[10s])")
  # synth: domain 3 with 2 vCPUs runs (21 + 34) % + 1 % overhead = 0.56 s/s
  python3 -c "import sys; r=float('$r'); print(f'rate from Prometheus {r:.4f} s/s, synth exact 0.56'); sys.exit(0 if abs(r-0.56) < 0.01 else 1)"
fi
n=$(val 'count(hv_domain_info)')
up=$(val 'hv_collector_success')
echo "Prometheus sees $n domains, hv_collector_success=$up"
[ "$up" = 1 ] || exit 1
echo "1 passed, 0 failed"
