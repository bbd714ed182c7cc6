#!/usr/bin/env bash
# hv-webd benchmarks; prints figures (never pass/fail):
#  1. web_bench: /metrics and JSON for 1,000 synth domains x (4 vCPUs,
#     2 disks, 2 NICs), in process and over loopback HTTP
#  2. wrk on loopback: requests/s per endpoint, against /healthz (a static
#     answer) as the baseline measured in the same run
#  3. RSS with 100 domains and a full ring of 600 snapshots (10 minutes of
#     1 s history; sampled at 0.05 s to fill it in 30 s), against ring = 2
# Usage: bench/webui/run.sh [BUILD_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$src/build}
W=$B/webui/hv-webd
tmp=$(mktemp -d /tmp/hvweb-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
start() { # NAME ARGS... -> port in $tmp/NAME.port, pid in pids
  local n=$1; shift
  "$W" "$@" --listen 127.0.0.1:0 --port-file "$tmp/$n.port" 2>"$tmp/$n.log" &
  pids+=($!); echo $! > "$tmp/$n.pid"
  for _ in $(seq 100); do [ -s "$tmp/$n.port" ] && break; sleep 0.1; done
}
echo "== 1. rendering and scrape"
"$B/bench/webui/web_bench" 1000 4

echo "== 2. wrk, 5 s per endpoint, 2 threads, 16 connections (100 synth domains)"
if command -v wrk >/dev/null; then
  start wrk --backend synth --synth-domains 100 --synth-vcpus 4
  port=$(cat "$tmp/wrk.port"); sleep 2
  base=""
  for path in /healthz /api/v1/host /api/v1/domains /metrics /; do
    rps=$(wrk -t2 -c16 -d5s --latency "http://127.0.0.1:$port$path" 2>/dev/null | awk '/Requests\/sec/ {print $2}')
    [ -z "$base" ] && base=$rps
    printf '  %-18s %10s req/s  (%.2f of /healthz)\n' "$path" "$rps" "$(echo "$rps / $base" | bc -l)"
  done
  kill "$(cat "$tmp/wrk.pid")"
else
  echo "  wrk not installed"
fi

echo "== 3. RSS, 100 domains x 4 vCPUs"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
printf 'period = 0.05\nring = 600\n' > "$tmp/full.conf"
printf 'period = 0.05\nring = 2\n' > "$tmp/small.conf"
start full --config "$tmp/full.conf" --backend synth --synth-domains 100 --synth-vcpus 4
start small --config "$tmp/small.conf" --backend synth --synth-domains 100 --synth-vcpus 4
sleep 32   # 600 x 0.05 s = 30 s fills the ring
p=$(cat "$tmp/full.port")
curl -s -o /dev/null "http://127.0.0.1:$p/metrics"; curl -s -o /dev/null "http://127.0.0.1:$p/api/v1/history?id=synth-00001&range=600"
sleep 1
full=$(rss "$(cat "$tmp/full.pid")"); small=$(rss "$(cat "$tmp/small.pid")")
printf '  600-sample history:    %6.1f MB RSS (target < 32 MB)\n' "$(echo "$full/1024" | bc -l)"
printf '  baseline ring of 2:    %6.1f MB RSS; the ring costs %.1f MB (%.1f KB per snapshot)\n' \
  "$(echo "$small/1024" | bc -l)" "$(echo "($full-$small)/1024" | bc -l)" "$(echo "($full-$small)/598" | bc -l)"
