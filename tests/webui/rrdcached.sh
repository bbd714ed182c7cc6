#!/usr/bin/env bash
# RRD updates through rrdcached: with a write timeout of an hour nothing
# reaches the files by itself, so history that answers proves hv-webd sent
# its updates to the daemon and flushed before fetching.
set -euo pipefail
B=${HVKIT_BUILD:?}
command -v rrdcached >/dev/null || { echo "rrdcached not installed"; exit 77; }
tmp=$(mktemp -d /tmp/hvweb-rrdc-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/rrd" "$tmp/j"
rrdcached -g -l "unix:$tmp/sock" -b "$tmp/rrd" -B -w 3600 -z 1 -j "$tmp/j" -p "$tmp/rrdcached.pid" 2>"$tmp/rrdcached.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/sock" ] && break; sleep 0.1; done
printf 'backend = synth\nsynth_domains = 5\nrrd_dir = %s\nrrd_step = 1\nrrdcached = unix:%s\n' "$tmp/rrd" "$tmp/sock" > "$tmp/w.conf"
"$B/webui/hv-webd" --config "$tmp/w.conf" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/webd.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
p=$(cat "$tmp/port")
ok=""
for _ in $(seq 20); do
  sleep 2
  n=$(curl -s "http://127.0.0.1:$p/api/v1/history?id=synth-00003&range=2h" |
      python3 -c 'import json,sys; s=json.load(sys.stdin).get("series",{}).get("cpu_pct",[]); v=[x for x in s if x is not None]; print(len(v), v[-1] if v else "")' 2>/dev/null || true)
  case "$n" in 0*|"") ;; *) ok=$n; break;; esac
done
[ -n "$ok" ] || { echo "no history through rrdcached"; cat "$tmp/webd.log" "$tmp/rrdcached.log"; exit 1; }
echo "history through rrdcached: $ok (rows, last cpu_pct; synth exact 56)"
python3 -c "import sys; v=float('${ok#* }'); sys.exit(0 if abs(v-56)<1 else 1)"
grep -q "rrd:" "$tmp/webd.log" && { echo "writer errors:"; cat "$tmp/webd.log"; exit 1; }
echo "1 passed, 0 failed"
