#!/usr/bin/env bash
# Headless Chromium drives the hv-webd page (tests/webui/page_check.js).
# With the kvm backend and real QEMU guests when both are available,
# otherwise against the synth backend.
set -euo pipefail
S=${HVKIT_SRC:?}; B=${HVKIT_BUILD:?}
[ -x /usr/bin/chromium ] || { echo "chromium not installed"; exit 77; }
[ -d "$S/webui/node_modules/playwright-core" ] || { echo "playwright-core missing: run scripts/deps/webui.sh"; exit 77; }
tmp=$(mktemp -d /tmp/hvweb-e2e-XXXXXX)
pid=""
guests=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true
  if [ -n "$guests" ]; then HVKIT_GUEST_RUN=$tmp/guests "$S/tests/guest/hvguest" stop-all >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
names=synth-00002,synth-00041
args=(--backend synth --synth-domains 60 --synth-vcpus 2)
if [ "${HVKIT_WEB_E2E_GUESTS:-1}" = 1 ] && "$B/webui/hv-webd" --backend kvm --dump-metrics >/dev/null 2>&1 \
   && [ -x "$S/tests/guest/hvguest" ] && [ "$(id -u)" = 0 ]; then
  export HVKIT_GUEST_RUN=$tmp/guests
  guests="webpg$$a webpg$$b"
  for g in $guests; do
    "$S/tests/guest/hvguest" start "$g" --vcpus 1 --mem 256 --workload "hvkit.burn=1" >/dev/null
  done
  for g in $guests; do "$S/tests/guest/hvguest" wait-ready "$g" 300 >/dev/null; done
  names=$(echo $guests | tr ' ' ,)
  args=(--backend kvm)
  echo "real guests: $names"
else
  echo "kvm backend or guests not available: synth backend"
fi
# A live hv-powerd's files (docs/arch/powerd.md), with hostile text.
export HVKIT_RUNDIR=$tmp/run HVKIT_WEB_EXPECT_POWERD=1
mkdir -p "$HVKIT_RUNDIR"
printf '{"version":1,"pid":%d,"updated":"2026-11-23T12:00:00.000Z","dry_run":false,"held":[{"knob":"cpu/3/online","orig":"1","cur":"0","policy":"parking"}],"parked":[3],"hwerr_offlined":[],"demand_cpus":0.4,"pkg_watts":41.5,"domains":[]}\n' $$ > "$HVKIT_RUNDIR/state.json"
printf '{"time":"2026-11-23T12:00:00.000Z","event":"set","policy":"parking","knob":"cpu/3/online","old":"1","new":"0","reason":"<script>alert(1)</script> demand 0.4"}\n' > "$HVKIT_RUNDIR/journal.jsonl"
"$B/webui/hv-webd" "${args[@]}" --listen 127.0.0.1:0 --port-file "$tmp/port" --rrd-dir "$tmp/rrd" 2>"$tmp/webd.log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
shots=${HVKIT_WEB_SHOTS:-$B/tests/webui/shots}
mkdir -p "$shots"
node "$S/tests/webui/page_check.js" "http://127.0.0.1:$(cat "$tmp/port")/" "$names" "$shots"
echo "screenshots in $shots"
# 1,000 domains: the page stays fast.
kill "$pid"; wait "$pid" 2>/dev/null || true
rm -f "$tmp/port"
"$B/webui/hv-webd" --backend synth --synth-domains 1000 --synth-vcpus 4 --listen 127.0.0.1:0 --port-file "$tmp/port" 2>>"$tmp/webd.log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
node "$S/tests/webui/page_perf.js" "http://127.0.0.1:$(cat "$tmp/port")/"
echo "1 passed, 0 failed"
